"""Data in and cleaning: read a response file (CSV/Excel/SPSS/Parquet), validate it against the
instrument, remove identifiers, apply the cleaning rules with an audit log, report response
rates and a pilot item analysis."""

from .codebook import Codebook, validate_codebook
from .dispositions import disposition_table, response_rates
from .ingest import Ingested, RawTable, ingest_file, read_responses
from .pilot import cronbach_alpha, item_analysis, pilot_items
from .privacy import PrivacyResult, apply_privacy, looks_like_pii
from .rules import (
    CLEANING_DEFAULTS,
    CleanResult,
    clean_responses,
    cut_five,
    cut_points,
    merge_config,
)

__all__ = [
    "CLEANING_DEFAULTS",
    "CleanResult",
    "Codebook",
    "Ingested",
    "PrivacyResult",
    "RawTable",
    "apply_privacy",
    "clean_responses",
    "cronbach_alpha",
    "cut_five",
    "cut_points",
    "disposition_table",
    "ingest_file",
    "item_analysis",
    "looks_like_pii",
    "merge_config",
    "pilot_items",
    "read_responses",
    "response_rates",
    "validate_codebook",
]
