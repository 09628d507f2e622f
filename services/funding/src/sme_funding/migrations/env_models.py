"""Imports every model module so that ``Base.metadata`` knows all funding tables."""

import sme_funding.entitlements.models  # noqa: F401
