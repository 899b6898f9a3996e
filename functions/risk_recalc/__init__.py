"""risk_recalc: the main table's stream (new `EVENT#` items) → risk state, breaches and domain events."""
