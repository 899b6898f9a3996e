"""payout_webhooks: the payout rails' signed status webhooks resume the payout workflow."""
