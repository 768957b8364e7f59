"""Reading sources into the canonical tables, with validation and a quarantine."""

from journeylens.ingest.mapping import ColumnMapping
from journeylens.ingest.pipeline import IngestOptions, IngestReport, ingest_files
from journeylens.ingest.validate import ParseOptions

__all__ = ["ColumnMapping", "IngestOptions", "IngestReport", "ParseOptions", "ingest_files"]
