"""payout_webhook_wise: Wise's signed transfer webhooks resume the payout workflow."""
