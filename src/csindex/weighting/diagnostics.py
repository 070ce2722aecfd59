"""Diagnostics of a weight vector: Kish effective n, deff due to weighting, CV, quantiles."""

from __future__ import annotations

import numpy as np


def weighting_diagnostics(w: np.ndarray) -> dict[str, float]:
    """Kish effective n ``(sum w)^2 / sum w^2``, deff due to weighting ``1 + CV^2`` (population
    CV), CV, min/max and quantiles of the weights."""
    w = np.asarray(w, float)
    n = w.size
    sw, sw2 = w.sum(), (w * w).sum()
    cv = float(w.std() / w.mean()) if n else float("nan")
    q = np.quantile(w, [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99]) if n else [np.nan] * 7
    return {
        "n": int(n),
        "sum": float(sw),
        "kish_n_eff": float(sw * sw / sw2) if sw2 > 0 else float("nan"),
        "deff_weighting": float(n * sw2 / (sw * sw)) if sw > 0 else float("nan"),
        "cv": cv,
        "min": float(w.min()) if n else float("nan"),
        "max": float(w.max()) if n else float("nan"),
        "max_min_ratio": float(w.max() / w.min()) if n and w.min() > 0 else float("nan"),
        **{
            f"q{int(p * 100):02d}": float(v)
            for p, v in zip([0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99], q, strict=True)
        },
    }
