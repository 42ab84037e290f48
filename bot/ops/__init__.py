"""Operating the bot: logs and their context, metrics, the audit export, the pre-deployment
check."""
