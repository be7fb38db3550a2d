"""Stagecoach: a Slack sales coach that knows the team's sales process."""
