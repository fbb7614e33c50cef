"""Transactions from files: the contract's JSONL and CSV, WSO2 analytics, X-Road records."""

from intake.files import FORMATS, FileFormatError, detect_format, open_records
from intake.ingest import ALL_FORMATS, GATEWAY_FORMATS, FileResult, ingest_file

__all__ = [
    "ALL_FORMATS",
    "FORMATS",
    "GATEWAY_FORMATS",
    "FileFormatError",
    "FileResult",
    "detect_format",
    "ingest_file",
    "open_records",
]
