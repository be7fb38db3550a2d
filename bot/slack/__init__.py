"""The Slack app: Bolt listeners per surface, Block Kit rendering apart from handlers."""
