"""Rule-document versions kept in the database, and (re-)evaluations of title holders stored with
the rule-set version and fingerprint that produced them (issue 8: rule engine, performance 2)."""
