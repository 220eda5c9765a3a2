"""The store's format version, and the migrations that carry an older store to the current one.

Why: a bot must never misread a store another version wrote. A newer bot upgrades an older store in
place when it opens it for writing; an older bot meets a store from a newer one and refuses, naming
both versions, before it reads or changes anything.

The version is the meta value `store_format`. A store written before versions existed has none: it is
version 1. `MIGRATIONS[i]` turns version `i + 1` into `i + 2`, so the next change of format is one
function appended to that tuple. A migration changes the hot file's tables in memory (the store
writes them, with the new version, in one atomic commit); one that must change archive chunks too
finds them beside `path`, and must leave each chunk readable by either version until that commit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tinydb import TinyDB

from bot.store.ports import StoreVersionError
from bot.store.tinydb.tables import Keyed

FORMAT_KEY = "store_format"  # meta: the format version the store is written in
FIRST_VERSION = 1  # a store with no recorded version

Migration = Callable[[TinyDB, Path], None]  # (the open hot file, the store's path): one version up


def begin_change_log(db: TinyDB, path: Path) -> None:
    """Version 2: commits go to a change log beside the hot file (change_log.py), which a version-1 bot
    would not read. A version-1 store has no log yet, so nothing is rewritten: the version is what
    changes, so an older bot refuses the store rather than miss what the log holds."""


MIGRATIONS: tuple[Migration, ...] = (begin_change_log,)


def current_version() -> int:
    """The format this bot writes: the first version, moved up once by each migration."""
    return FIRST_VERSION + len(MIGRATIONS)


def version_of(recorded: Any, *, has_data: bool) -> int:
    """The format a store is in: as recorded; with none recorded, version 1 when it holds anything
    (written before versions existed), and the current version when it is empty (a new store)."""
    if recorded is not None:
        return int(recorded)
    return FIRST_VERSION if has_data else current_version()


def refuse_newer(found: int, path: Path) -> None:
    """Raises StoreVersionError when another, newer bot wrote the store: reading it could misread it,
    and writing could lose what that bot stored."""
    supported = current_version()
    if found > supported:
        raise StoreVersionError(
            f"the store {path} is in format version {found}, written by a newer approvals-bot; this "
            f"approvals-bot reads format version {supported} at most. Run the newer approvals-bot "
            "(upgrade this installation), or point store.path at another store. Nothing was changed."
        )


def require_readable(hot: Mapping[str, Any], recorded: Any, path: Path) -> None:
    """For a read-only tool (it may not upgrade, it holds no lock): the store must be in this bot's format."""
    found = version_of(recorded, has_data=bool(hot))
    refuse_newer(found, path)
    if found < current_version():
        raise StoreVersionError(
            f"the store {path} is in format version {found}; this approvals-bot reads format version "
            f"{current_version()}. Run `approvals-bot sweep` (or start `serve`) once to upgrade it in "
            "place, then run this again. Nothing was changed."
        )


def upgrade(db: TinyDB, path: Path) -> int:
    """Brings the store open in `db` to the current format, in memory (the caller commits); returns the
    version it was in. Refuses a newer store before changing anything."""
    has_data = bool(db.tables())
    meta = Keyed(db.table("meta"), "key")
    recorded = meta.get(FORMAT_KEY)
    found = version_of(recorded["value"] if recorded else None, has_data=has_data)
    refuse_newer(found, path)
    for migration in MIGRATIONS[found - FIRST_VERSION :]:
        migration(db, path)
    if recorded is None or found != current_version():
        meta.put({"key": FORMAT_KEY, "value": current_version()})
    return found
