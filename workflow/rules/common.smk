# Configuration, validation, versioning and input functions shared by every rule.
import os
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version, validate

min_version("8.20")

# The library lives in src/ (installed with `pip install -e .`); this keeps a plain checkout
# working too.
sys.path.insert(0, str(Path(workflow.basedir) / "src"))

from csindex.config import check_config, config_errors  # noqa: E402
from csindex.versioning import overwrite_refusal, version_status  # noqa: E402

SCHEMA = "../schemas/config.schema.yaml"

from csindex.workflow import stale_lock_hint  # noqa: E402

if stale_lock_hint(os.getcwd(), sys.argv):  # a killed run leaves a lock: say how to remove it
    print(stale_lock_hint(os.getcwd(), sys.argv), file=sys.stderr)

_problems = config_errors(config, Path(workflow.basedir) / "workflow/schemas/config.schema.yaml")
if _problems:
    raise WorkflowError(
        f"{len(_problems)} problem(s) in the study configuration "
        f"({', '.join(map(str, workflow.configfiles)) or 'config'}):\n  - " + "\n  - ".join(_problems)
    )
# Fill in the defaults of every section (snakemake's validate does not descend into the $ref'd
# section files to fill theirs), then validate the way every Snakemake workflow does.
_filled = check_config(config, Path(workflow.basedir) / "workflow/schemas/config.schema.yaml")
config.clear()
config.update(_filled)
validate(config, SCHEMA)

STUDY = config["study"]
VERSION = config["version"]
OUT = f"{config['results_dir']}/{STUDY}/{VERSION}"
INSTRUMENT = config["instrument"]
START = config["start"]

if not Path(INSTRUMENT).is_file():
    raise WorkflowError(
        f"config key instrument: file {INSTRUMENT!r} does not exist "
        "(give the path of the questionnaire YAML, e.g. config/instrument.yaml)"
    )

from csindex.preflight import preflight  # noqa: E402

# Checked before any job starts: model syntax, allocation, margins, expert files, YAML keys
_preflight = preflight(config, workflow.configfiles)
if _preflight:
    raise WorkflowError(
        f"{len(_preflight)} problem(s) found before any job started:\n  - " + "\n  - ".join(_preflight)
    )

VERSION_STATUS = version_status(OUT, config)  # also checks the outputs' sha256
if VERSION_STATUS.blocked:
    raise WorkflowError(VERSION_STATUS.message(STUDY, VERSION))
if overwrite_refusal(VERSION_STATUS, sys.argv, STUDY, VERSION):  # --delete-all-output, -F, ...
    raise WorkflowError(overwrite_refusal(VERSION_STATUS, sys.argv, STUDY, VERSION))
FINISHED = VERSION_STATUS.finished


wildcard_constraints:
    shard=r"\d+",


# ---------------------------------------------------------------- input functions
def from_frame():
    return START == "frame"


def get_frame():
    """The sampling frame: the user's file (frame.path) or the simulated one."""
    path = config["frame"].get("path")
    return path if path else f"{OUT}/frame/frame.parquet"


def get_sample():
    return [f"{OUT}/sample/sample.parquet"] if from_frame() else []


def get_design():
    return [f"{OUT}/sample/design.json"] if from_frame() else []


def get_raw_responses():
    """The raw response file: the user's (responses.path) or the simulated fieldwork."""
    path = config["responses"].get("path")
    if path:
        return path
    if not from_frame():
        raise WorkflowError(
            "config key responses.path: required when start is 'responses' "
            "(the path of your response file: CSV, Excel, SPSS .sav or Parquet)"
        )
    return f"{OUT}/fieldwork/raw_responses.csv"


def simulated_fieldwork():
    return from_frame() and not config["responses"].get("path")


def get_dispositions():
    return [f"{OUT}/fieldwork/dispositions.parquet"] if simulated_fieldwork() else []


def get_truth():
    return [f"{OUT}/fieldwork/truth.json"] if simulated_fieldwork() else []


def get_injected():
    return [f"{OUT}/fieldwork/injected.json"] if simulated_fieldwork() else []


def get_clean():
    return f"{OUT}/clean/responses.parquet"


def get_weights():
    return [f"{OUT}/weights/weights.parquet"]


def get_weights_diagnostics():
    return [f"{OUT}/weights/diagnostics.json"]


def get_model():
    return {
        "estimates": f"{OUT}/model/estimates.csv",
        "outer_weights": f"{OUT}/model/outer_weights.csv",
        "effects": f"{OUT}/model/effects.csv",
        "scores": f"{OUT}/model/scores.parquet",
        "fit": f"{OUT}/model/fit.json",
    }


def bootstrap_shards():
    n = int(config["bootstrap"].get("shards", 1) or 1)
    return [f"{OUT}/model/bootstrap/shard_{k}.parquet" for k in range(n)]


# model stage (fit_model, bootstrap, index)
def get_bootstrap_ci():
    """model/bootstrap_ci.csv when the bootstrap runs (bootstrap.replicates > 0), else none."""
    if int(config["bootstrap"].get("replicates", 0) or 0) > 0:
        return [f"{OUT}/model/bootstrap_ci.csv"]
    return []


def get_final_targets():
    """The default target: the manifest, written last. A finished version has nothing to do."""
    # `snakemake --report` of a finished version needs its DAG, which reruns nothing.
    if FINISHED and not any(a.startswith("--report") for a in sys.argv):
        print(
            f"Version {VERSION!r} of study {STUDY!r} is finished ({OUT}/manifest.json) and "
            "its inputs are unchanged: nothing to do.",
            file=sys.stderr,
        )
        return []
    return [f"{OUT}/manifest.json"]


# ---------------------------------------------------------------- manifest
# Rules whose outputs the manifest records (those present in the workflow and used by the study).
MANIFEST_RULES = [
    "simulate_frame",
    "design",
    "draw_sample",
    "fieldwork",
    "ingest",
    "clean",
    "weights",
    "indicator_weights",
    "fit_model",
    "gather_bootstrap",
    "index",
    "report",
]


def _rule_used(name):
    if name in ("design", "draw_sample"):
        return from_frame()
    if name == "simulate_frame":
        return from_frame() and not config["frame"].get("path")
    if name == "fieldwork":
        return simulated_fieldwork()
    if name == "gather_bootstrap":
        return int(config["bootstrap"].get("replicates", 0) or 0) > 0
    return True


def get_manifest_inputs():
    present = {r.name for r in workflow.rules}
    files = []
    for name in MANIFEST_RULES:
        if name in present and _rule_used(name):
            files += [str(f) for f in getattr(rules, name).output]
    return files


# ---------------------------------------------------------------- indicator weights
from csindex.indicators.pipeline import FILE_METHODS, table_names  # noqa: E402


def _indicator_specs():
    cfg = config["indicators"]
    return list((cfg.get("levels") or {}).values()) + list(cfg.get("alternatives") or [])


def get_indicator_expert_files():
    """Every expert file named in the config (so a changed file re-runs the rule)."""
    specs = [s for s in _indicator_specs() if s.get("method") in FILE_METHODS]
    return sorted({f for s in specs for f in (s.get("files") or [])})


def get_indicator_model_input(kind):
    """The SEM stage's table when a method needs it: outer_weights or total_effects."""
    method = {"outer_weights": "outer_weights", "effects": "total_effects"}[kind]
    if any(s.get("method") == method for s in _indicator_specs()):
        return [get_model()[kind]]
    return []


# ---------------------------------------------------------------- report
REPORT_STAGE_RULES = [
    "design",
    "draw_sample",
    "fieldwork",
    "clean",
    "weights",
    "indicator_weights",
    "fit_model",
    "gather_bootstrap",
    "index",
]


def get_report_inputs(wildcards):
    """Outputs of the stages this study runs (rules present in the workflow and used)."""
    present = {r.name for r in workflow.rules}
    files = [INSTRUMENT]
    for name in REPORT_STAGE_RULES:
        if name in present and _rule_used(name):
            files += [str(f) for f in getattr(rules, name).output]
    return files
