"""More closed deals on top of ``history.py``, for win rates, cycle length and the process as it really runs.

    deal owner  timeline                                                               amount
    K    Alice  discover Oct 1, validate Oct 6, close Oct 16, won Oct 21               50,000
    L    Bob    discover Sep 1, validate Sep 11, back to discover Sep 21, validate Oct 1,
                close Oct 11, won Oct 31 23:00 UTC (Nov 1 08:00 in Tokyo)              15,000
    M    Bob    created won on Oct 15 (imported closed: its only change is to won)    30,000
    N    Carol  discover Oct 2, won Oct 12 (skips validate and close)                 20,000

Exit criteria of Discover, checked (at 12:00 UTC) on the closed deals:
    pain_confirmed         C Oct 5, E Aug 10, K Oct 3, L Sep 5 (before leaving); D Oct 20 (after it left on Oct 15);
                           N met Oct 3, withdrawn Oct 5 (so not confirmed when it left on Oct 12)
    decision_maker_named   C Oct 5, G Jul 10, I Oct 14, D Oct 10
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from storage.models import Deal, DealStatus
from tests.pipeline.history import History, add_deal, at
from tests.utils import factories as f

MORE = {
    "K": ("alice", 50_000, [("discover", at(10, 1)), ("validate", at(10, 6)), ("close", at(10, 16)),
                            ("won", at(10, 21))]),
    "L": ("bob", 15_000, [("discover", at(9, 1)), ("validate", at(9, 11)), ("discover", at(9, 21)),
                          ("validate", at(10, 1)), ("close", at(10, 11)), ("won", at(10, 31, 23))]),
    "N": ("carol", 20_000, [("discover", at(10, 2)), ("won", at(10, 12))]),
}


@pytest.fixture
def closed_history(runtime, history: History) -> History:
    with runtime.session() as s:
        reps = {"alice": history.alice, "bob": history.bob, "carol": history.carol}
        deals = {name: add_deal(s, reps[owner], name, amount, timeline) for name, (owner, amount, timeline) in MORE.items()}
        created_won = Deal(external_id="D-M", name="Deal M", account="Account M", owner_id=history.bob.id,
                           stage_key="discover", amount=Decimal(30_000), status=DealStatus.won,
                           created_at=at(10, 15), stage_entered_at=at(10, 15), closed_at=at(10, 15))
        s.add(created_won)
        s.flush()
        f.move(s, created_won, None, "won", at(10, 15))
        deals["M"] = created_won
        old = {name: s.get(Deal, deal.id) for name, deal in history.deals.items()}
        everyone = {**old, **deals}
        for name, when in (("C", at(10, 5)), ("E", at(8, 10)), ("K", at(10, 3)), ("L", at(9, 5)), ("D", at(10, 20)),
                           ("N", at(10, 3))):
            f.check(s, everyone[name], "pain_confirmed", stage="discover", at=when)
        f.check(s, everyone["N"], "pain_confirmed", stage="discover", met=False, at=at(10, 5))
        for name, when in (("C", at(10, 5)), ("G", at(7, 10)), ("I", at(10, 14)), ("D", at(10, 10))):
            f.check(s, everyone[name], "decision_maker_named", stage="discover", at=when)
    history.deals.update(deals)
    return history
