"""Parameter layout and model-implied statistics of a WLSMV model (:mod:`csindex.sem.wlsmv`).

Delta parameterization with marker-variable identification: latent responses
y* = Lambda eta + eps with Var(y*) = 1, eta = B eta + zeta, Cov(zeta) = Psi, so
Phi = (I - B)^-1 Psi (I - B)^-T and the implied correlations are
offdiag(Lambda Phi Lambda' + Theta_offdiag), stacked as lavaan's ``vech(diagonal = FALSE)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from .ordinal import OrdinalStats
from .spec import ModelSpec


@dataclass
class ModelParameter:
    """One free parameter of a WLSMV model: its lavaan row and its matrix entry (i, j)."""

    lhs: str
    op: str
    rhs: str
    kind: str  # lambda, beta, psi, theta, tau
    i: int
    j: int


def topological_order(spec: ModelSpec) -> list[str]:
    """The constructs in an order where every construct follows its predecessors."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(c: str) -> None:
        if c in seen:
            return
        seen.add(c)
        for a in spec.predecessors(c):
            visit(a)
        order.append(c)

    for c in spec.constructs:
        visit(c)
    return order


class WLSMVModel:
    """Parameter layout and the model-implied statistics sigma(theta) of a WLSMV model."""

    def __init__(self, spec: ModelSpec, st: OrdinalStats):
        self.spec = spec
        self.items = list(st.items)
        self.cons = spec.constructs
        self.p, self.m = len(self.items), len(self.cons)
        self.nth = st.n_thresholds
        ci = {c: k for k, c in enumerate(self.cons)}
        ii = {x: k for k, x in enumerate(self.items)}
        self.single = set(spec.single_indicator)
        self.Lam0 = np.zeros((self.p, self.m))
        pars: list[ModelParameter] = []
        for c, its in spec.blocks.items():
            self.Lam0[ii[its[0]], ci[c]] = 1.0
            for x in its[1:]:
                pars.append(ModelParameter(c, "=~", x, "lambda", ii[x], ci[c]))
        for a, b in spec.paths:
            pars.append(ModelParameter(b, "~", a, "beta", ci[b], ci[a]))
        exo = [c for c in spec.exogenous]
        for c in self.cons:
            if c not in self.single:
                pars.append(ModelParameter(c, "~~", c, "psi", ci[c], ci[c]))
        for k, a in enumerate(exo):
            for b in exo[k + 1 :]:
                pars.append(ModelParameter(a, "~~", b, "psi", ci[a], ci[b]))
        exo_pairs = {frozenset((a, b)) for k, a in enumerate(exo) for b in exo[k + 1 :]}
        for a, b in spec.covariances:
            if a == b:
                raise ConfigError(
                    f"variance {a} ~~ {b} cannot be set under WLSMV (delta parameterization: "
                    "item residual variances are 1 minus the explained variance)",
                    key="model.covariances",
                )
            if a in ci and b in ci:
                if frozenset((a, b)) not in exo_pairs:
                    pars.append(ModelParameter(a, "~~", b, "psi", ci[a], ci[b]))
            elif a in ii and b in ii:
                pars.append(ModelParameter(a, "~~", b, "theta", ii[a], ii[b]))
            else:
                raise ConfigError(
                    f"covariance {a} ~~ {b} between a construct and an item is not supported "
                    "under WLSMV",
                    key="model.covariances",
                )
        self.pars = pars
        self.q = len(pars)
        self.topo = [c for c in topological_order(spec) if c in self.single]
        self.tri = np.tril_indices(self.p, -1)
        # lavaan's vech(diagonal = FALSE) order: column by column
        order = np.lexsort((self.tri[0], self.tri[1]))
        self.lo = (self.tri[0][order], self.tri[1][order])
        self.ci = ci

    def matrices(self, theta: np.ndarray, psi_fixed: np.ndarray | None = None):
        """Lambda, B, Psi, Phi, Theta at theta (a single-item construct's Psi set so that its
        total variance is 1, or to ``psi_fixed``)."""
        dt = theta.dtype
        Lam = self.Lam0.astype(dt)
        B = np.zeros((self.m, self.m), dt)
        Psi = np.zeros((self.m, self.m), dt)
        Th = np.zeros((self.p, self.p), dt)
        for v, pr in zip(theta, self.pars, strict=True):
            if pr.kind == "lambda":
                Lam[pr.i, pr.j] = v
            elif pr.kind == "beta":
                B[pr.i, pr.j] = v
            elif pr.kind == "psi":
                Psi[pr.i, pr.j] = Psi[pr.j, pr.i] = v
            else:
                Th[pr.i, pr.j] = Th[pr.j, pr.i] = v
        IB = np.linalg.inv(np.eye(self.m) - B)
        Phi = IB @ Psi @ IB.T
        for c in self.topo:  # single-item constructs: total variance 1
            k = self.ci[c]
            Psi[k, k] = 1.0 - Phi[k, k] if psi_fixed is None else psi_fixed[k]
            Phi = IB @ Psi @ IB.T
        return Lam, B, Psi, Phi, Th

    def sigma_cor(self, theta: np.ndarray, psi_fixed: np.ndarray | None = None) -> np.ndarray:
        """The implied correlations below the diagonal, column by column."""
        Lam, _, _, Phi, Th = self.matrices(theta, psi_fixed)
        S = Lam @ Phi @ Lam.T + Th
        return S[self.lo]

    def jacobian(self, theta: np.ndarray, psi_fixed: np.ndarray | None = None) -> np.ndarray:
        """d sigma / d theta by complex-step derivatives (exact to rounding)."""
        h = 1e-30
        J = np.empty((len(self.lo[0]), self.q))
        for k in range(self.q):
            t = theta.astype(complex)
            t[k] += 1j * h
            J[:, k] = self.sigma_cor(t, psi_fixed).imag / h
        return J

    def start(self, R: np.ndarray) -> np.ndarray:
        """Start values: loadings 1, latent variances 0.5 (exogenous) or 0.2, the rest 0."""
        th = np.zeros(self.q)
        for k, pr in enumerate(self.pars):
            if pr.kind == "lambda":
                th[k] = 1.0
            elif pr.kind == "psi" and pr.i == pr.j:
                th[k] = 0.5 if self.cons[pr.i] in self.spec.exogenous else 0.2
        return th
