"""abuse_detect: the main table's stream (new `EVENT#` items) → the abuse detectors, flags, holds."""
