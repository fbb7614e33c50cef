"""Transactions from files: the contract's JSONL and CSV (and, later, gateway logs)."""

from intake.files import FORMATS, FileFormatError, detect_format, open_records
from intake.ingest import FileResult, ingest_file

__all__ = [
    "FORMATS",
    "FileFormatError",
    "FileResult",
    "detect_format",
    "ingest_file",
    "open_records",
]
