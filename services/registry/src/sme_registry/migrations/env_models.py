"""Imports every model module so that ``Base.metadata`` knows all registry tables."""

import sme_registry.activity.models
import sme_registry.bulk.models
import sme_registry.enterprises.models
import sme_registry.facts.models
import sme_registry.flags.models
import sme_registry.people.models
import sme_registry.pools.models
import sme_registry.reference.models
import sme_registry.sizing.models  # noqa: F401
