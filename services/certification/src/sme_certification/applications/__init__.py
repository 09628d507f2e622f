"""Applications for a title, their self-assessment, evidence and review chain."""
