"""The daily digest: each rep's overdue follow-ups and stuck deals, each manager's team roll-up, by DM, once a day.

compute (who is due, what each digest says), blocks (Block Kit), deliver (reserve,
send, complete), schedule (APScheduler in ``stagecoach run``).
"""
