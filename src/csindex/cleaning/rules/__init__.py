"""The cleaning rules, each a small function registered in order (:func:`cleaning_rule`), each
configurable (:class:`CleaningOptions`) and each writing to one audit log (:class:`AuditLog`).

Order (cell rules see the rows left by the duplicates rule; row rules are evaluated
independently of each other on the same rows, so each count is the number of rows meeting that
rule's criterion; a row failing several is logged once per rule and dropped once):

1. ``duplicates``: rows sharing a key (``respondent_id``, then ``unit_id``) — keep first, last
   or the most complete (most valid answers; ties: first).
2. cell rules: ``non_numeric`` (text in an item cell, found at ingest), ``dont_know`` and
   ``refused`` codes, ``off_scale`` codes → missing.
3. row rules: ``speeder`` (duration < fraction × median duration), ``straightlining`` (the same
   raw answer on ≥ k Likert items spanning ≥ m constructs), ``attention`` (instructed answer not
   given), ``min_answered`` (valid answers < share × number of items) → row dropped.
4. recodes on kept rows: ``reverse`` (x → min + max − x), ``quantity_cut`` (a quantity in five
   intervals → 1..5, seed 001 section 二), ``impute`` (optional); ``pilot`` (optional).

Everything is vectorised over respondents (loops run over items and scale points only).
"""

from .audit import (
    CELL_RULES,
    LOG_COLUMNS,
    RECODE_RULES,
    ROW_RULES,
    RULE_ORDER,
    AuditLog,
    format_numbers,
    redact_log_values,
)
from .engine import clean_responses
from .options import (
    CLEANING_DEFAULTS,
    AttentionOptions,
    CleaningOptions,
    DuplicatesOptions,
    ImputationOptions,
    MinAnsweredOptions,
    PilotOptions,
    QuantityCutOptions,
    SpeedersOptions,
    StraightliningOptions,
    Toggle,
    merge_config,
)
from .recodes import cut_five, cut_points
from .registry import CleaningRule, cleaning_rule, registered_rules
from .state import CleaningState, CleanResult

__all__ = [
    "CELL_RULES",
    "CLEANING_DEFAULTS",
    "LOG_COLUMNS",
    "RECODE_RULES",
    "ROW_RULES",
    "RULE_ORDER",
    "AttentionOptions",
    "AuditLog",
    "CleanResult",
    "CleaningOptions",
    "CleaningRule",
    "CleaningState",
    "DuplicatesOptions",
    "ImputationOptions",
    "MinAnsweredOptions",
    "PilotOptions",
    "QuantityCutOptions",
    "SpeedersOptions",
    "StraightliningOptions",
    "Toggle",
    "clean_responses",
    "cleaning_rule",
    "cut_five",
    "cut_points",
    "format_numbers",
    "merge_config",
    "redact_log_values",
    "registered_rules",
]
