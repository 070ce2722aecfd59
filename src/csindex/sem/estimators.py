"""The estimators of config ``model.estimator`` and their result classes: what differs between
PLS-PM and CB-SEM (fitting from the config, the rows used, replicate refits) is a method or
attribute of :class:`~csindex.sem.pls.PLSResult` / :class:`~csindex.sem.cbsem.CBSEMResult`,
found here once instead of ``estimator == "pls"`` branches."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ConfigError
from .cbsem import CBSEMResult
from .pls import PLSResult
from .plsc import PLScResult
from .wlsmv import WLSMVResults

ESTIMATORS: dict[str, type] = {
    "pls": PLSResult,
    "cbsem": CBSEMResult,
    "plsc": PLScResult,
    "wlsmv": WLSMVResults,
}


def fit_class(model_cfg: Mapping[str, Any] | None) -> type:
    """The result class of config section ``model`` (``estimator``: pls | cbsem | plsc | wlsmv)."""
    name = (model_cfg or {}).get("estimator", "pls")
    try:
        return ESTIMATORS[name]
    except (KeyError, TypeError):
        raise ConfigError(
            f"{name!r} not allowed; allowed: {', '.join(ESTIMATORS)}", key="model.estimator"
        ) from None
