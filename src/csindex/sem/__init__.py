"""Structural equation models of the CSI: model specification, CB-SEM (ML, lavaan-exact),
fit indices, admissibility checks (PLS-PM lives in its own modules)."""

from .spec import ACSI_PATHS, IMAGE, ModelSpec, acsi_spec, ecsi_spec, spec_from_config

__all__ = ["ACSI_PATHS", "IMAGE", "ModelSpec", "acsi_spec", "ecsi_spec", "spec_from_config"]
