"""The report as a PDF: layout (the story), drawing (day strips), styles (fonts, colours)."""

from reports.pdf.layout import write_pdf

__all__ = ["write_pdf"]
