"""A simulated programme: sectors, industries and companies observed over waves, each company
with its own true parameters and a known true change between waves.

Company ``i`` in industry ``j`` of sector ``s``: its customers' expectation mean is shifted by
``ce_i`` (all segments) and its satisfaction intercept is ``cs_i = sector_s + industry_j + u_i``
in the first wave and ``cs_i + delta_i`` in each later wave (``delta_i`` = the true latent
change, drawn per company). The true CSI of every company x wave is the census of its simulated
frame (``fieldwork/truth.json`` of the study, as for a single study), so the true change of any
level is the difference of the rolled-up truths. ``world_truth`` writes the drawn parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .streams import rng as _rng


@dataclass(frozen=True)
class WorldOptions:
    """Sizes and spreads of the simulated programme (latent units of the ACSI model)."""

    n_sectors: int = 3
    n_industries: int = 8
    n_companies: int = 40
    waves: tuple[str, ...] = ("2026Q2", "2026Q3")
    sector_sd: float = 0.15
    industry_sd: float = 0.15
    company_sd: float = 0.2
    ce_sd: float = 0.2
    change_sd: float = 0.15
    revenue_sdlog: float = 1.0


def simulate_world(
    options: WorldOptions | None = None, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(studies sheet, sector weights, truth) of a simulated programme.

    The sheet's ``set`` column carries each company x wave's true parameters as config
    overrides (``fieldwork.model.latent_intercepts.CS``, ``fieldwork.model.ce_mean.segment``).
    Every sector has at least one industry and every industry at least one company.
    """
    o = options or WorldOptions()
    if not (1 <= o.n_sectors <= o.n_industries <= o.n_companies):
        raise ValueError("need 1 <= n_sectors <= n_industries <= n_companies")
    r = _rng(seed, "programme-world")
    sectors = [f"S{k + 1}" for k in range(o.n_sectors)]
    industries = [f"I{k + 1:02d}" for k in range(o.n_industries)]
    ind_sector = [sectors[k % o.n_sectors] for k in range(o.n_industries)]
    comp_ind = [industries[k % o.n_industries] for k in range(o.n_companies)]
    sector_eff = dict(zip(sectors, r.normal(0, o.sector_sd, o.n_sectors), strict=True))
    ind_eff = dict(zip(industries, r.normal(0, o.industry_sd, o.n_industries), strict=True))
    u = r.normal(0, o.company_sd, o.n_companies)
    ce = r.normal(0, o.ce_sd, o.n_companies)
    delta = r.normal(0, o.change_sd, o.n_companies)
    revenue = np.round(np.exp(r.normal(3, o.revenue_sdlog, o.n_companies)), 1)
    gdp = r.dirichlet(np.full(o.n_sectors, 5.0))
    seg_base = {"personal": 0.0, "family": 0.5, "business": -0.8}
    rows, truth = [], []
    for i in range(o.n_companies):
        ind = comp_ind[i]
        sec = ind_sector[industries.index(ind)]
        cid = f"C{i + 1:03d}"
        seg = ", ".join(f"{k}: {v + ce[i]:.4f}" for k, v in seg_base.items())
        for k, wave in enumerate(o.waves):
            cs = sector_eff[sec] + ind_eff[ind] + u[i] + (delta[i] if k > 0 else 0.0)
            rows.append(
                {
                    "study": cid,
                    "wave": wave,
                    "industry": ind,
                    "sector": sec,
                    "revenue": f"{revenue[i]:.1f}",
                    "set": f"fieldwork.model.latent_intercepts.CS={cs:.4f}; "
                    f"fieldwork.model.ce_mean.segment={{{seg}}}",
                }
            )
            truth.append(
                {
                    "study": cid,
                    "wave": wave,
                    "industry": ind,
                    "sector": sec,
                    "cs_intercept": round(cs, 4),
                    "ce_shift": round(float(ce[i]), 4),
                    "latent_change": round(float(delta[i]), 4) if k > 0 else 0.0,
                }
            )
    sheet = pd.DataFrame(rows)
    weights = pd.DataFrame({"sector": sectors, "weight": np.round(gdp, 4)})
    return sheet, weights, pd.DataFrame(truth)
