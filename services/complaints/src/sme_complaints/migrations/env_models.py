"""Imports every model module so that ``Base.metadata`` knows all complaints tables."""

import sme_complaints.callbacks.models
import sme_complaints.cases.models
import sme_complaints.demands.models  # noqa: F401
