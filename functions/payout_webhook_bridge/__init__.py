"""payout_webhook_bridge: Bridge's signed transfer webhooks resume the payout workflow."""
