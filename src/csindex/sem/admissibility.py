"""Admissibility of a fitted covariance-structure model, in plain words.

Checks (never raise; every problem becomes a message):

* non-convergence (the gradient of the ML discrepancy is not ~0 at the end of the iterations);
* Heywood cases: negative variances (item error variances, latent (disturbance) variances) and
  standardized loadings above 1 in absolute value;
* non-positive-definite matrices: the latent covariance matrix, the error covariance matrix,
  the model-implied covariance matrix;
* near-unidentification: latent correlations above a limit (default 0.95), or an information
  matrix that is (nearly) singular, so that standard errors are not trustworthy.

lavaan itself can report "converged" while its post-check fails; here every check is run and
reported whatever the optimiser said.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np


@dataclass
class Admissibility:
    """Result of the checks; ``admissible`` is True when no problem was found."""

    converged: bool
    gradient_norm: float
    iterations: int
    heywood: list[str] = field(default_factory=list)
    not_positive_definite: list[str] = field(default_factory=list)
    near_unidentified: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    @property
    def admissible(self) -> bool:
        return not self.messages

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["admissible"] = self.admissible
        return d

    def summary(self) -> str:
        if self.admissible:
            return (
                f"The solution is admissible: converged in {self.iterations} iterations "
                f"(largest gradient {self.gradient_norm:.1e}), no negative variances, all "
                "matrices positive definite, no latent correlation near 1."
            )
        return "The solution has problems:\n" + "\n".join(f"  - {m}" for m in self.messages)


def _is_pd(a: np.ndarray) -> bool:
    if not np.all(np.isfinite(a)):
        return False
    try:
        np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        return False
    return True


def check_admissibility(
    *,
    converged: bool,
    gradient_norm: float,
    iterations: int,
    items: list[str],
    constructs: list[str],
    Lambda: np.ndarray,
    Psi: np.ndarray,
    Theta: np.ndarray,
    C: np.ndarray,
    Sigma: np.ndarray,
    information: np.ndarray | None = None,
    correlation_limit: float = 0.95,
    fixed_zero_items: tuple[str, ...] = (),
) -> Admissibility:
    """Run every check on the fitted matrices (C = latent covariance, Sigma = implied)."""
    adm = Admissibility(
        converged=bool(converged), gradient_norm=float(gradient_norm), iterations=int(iterations)
    )
    msgs = adm.messages
    if not converged:
        msgs.append(
            f"The estimation did not converge (largest gradient element {gradient_norm:.2e} "
            f"after {iterations} iterations); the estimates are not a maximum of the likelihood."
        )
    try:
        _negative_variances(adm, items, constructs, Psi, Theta, fixed_zero_items)
        dC = _standardized_loadings(adm, items, constructs, Lambda, C, Sigma)
        _positive_definite(adm, items, C, Theta, Sigma, fixed_zero_items)
        _latent_correlations(adm, constructs, C, dC, correlation_limit)
        if information is not None:
            _information_check(adm, information)
    except Exception as e:  # pragma: no cover - the checks must never crash a run
        msgs.append(f"The admissibility checks could not be completed: {e}")
    return adm


def _negative_variances(adm: Admissibility, items, constructs, Psi, Theta, fixed_zero_items):
    """Heywood cases: negative item error variances (not fixed at 0) and latent variances."""
    msgs = adm.messages
    for k, it in enumerate(items):
        v = Theta[k, k]
        if it in fixed_zero_items:
            continue
        if not np.isfinite(v) or v < 0:
            adm.heywood.append(it)
            msgs.append(f"Heywood case: the error variance of item {it} is negative ({v:.4g}).")
    for k, c in enumerate(constructs):
        v = Psi[k, k]
        if not np.isfinite(v) or v < 0:
            adm.heywood.append(c)
            msgs.append(
                f"Heywood case: the (disturbance) variance of construct {c} is negative ({v:.4g})."
            )


def _standardized_loadings(adm: Admissibility, items, constructs, Lambda, C, Sigma) -> np.ndarray:
    """Heywood cases: standardized loadings Lambda sd(eta) / sd(x) beyond 1 in absolute value;
    returns the latent standard deviations."""
    dS = np.sqrt(np.clip(np.diag(Sigma), 1e-300, None))
    dC = np.sqrt(np.clip(np.diag(C), 1e-300, None))
    std_load = Lambda * dC[None, :] / dS[:, None]
    for i, j in zip(*np.nonzero(np.abs(std_load) > 1.0 + 1e-8), strict=True):
        adm.heywood.append(f"{constructs[j]}=~{items[i]}")
        adm.messages.append(
            f"Heywood case: the standardized loading of {items[i]} on {constructs[j]} is "
            f"{std_load[i, j]:.3f}, beyond 1 in absolute value."
        )
    return dC


def _positive_definite(adm: Admissibility, items, C, Theta, Sigma, fixed_zero_items) -> None:
    """The latent, error (without the items fixed at 0) and implied covariance matrices are PD."""
    keep = [k for k, it in enumerate(items) if it not in fixed_zero_items]
    for name, mat, what in (
        ("latent covariance", C, "covariance matrix of the latent variables"),
        # zero error variances fixed on purpose (single indicators) are allowed
        ("error covariance", Theta[np.ix_(keep, keep)], "error covariance matrix of the items"),
        ("implied covariance", Sigma, "model-implied covariance matrix of the items"),
    ):
        if mat.size and not _is_pd(mat):
            adm.not_positive_definite.append(name)
            adm.messages.append(f"The {what} is not positive definite.")


def _latent_correlations(
    adm: Admissibility, constructs, C, dC: np.ndarray, correlation_limit: float
) -> None:
    """Near-unidentification: latent correlations above ``correlation_limit``."""
    corr = C / np.outer(dC, dC)
    m = len(constructs)
    for i in range(m):
        for j in range(i + 1, m):
            r = corr[i, j]
            if np.isfinite(r) and abs(r) > correlation_limit:
                adm.near_unidentified.append(f"{constructs[i]}~~{constructs[j]}")
                adm.messages.append(
                    f"Nearly unidentified: the latent variables {constructs[i]} and "
                    f"{constructs[j]} correlate {r:.3f} (above {correlation_limit}); the "
                    "data cannot tell them apart and their paths are unstable."
                )


def _information_check(adm: Admissibility, information: np.ndarray) -> None:
    """Near-unidentification: an information matrix with condition number above 1e12."""
    if not np.all(np.isfinite(information)):
        ev_min, cond = float("nan"), float("inf")
    else:
        ev = np.linalg.eigvalsh((information + information.T) / 2)
        ev_min = float(ev[0])
        cond = float(ev[-1] / ev[0]) if ev[0] > 0 else float("inf")
    if not np.isfinite(cond) or cond > 1e12:
        adm.near_unidentified.append("information matrix")
        adm.messages.append(
            "The information matrix is (nearly) singular (smallest eigenvalue "
            f"{ev_min:.2e}); the model may not be identified and standard errors are not "
            "trustworthy."
        )


def batch_flags(
    Psi: np.ndarray,
    Theta: np.ndarray,
    C: np.ndarray,
    free_theta_diag: np.ndarray,
    correlation_limit: float = 0.95,
) -> dict[str, np.ndarray]:
    """Vectorised checks over replicates (leading axis R): negative variances, latent
    covariance not PD, latent correlation above the limit. Returns boolean arrays."""
    th = np.diagonal(Theta, axis1=1, axis2=2)[:, free_theta_diag]
    ps = np.diagonal(Psi, axis1=1, axis2=2)
    heywood = (th < 0).any(axis=1) | (ps < 0).any(axis=1)
    dC = np.diagonal(C, axis1=1, axis2=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        ev = np.linalg.eigvalsh(C)
        npd = ~(ev[:, 0] > 0) | ~np.isfinite(ev).all(axis=1)
        sd = np.sqrt(np.clip(dC, 1e-300, None))
        corr = C / (sd[:, :, None] * sd[:, None, :])
    m = C.shape[1]
    off = ~np.eye(m, dtype=bool)
    maxcorr = (
        np.where(np.isfinite(corr), np.abs(corr), np.inf)[:, off].max(axis=1)
        if m > 1
        else np.zeros(len(C))
    )
    return {
        "heywood": heywood,
        "not_positive_definite": npd,
        "near_unidentified": maxcorr > correlation_limit,
    }
