"""Transactions from files: the contract's JSONL and CSV, WSO2 analytics, X-Road records."""

from intake.files import FileFormatError, detect_format, open_records
from intake.formats import FORMATS, open_stream
from intake.ingest import FileResult, ingest_file

__all__ = [
    "FORMATS",
    "FileFormatError",
    "FileResult",
    "detect_format",
    "ingest_file",
    "open_records",
    "open_stream",
]
