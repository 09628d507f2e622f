"""Imports every model module so that ``Base.metadata`` knows all registry tables."""

import sme_registry.enterprises.models
import sme_registry.reference.models  # noqa: F401
