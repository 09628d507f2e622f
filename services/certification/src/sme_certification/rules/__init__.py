"""The certification rule engine (规则引擎): the criteria of 创新型 / 专精特新 / 小巨人 as versioned rule
sets in ``data/``, the choice of a rule set by tier, application kind and date, and an evaluator that
explains every criterion. Pure: no web framework, no database (``domain.py`` is the entry point)."""
