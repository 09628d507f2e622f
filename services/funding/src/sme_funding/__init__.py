"""funding: awards and subsidies from the special funds (policies as data, entitlements, budgets, payments)."""
