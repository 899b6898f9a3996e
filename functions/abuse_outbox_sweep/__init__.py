"""abuse_outbox_sweep: every minute, carries out the abuse decisions' effects their caller left pending."""
