"""Certificates of the three titles: granting, the PDF, public verification, the lifecycle."""
