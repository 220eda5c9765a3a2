"""People: the user lookup cache and the identity table (Slack user <-> provider user, mapped by admins)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from tinydb import TinyDB

from bot.store.tinydb.tables import Keyed, Repository

USER_CACHE_TTL = 24 * 3600


class TinyDBPeople(Repository):
    def load(self, db: TinyDB) -> None:
        self._users = Keyed(db.table("users"), "key")
        self._identities = Keyed(db.table("identities"), "key")
        # (identity, provider user) -> Slack user: asked for every person of every callback applied
        self._slack_ids = {(d["identity"], d["provider_id"]): d["slack_id"] for d in self._identities.all()}

    # user cache ----------------------------------------------------------------

    def cached_user(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            doc = self._users.get(key)
            return doc if doc is not None and time.time() - doc.get("at", 0) < USER_CACHE_TTL else None

    def cache_user(self, key: str, **values: Any) -> None:
        with self._lock:
            self._users.put({"key": key, "at": time.time(), **values})

    def forget_cached_users(self, keys: Iterable[str]) -> None:
        """Drop user cache entries, so the next lookup asks again (after an admin changed a mapping)."""
        with self._lock:
            self._users.remove(keys)

    # identity table --------------------------------------------------------------

    def identity_mappings(self) -> list[dict[str, Any]]:
        with self._lock:
            return self._identities.all()

    def mapped_provider_id(self, identity: str, slack_id: str) -> str | None:
        with self._lock:
            doc = self._identities.get(f"{identity}:{slack_id}")
            return doc["provider_id"] if doc else None

    def mapped_slack_id(self, identity: str, provider_id: str) -> str | None:
        with self._lock:
            return self._slack_ids.get((identity, provider_id))

    def put_identity(self, identity: str, slack_id: str, provider_id: str, **info: Any) -> list[str]:
        """Map `slack_id` to `provider_id`; one provider user has one Slack user, so an older mapping of
        `provider_id` to someone else is dropped. Returns the Slack ids whose mapping was dropped."""
        with self._lock:
            replaced = [
                doc
                for doc in self._identities.all()
                if (doc["identity"], doc["provider_id"]) == (identity, provider_id)
                and doc["slack_id"] != slack_id
            ]
            self._identities.remove(doc["key"] for doc in replaced)
            self._forget_reverse(self._identities.get(f"{identity}:{slack_id}"))
            self._slack_ids[(identity, provider_id)] = slack_id
            self._identities.put(
                {
                    "key": f"{identity}:{slack_id}",
                    "identity": identity,
                    "slack_id": slack_id,
                    "provider_id": provider_id,
                    **info,
                }
            )
            return [doc["slack_id"] for doc in replaced]

    def remove_identity(self, identity: str, slack_id: str) -> dict[str, Any] | None:
        """Forget the mapping of `slack_id`; returns it, or None when there was none."""
        with self._lock:
            doc = self._identities.get(f"{identity}:{slack_id}")
            self._identities.remove([f"{identity}:{slack_id}"])
            self._forget_reverse(doc)
            return doc

    def _forget_reverse(self, doc: dict[str, Any] | None) -> None:
        """Drop a mapping that is going away from the reverse index, unless someone else holds it now."""
        if doc is not None and self._slack_ids.get((doc["identity"], doc["provider_id"])) == doc["slack_id"]:
            del self._slack_ids[(doc["identity"], doc["provider_id"])]
