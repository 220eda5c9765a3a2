"""The store on TinyDB files: one hot file, archive chunks, the inbox journal (see database.py)."""

from bot.store.tinydb.database import TinyDBStore
from bot.store.tinydb.failures import FAILURE_LIMIT
from bot.store.tinydb.leadership import SoleLeader
from bot.store.tinydb.readers import StoreReader, read_meta, read_tables

__all__ = ["FAILURE_LIMIT", "SoleLeader", "StoreReader", "TinyDBStore", "read_meta", "read_tables"]
