"""registry: the enterprise register (统一社会信用代码, facts, size class, pools, commissioners, flags)."""
