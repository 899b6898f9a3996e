"""abuse_deep_pass: daily schedule → the detectors' deep passes over the last 7 days of fills."""
