"""Complaint cases (投诉案件): intake, the statutory lifecycle and its clocks."""
