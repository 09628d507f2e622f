"""Bearer JWT auth: verification against a JWKS, principals with roles, region and scopes."""

from sme_common.auth.dependencies import Authenticator, require
from sme_common.auth.principal import MACHINE_ROLES, Principal, RegionScope, Role

__all__ = ["MACHINE_ROLES", "Authenticator", "Principal", "RegionScope", "Role", "require"]
