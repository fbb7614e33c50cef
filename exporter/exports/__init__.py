"""The report's file formats. Every format carries the same figures."""

from exporter.exports.tabular import FIELDS, report_as_dict, write_csv, write_json

__all__ = ["FIELDS", "report_as_dict", "write_csv", "write_json"]
