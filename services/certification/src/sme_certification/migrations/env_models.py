"""Imports every model module so that ``Base.metadata`` knows all certification tables."""

import sme_certification.certificates.models  # noqa: F401
