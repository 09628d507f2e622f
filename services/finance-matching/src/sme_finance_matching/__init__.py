"""finance-matching: banks and guarantee agencies (products, needs, matching, pushed lists, loan feedback)."""
