"""The embedded default topology: every service mounted in one process under its own /api/<service>/
prefix, so URLs are the same as behind the gateway."""
