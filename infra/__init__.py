"""The propdesk CDK app: one construct per concern, composed by `infra.stack.PropdeskStack`."""
