"""The report's file formats. Every format carries the same figures."""

from reports.filing import Filing
from reports.formats import FORMATS, Format, write_export, write_export_file
from reports.tabular import FIELDS, report_as_dict, write_csv, write_json

__all__ = [
    "FIELDS",
    "FORMATS",
    "Filing",
    "Format",
    "report_as_dict",
    "write_csv",
    "write_export",
    "write_export_file",
    "write_json",
]
