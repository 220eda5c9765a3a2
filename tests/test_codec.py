"""Snapshot <-> plain JSON: what the store and the journal keep, unchanged by a faster encoder."""

from __future__ import annotations

import json
from dataclasses import asdict, replace

from hypothesis import given
from hypothesis import strategies as st

from bot.codec import snapshot_from_dict, snapshot_to_dict
from bot.model import Action, Comment, FormField, Member, MemberStatus
from tests.factories import member, node, snapshot, with_fields

texts = st.text(max_size=12)


@given(
    speeches=st.lists(texts, min_size=1, max_size=4),
    comment=texts,
    step=st.one_of(st.none(), st.integers(0, 3)),
    action=st.one_of(st.none(), st.sampled_from(Action)),
)
def test_the_encoding_is_what_asdict_gives_and_reads_back(
    speeches: list[str], comment: str, step: int | None, action: Action | None
) -> None:
    members = [member(f"u{n}", speech=speech) for n, speech in enumerate(speeches)]
    handed = Member("d1", MemberStatus.PENDING, for_user="u9", for_until=5, handed_at=4, media_ids=("m",))
    snap = replace(
        with_fields(snapshot(node(*members, handed))),
        comments=(Comment("c1", "u0", 3, comment, ("a",), thread="k|approver:U1"),),
        current_step=step,
        action=action,
        fields=(FormField("t", comment),),
        expired_at=7,
    )
    encoded = snapshot_to_dict(snap)
    assert encoded == asdict(snap)
    assert json.dumps(encoded) == json.dumps(asdict(snap))
    assert snapshot_from_dict(json.loads(json.dumps(encoded))) == snap
