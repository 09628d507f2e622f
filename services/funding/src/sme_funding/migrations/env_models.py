"""Imports every model module so that ``Base.metadata`` knows all funding tables."""

import sme_funding.approvals.models
import sme_funding.budgets.models
import sme_funding.clawback.models
import sme_funding.entitlements.models
import sme_funding.ledger.models
import sme_funding.payments.models
import sme_funding.projects.models  # noqa: F401
