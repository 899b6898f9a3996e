"""Abuse prevention rules, pure: what the firm refuses at its doors whatever door is used (our API or a
provider's own endpoint, such as Cognito's public sign-up)."""
