"""Funding reports: entitlements and money by policy, fund, 市州 and year."""
