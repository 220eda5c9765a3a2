"""What a reader makes of a callback acknowledged but not applied yet: the approval as it will be."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.codec import snapshot_from_dict, snapshot_to_dict
from bot.store.ports import Decoder


def merge_journaled(
    docs: dict[str, dict[str, Any]], record: dict[str, Any], decoders: Mapping[str, Decoder]
) -> None:
    """One acknowledged-but-unapplied record into `docs`, by the rule `apply_snapshot` follows."""
    decoder = decoders.get(record.get("source", ""))
    try:
        snap = decoder(record) if decoder is not None else None
    except ValueError:
        return  # the processor skips it as well
    if snap is None:
        return
    stored = docs.get(snap.key)
    if stored is not None:
        old = snapshot_from_dict(stored["snapshot"])
        if snap.progress_key() < old.progress_key():
            return
        if not snap.has_details and old.has_details:
            snap = snap.with_details(old.summary, old.fields)
    docs[snap.key] = {
        **(stored or {"key": snap.key}),
        "snapshot": snapshot_to_dict(snap),
        "final": snap.status.is_final,
        "updated": record.get("received", 0),
    }
