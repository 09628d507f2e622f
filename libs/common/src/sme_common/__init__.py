"""Shared foundation of the SME cultivation platform services.

Every service imports from here, and from nowhere else outside itself (architecture.md: services share
code only through ``libs/common``).
"""
