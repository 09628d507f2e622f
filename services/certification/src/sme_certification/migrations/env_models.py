"""Imports every model module so that ``Base.metadata`` knows all certification tables."""

import sme_certification.applications.models
import sme_certification.batches.models
import sme_certification.certificates.models
import sme_certification.evaluations.models
import sme_certification.experts.models
import sme_certification.facts.models
import sme_certification.notices.models  # noqa: F401
