"""Design weights: the inverse of the inclusion probability (one or several stages)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from csindex.errors import InputError


def design_weights(sample: pd.DataFrame) -> np.ndarray:
    """Design weight ``1/pi``; ``pi`` is the column ``pi`` or the product of ``pi_1, pi_2, ...``.

    Without inclusion probabilities but with ``fpc_1`` (one-stage, ``N_h``) the weight is
    ``N_h / n_h`` with ``n_h`` the sampled units in the stratum (column ``stratum``)."""
    if "pi" in sample.columns and sample["pi"].notna().all():
        pi = sample["pi"].to_numpy(float)
        col = "pi"
    else:
        stages = sorted(c for c in sample.columns if c.startswith("pi_"))
        if stages:
            pi = np.prod(sample[stages].to_numpy(float), axis=1)
            col = stages[0]
        elif "fpc_1" in sample.columns:
            strata = (
                sample["stratum"] if "stratum" in sample.columns else pd.Series(0, sample.index)
            )
            n_h = strata.map(strata.value_counts()).to_numpy(float)
            pi = n_h / sample["fpc_1"].to_numpy(float)
            col = "fpc_1"
        else:
            raise InputError(
                "no inclusion probabilities: need column 'pi', 'pi_1'... or 'fpc_1'",
                column="pi",
            )
    bad = ~np.isfinite(pi) | (pi <= 0) | (pi > 1 + 1e-12)
    if bad.any():
        row = int(np.flatnonzero(bad)[0]) + 1
        raise InputError(
            f"inclusion probabilities must be in (0, 1]; {int(bad.sum())} are not "
            f"(first: {pi[bad][0]!r}); a quota sample has no design weights",
            row=row,
            column=col,
        )
    return 1.0 / pi
