"""The ECSI mobile-phone data (tests/fixtures/data/ecsi_mobi.csv) and the models the SEM tests
fit to it: the full ACSI model of figure 4-1 and a smaller five-construct one without complaints."""

from pathlib import Path

from csindex.instrument import ACSI_PATHS

FIX = Path(__file__).parent / "fixtures" / "data"

ACSI_BLOCKS = {
    "CE": ["CUEX1", "CUEX2", "CUEX3"],
    "PQ": [f"PERQ{i}" for i in range(1, 8)],
    "PV": ["PERV1", "PERV2"],
    "CS": ["CUSA1", "CUSA2", "CUSA3"],
    "CC": ["CUSCO"],
    "CL": ["CUSL1", "CUSL2", "CUSL3"],
}
ACSI_MODEL_PATHS = list(ACSI_PATHS)

SMALL_BLOCKS = {
    "CE": ["CUEX1", "CUEX2", "CUEX3"],
    "PQ": ["PERQ1", "PERQ2", "PERQ3"],
    "PV": ["PERV1", "PERV2"],
    "CS": ["CUSA1", "CUSA2", "CUSA3"],
    "CL": ["CUSL1", "CUSL3"],
}
SMALL_PATHS = [p for p in ACSI_PATHS if "CC" not in p]
