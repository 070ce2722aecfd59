"""The ECSI mobile-phone data (tests/fixtures/data/ecsi_mobi.csv) and the models the SEM tests
fit to it: the full ACSI model of figure 4-1 and a smaller five-construct one without complaints."""

from pathlib import Path

from csindex.api import ECSI_BLOCKS
from csindex.instrument import ACSI_PATHS

FIX = Path(__file__).parent / "fixtures" / "data"

ACSI_BLOCKS = {c: list(items) for c, items in ECSI_BLOCKS.items() if c != "IM"}
"""The six ACSI constructs' items (the library's ECSI_BLOCKS without Image)."""
ACSI_MODEL_PATHS = list(ACSI_PATHS)

SMALL_BLOCKS = {
    "CE": ["CUEX1", "CUEX2", "CUEX3"],
    "PQ": ["PERQ1", "PERQ2", "PERQ3"],
    "PV": ["PERV1", "PERV2"],
    "CS": ["CUSA1", "CUSA2", "CUSA3"],
    "CL": ["CUSL1", "CUSL3"],
}
SMALL_PATHS = [p for p in ACSI_PATHS if "CC" not in p]
