"""The daily digest: each rep's overdue follow-ups and stuck deals, each manager's team roll-up, by DM, once a day.

compute (who is due, what each digest says, as ``types``), actions (its buttons and
what they do), deliver (reserve, post, complete), schedule (APScheduler in ``stagecoach
run``). The engine imports no surface: a surface renders digests and passes in the
poster that delivers them (Slack's: ``bot.slack.digest``).
"""
