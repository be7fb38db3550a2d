"""Identify a person: by Slack id or email, the surface's own email lookup only when needed."""

from __future__ import annotations

from bot.service.people import identify
from storage import deals as deal_store


def test_a_known_slack_id_or_email_is_the_rep_without_asking_the_surface(runtime, floor):
    asked = []
    by_id = identify(runtime, floor.alice.slack_user_id, email_of=lambda: asked.append(1))
    by_email = identify(runtime, floor.alice.email.upper())
    assert by_id.rep_id == by_email.rep_id == floor.alice.id and by_id.name == "Alice Rep"
    assert asked == []


def test_a_rep_found_by_the_surfaces_email_is_linked_to_that_id_for_next_time(runtime, floor):
    calls = []

    def email_of():
        calls.append(1)
        return floor.bob.email

    viewer = identify(runtime, "UNEWBOB", email_of=email_of)
    assert viewer.rep_id == floor.bob.id and calls == [1]
    assert identify(runtime, "UNEWBOB", email_of=email_of).rep_id == floor.bob.id
    assert calls == [1]  # the second lookup is direct
    with runtime.session() as s:
        assert deal_store.rep_by_identity(session=s, user="UNEWBOB").id == floor.bob.id


def test_someone_unknown_is_none_and_nothing_is_linked(runtime, floor):
    assert identify(runtime, "UNOBODY") is None
    assert identify(runtime, "UNOBODY", email_of=lambda: None) is None
    assert identify(runtime, "UNOBODY", email_of=lambda: "stranger@example.com") is None
    assert identify(runtime, "") is None and identify(runtime, None) is None
    with runtime.session() as s:
        assert deal_store.rep_by_identity(session=s, user="UNOBODY") is None
