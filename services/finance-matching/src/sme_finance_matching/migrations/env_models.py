"""Imports every model module so that ``Base.metadata`` knows all finance-matching tables."""

import sme_finance_matching.certified.models
import sme_finance_matching.feedback.models
import sme_finance_matching.institutions.models
import sme_finance_matching.lists.models
import sme_finance_matching.needs.models
import sme_finance_matching.products.models
import sme_finance_matching.pushes.models  # noqa: F401
