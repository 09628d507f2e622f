"""Certification batches (申报批次): tier, level, year, filing window, 市州 caps and floors."""
