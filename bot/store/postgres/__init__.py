"""The store on PostgreSQL: the same repositories for several replicas (store.url = postgresql://...).

Imported only when `store.url` names a database: psycopg is an optional extra (`approvals-bot[postgres]`).
"""

from bot.store.postgres.leader import AdvisoryLeadership
from bot.store.postgres.readers import PostgresReader
from bot.store.postgres.store import PostgresStore

__all__ = ["AdvisoryLeadership", "PostgresReader", "PostgresStore"]
