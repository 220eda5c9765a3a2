"""A TinyDB storage that cannot be left half-written.

TinyDB's own JSONStorage rewrites the file in place, so a crash mid-write leaves
a file that no longer parses and the bot cannot start. Here every write goes to a
fresh temp file that is fsync'd and then renamed over the target: a reader (or a
restart) sees either the old state or the new one, never a mix.
Use it as ``TinyDB(path, storage=AtomicJSONStorage)``.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

# What identifies one version of the file: a rename always brings a new inode, so
# an unchanged identity means nobody replaced or deleted the file since we saw it.
_Identity = tuple[int, int, int, int]


class StoreCorruptError(Exception):
    """The database file exists but is not a JSON object; refuse to start rather than overwrite it."""

    def __init__(self, path: str | os.PathLike[str], detail: str = "") -> None:
        self.path = Path(path)
        reason = f": {detail}" if detail else ""
        super().__init__(f"database file {self.path} is unreadable{reason}; restore it or move it aside")


def fsync_dir(directory: str | os.PathLike[str]) -> None:
    """Make a create, rename or unlink in `directory` survive power loss (a file fsync does not)."""
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def parse_tables(raw: bytes, path: Path) -> dict[str, dict[str, Any]] | None:
    """The tables a database file's bytes hold (None when empty: no database yet)."""
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        raise StoreCorruptError(path, str(exc)) from exc
    if not isinstance(data, dict):
        raise StoreCorruptError(path, f"top level is a {type(data).__name__}, not an object")
    return data


def _identity(st: os.stat_result) -> _Identity:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


class AtomicJSONStorage(Storage):
    """JSON file storage with atomic, durable replacement and mode 0600.

    Keyword arguments go to ``json.dumps`` like JSONStorage's do; the default is
    compact UTF-8 JSON.
    """

    def __init__(self, path: str | os.PathLike[str], **kwargs: Any) -> None:
        super().__init__()
        self._path = Path(path)
        self._dumps_kwargs: dict[str, Any] = {"ensure_ascii": False, "separators": (",", ":"), **kwargs}
        json.dumps({}, **self._dumps_kwargs)  # reject bad options now, not at the first write
        # The bytes of the file as we last wrote or read it, and which file that was:
        # TinyDB writes back unchanged tables, and those writes can then be skipped.
        self._last: tuple[bytes, _Identity] | None = None
        self._lock = threading.Lock()
        self._path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)

    def read(self) -> dict[str, dict[str, Any]] | None:
        """The stored tables, or None when there is no database yet (TinyDB then starts empty)."""
        try:
            with open(self._path, "rb") as fh:
                ident = _identity(os.fstat(fh.fileno()))
                raw = fh.read()
        except FileNotFoundError:
            return None
        data = parse_tables(raw, self._path)
        with self._lock:
            self._last = (raw, ident)
        return data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        """Replace the file with `data`: temp file, fsync, rename, fsync the directory."""
        raw = json.dumps(data, **self._dumps_kwargs).encode("utf-8")
        with self._lock:
            if self._last is not None and self._last[0] == raw and self._last[1] == self._current_identity():
                return
            # mkstemp creates the file with O_EXCL and mode 0600 and a unique name,
            # so concurrent writers (even other processes) never share a temp file.
            fd, tmp = tempfile.mkstemp(dir=self._path.parent, prefix=f".{self._path.name}.", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(raw)
                    fh.flush()
                    os.fsync(fh.fileno())
                    ident = _identity(os.fstat(fh.fileno()))
                os.replace(tmp, self._path)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
                raise
            fsync_dir(self._path.parent)
            self._last = (raw, ident)

    def _current_identity(self) -> _Identity | None:
        try:
            return _identity(os.stat(self._path))
        except FileNotFoundError:
            return None
