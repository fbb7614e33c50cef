"""The SQL store: transactions from every source, the daily rollup, and migrations.

SQLite is the embedded default, PostgreSQL the production store.
"""

from store.counts import DayCount, daily_counts_between, first_success_days
from store.database import DEFAULT_URL, StoreError, create_store_engine, open_store, upgrade
from store.records import FieldError, Transaction, TransactionRecord, parse_record
from store.sync import sync_registry
from store.writer import WriteResult, write_transactions, writing

__all__ = [
    "DEFAULT_URL",
    "DayCount",
    "FieldError",
    "StoreError",
    "Transaction",
    "TransactionRecord",
    "WriteResult",
    "create_store_engine",
    "daily_counts_between",
    "first_success_days",
    "open_store",
    "parse_record",
    "sync_registry",
    "upgrade",
    "write_transactions",
    "writing",
]
