"""Statistics of titles against the provincial targets, and the cultivation funnel (issue 8 item 9)."""
