"""certification: the three titles 创新型 → 专精特新 → 小巨人 (batches, applications, review, certificates)."""
