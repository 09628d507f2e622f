"""The catalogue of complaint categories (投诉类别) and their fields, Open311-like."""
