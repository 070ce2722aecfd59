"""Indicator weights and the weighted index (seed 001, section 三; issue 6).

Methods: direct subjective weights, direct comparison (table 4-3), paired comparison
(table 4-4), Delphi with Kendall's W, AHP (Saaty), entropy and CRITIC on the weighted item data,
model-derived (outer weights, total effects). The hierarchy CSI -> constructs -> indicators
(-> level 4) combines local weights into global ones; the weighted index of every node on
0-100 is estimated with the survey design (csindex.estimation).
"""

from .delphi import DelphiResult, delphi, feedback_table, kendalls_w, round_summary
from .hierarchy import (
    Hierarchy,
    build_hierarchy,
    combine_weights,
    item_scores,
    node_scores,
    weighted_index,
)
from .methods import (
    SAATY_RI,
    WeightResult,
    WeightWarning,
    ahp,
    ahp_consistency,
    check_paired_matrix,
    check_reciprocal,
    critic_weights,
    direct_comparison,
    direct_weights,
    entropy_weights,
    equal_weights,
    paired_comparison,
    principal_eigen,
    weights_from_outer_weights,
    weights_from_total_effects,
)
from .pipeline import METHODS, IndicatorRun, level_weights, run_indicators, table_names

__all__ = [
    "SAATY_RI",
    "METHODS",
    "DelphiResult",
    "Hierarchy",
    "IndicatorRun",
    "WeightResult",
    "WeightWarning",
    "ahp",
    "ahp_consistency",
    "build_hierarchy",
    "check_paired_matrix",
    "check_reciprocal",
    "combine_weights",
    "critic_weights",
    "delphi",
    "direct_comparison",
    "direct_weights",
    "entropy_weights",
    "equal_weights",
    "feedback_table",
    "item_scores",
    "kendalls_w",
    "level_weights",
    "node_scores",
    "paired_comparison",
    "principal_eigen",
    "round_summary",
    "run_indicators",
    "table_names",
    "weighted_index",
    "weights_from_outer_weights",
    "weights_from_total_effects",
]
