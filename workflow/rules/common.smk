# Configuration, validation, the programme sheet, versioning and input functions shared by
# every rule. A run is a programme: one row per study x wave of config/studies.tsv (config key
# programme.studies); a plain single-study config is a programme of one.
import os
import re
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from types import SimpleNamespace
from snakemake.utils import min_version, validate

min_version("8.20")

# The library lives in src/ (installed with `pip install -e .`); this keeps a plain checkout
# working too.
# The project root from this file's own folder (workflow/rules), which also holds when the
# workflow is used as a Snakemake module from another project.
PROJECT = Path(str(workflow.current_basedir)).resolve().parents[1]
sys.path.insert(0, str(PROJECT / "src"))

from csindex.config import check_config, config_errors  # noqa: E402
from csindex.errors import CsindexError  # noqa: E402
from csindex.programme.sheet import (  # noqa: E402
    StudyRow,
    read_sectors,
    read_studies,
    rows as sheet_rows,
    study_config,
    wave_order,
)
from csindex.versioning import overwrite_refusal, version_status  # noqa: E402

SCHEMA = "../schemas/config.schema.yaml"
_SCHEMA_PATH = PROJECT / "workflow/schemas/config.schema.yaml"

from csindex.workflow import drop_empty_rule_message, stale_lock_hint  # noqa: E402

drop_empty_rule_message()  # no "message: None" under a failed job's one-line ERROR

if stale_lock_hint(os.getcwd(), sys.argv):  # a killed run leaves a lock: say how to remove it
    print(stale_lock_hint(os.getcwd(), sys.argv), file=sys.stderr)

# Several --configfile files are merged by Snakemake into ONE study (the last file's name
# wins): refuse, and say how several studies are run.
if len(workflow.overwrite_configfiles or []) > 1:
    raise WorkflowError(
        f"{len(workflow.overwrite_configfiles)} --configfile files were given "
        f"({', '.join(map(str, workflow.overwrite_configfiles))}); Snakemake would merge them "
        "into one study. Run one study per --configfile, or several studies in one run with a "
        "studies sheet: set programme.studies (see config/examples/programme.yaml)."
    )

_problems = config_errors(config, _SCHEMA_PATH)
if _problems:
    raise WorkflowError(
        f"{len(_problems)} problem(s) in the study configuration "
        f"({', '.join(map(str, workflow.configfiles)) or 'config'}):\n  - " + "\n  - ".join(_problems)
    )
# Fill in the defaults of every section (snakemake's validate does not descend into the $ref'd
# section files to fill theirs), then validate the way every Snakemake workflow does.
_filled = check_config(config, _SCHEMA_PATH)
config.clear()
config.update(_filled)
validate(config, SCHEMA)

VERSION = config["version"]
PROGRAMME_CFG = config.get("programme") or {}
IS_PROGRAMME = bool(PROGRAMME_CFG.get("studies"))

try:
    if IS_PROGRAMME:
        PROGRAMME = PROGRAMME_CFG.get("name") or config["study"]
        SHEET = read_studies(PROGRAMME_CFG["studies"])
        STUDY_ROWS = sheet_rows(SHEET)
        SECTOR_WEIGHTS = read_sectors(PROGRAMME_CFG["sectors"], sorted(set(SHEET["sector"])))
    else:
        PROGRAMME = config["study"]
        STUDY_ROWS = [
            StudyRow(config["study"], config.get("wave") or "-", "-", "-", 1.0)
        ]
        SECTOR_WEIGHTS = None
except CsindexError as exc:
    raise WorkflowError(str(exc)) from None

# Per study x wave: the base config merged with the row's overlay, validated like the base.
STUDY_CONFIGS = {}
for _i, _row in enumerate(STUDY_ROWS, start=1):
    if not IS_PROGRAMME:
        STUDY_CONFIGS[(_row.study, _row.wave)] = config
        continue
    _where = f"{PROGRAMME_CFG['studies']} row {_i} (study {_row.study}, wave {_row.wave})"
    try:
        _cfg = study_config(config, _row)
    except CsindexError as exc:
        raise WorkflowError(f"{_where}: {exc}") from None
    _problems = config_errors(_cfg, _SCHEMA_PATH)
    if _problems:
        raise WorkflowError(
            f"{_where}: {len(_problems)} problem(s) in the study's configuration:\n  - "
            + "\n  - ".join(_problems)
        )
    STUDY_CONFIGS[(_row.study, _row.wave)] = check_config(_cfg, _SCHEMA_PATH)
ROW = {(r.study, r.wave): r for r in STUDY_ROWS}

RESULTS = config["results_dir"]
if IS_PROGRAMME:
    # results/<programme>/<version>/studies/<study>/<wave>/ and .../programme/
    PROG_OUT = f"{RESULTS}/{PROGRAMME}/{VERSION}"
    SOUT = f"{PROG_OUT}/studies/{{study}}/{{wave}}"
    STUDY_PATTERN = f"{PROG_OUT}/studies/{{study}}"
else:
    # A programme of one keeps the single-study layout: results/<study>/<version>/.
    PROG_OUT = f"{RESULTS}/{PROGRAMME}/{VERSION}"
    SOUT = f"{RESULTS}/{{study}}/{VERSION}"
    STUDY_PATTERN = f"{RESULTS}/{{study}}"  # rule study_trend is not used

STUDY = PROGRAMME  # names the run in messages
OUT = PROG_OUT


def version_config():
    """What a finished version is checked against: the config, and in a programme every
    study's merged config (so a changed overlay or sheet row counts as a change)."""
    if not IS_PROGRAMME:
        return config
    return {
        **config,
        "studies_resolved": {
            f"{s}/{w}": {k: v for k, v in c.items() if k not in ("version", "results_dir")}
            for (s, w), c in STUDY_CONFIGS.items()
        },
    }


from csindex.preflight import preflight  # noqa: E402

# Checked before any job starts, for every study x wave: model syntax, allocation, margins,
# expert files, duplicate YAML keys.
_preflight = []
for (_s, _w), _c in STUDY_CONFIGS.items():
    _where = f"study {_s}, wave {_w}: " if IS_PROGRAMME else ""
    for _msg in preflight(_c, workflow.configfiles):
        if _where + _msg not in _preflight:
            _preflight.append(_where + _msg)
if _preflight:
    raise WorkflowError(
        f"{len(_preflight)} problem(s) found before any job started:\n  - "
        + "\n  - ".join(_preflight)
    )

VERSION_STATUS = version_status(PROG_OUT, version_config())  # also checks the outputs' sha256
if VERSION_STATUS.blocked:
    raise WorkflowError(VERSION_STATUS.message(STUDY, VERSION))
if overwrite_refusal(VERSION_STATUS, sys.argv, STUDY, VERSION):  # --delete-all-output, -F, ...
    raise WorkflowError(overwrite_refusal(VERSION_STATUS, sys.argv, STUDY, VERSION))
FINISHED = VERSION_STATUS.finished

for (_s, _w), _c in STUDY_CONFIGS.items():
    if not Path(_c["instrument"]).is_file():
        raise WorkflowError(
            f"config key instrument{'' if not IS_PROGRAMME else f' (study {_s}, wave {_w})'}: "
            f"file {_c['instrument']!r} does not exist "
            "(give the path of the questionnaire YAML, e.g. config/instrument.yaml)"
        )


def _alternation(values):
    return "|".join(re.escape(v) for v in sorted(set(values)))


wildcard_constraints:
    shard=r"\d+",
    study=_alternation(r.study for r in STUDY_ROWS),
    wave=_alternation(r.wave for r in STUDY_ROWS),


# ---------------------------------------------------------------- per-study config
def _wc(wildcards):
    """Wildcards as a dict (snakemake's Wildcards or a SimpleNamespace)."""
    return dict(wildcards.items()) if hasattr(wildcards, "items") else dict(vars(wildcards))


def C(wildcards):
    """The study x wave's merged, validated config."""
    return STUDY_CONFIGS[(wildcards.study, getattr(wildcards, "wave", STUDY_ROWS[0].wave))]


def cfg(*keys, default=None):
    """params: function giving config[keys...] of the study x wave."""

    def get(wildcards):
        node = C(wildcards)
        for k in keys:
            if not isinstance(node, dict) or k not in node:
                return default
            node = node[k]
        return default if node is None else node

    return get


def study_wildcards():
    """Keyword lists for expand(): every study x wave of the programme."""
    if IS_PROGRAMME:
        return {"study": [r.study for r in STUDY_ROWS], "wave": [r.wave for r in STUDY_ROWS]}
    return {"study": [r.study for r in STUDY_ROWS]}


def all_studies(pattern):
    """``pattern`` for every study x wave (zipped, in sheet order)."""
    return expand(pattern, zip, **study_wildcards())


def get_instrument(wildcards):
    return C(wildcards)["instrument"]


# ---------------------------------------------------------------- input functions
def from_frame(wildcards):
    return C(wildcards)["start"] == "frame"


def get_frame(wildcards):
    """The sampling frame: the user's file (frame.path) or the simulated one."""
    path = C(wildcards)["frame"].get("path")
    return path if path else expand(f"{SOUT}/frame/frame.parquet", **_wc(wildcards))[0]


def get_frame_if_used(wildcards):
    return [get_frame(wildcards)] if from_frame(wildcards) else []


def get_sample(wildcards):
    return expand(f"{SOUT}/sample/sample.parquet", **_wc(wildcards)) if from_frame(wildcards) else []


def get_raw_responses(wildcards):
    """The raw response file: the user's (responses.path) or the simulated fieldwork."""
    path = C(wildcards)["responses"].get("path")
    if path:
        return path
    if not from_frame(wildcards):
        raise WorkflowError(
            "config key responses.path: required when start is 'responses' "
            "(the path of your response file: CSV, Excel, SPSS .sav or Parquet)"
        )
    return expand(f"{SOUT}/fieldwork/raw_responses.csv", **_wc(wildcards))[0]


def simulated_fieldwork(wildcards):
    return from_frame(wildcards) and not C(wildcards)["responses"].get("path")


def _if_simulated(rel):
    def get(wildcards):
        return expand(f"{SOUT}/{rel}", **_wc(wildcards)) if simulated_fieldwork(wildcards) else []

    return get


get_dispositions = _if_simulated("fieldwork/dispositions.parquet")


def bootstrap_shards(wildcards):
    n = int(C(wildcards)["bootstrap"].get("shards", 1) or 1)
    return expand(f"{SOUT}/model/bootstrap/shard_{{k}}.parquet", k=range(n), **_wc(wildcards))


def get_bootstrap_ci(wildcards):
    """model/bootstrap_ci.csv when the bootstrap runs (bootstrap.replicates > 0), else none."""
    if int(C(wildcards)["bootstrap"].get("replicates", 0) or 0) > 0:
        return expand(f"{SOUT}/model/bootstrap_ci.csv", **_wc(wildcards))
    return []


def get_previous_wave_index(wildcards):
    """The previous wave's index/csi.csv of the same study (a programme): the index of a wave
    is written after its predecessor's, so the study report compares waves in wave order."""
    if not IS_PROGRAMME:
        return []
    waves = sorted((r.wave for r in STUDY_ROWS if r.study == wildcards.study), key=wave_order)
    k = waves.index(wildcards.wave)
    if k == 0:
        return []
    return expand(f"{SOUT}/index/csi.csv", study=wildcards.study, wave=waves[k - 1])


def get_final_targets():
    """The default target: the manifest, written last. A finished version has nothing to do."""
    # `snakemake --report` of a finished version needs its DAG, which reruns nothing.
    if FINISHED and not any(a.startswith("--report") for a in sys.argv):
        print(
            f"Version {VERSION!r} of {'programme' if IS_PROGRAMME else 'study'} {STUDY!r} is "
            f"finished ({OUT}/manifest.json) and its inputs are unchanged: nothing to do.",
            file=sys.stderr,
        )
        return []
    return [f"{OUT}/manifest.json"]


# ---------------------------------------------------------------- manifest
# Rules whose outputs the manifest records (those present in the workflow and used by the study).
# Rules are looked up by their own names through `rules` (rules.has), which also works when the
# workflow is used as a Snakemake module with prefixed rule names.
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
    "validate",
    "report",
]
PROGRAMME_RULES = ["study_trend", "rollup", "programme_report"]


def _rule_used(name, wildcards):
    c = C(wildcards)
    if name in ("design", "draw_sample"):
        return from_frame(wildcards)
    if name == "simulate_frame":
        return from_frame(wildcards) and not c["frame"].get("path")
    if name in ("fieldwork", "validate"):  # validate: the simulated study against its truth
        return simulated_fieldwork(wildcards)
    if name == "gather_bootstrap":
        return int(c["bootstrap"].get("replicates", 0) or 0) > 0
    if name == "report":
        return bool(PROGRAMME_CFG.get("study_reports", True))
    return True


def _rule_outputs(name, wildcards):
    if not rules.has(name):
        return []
    return [str(f) for f in expand(list(getattr(rules, name).output), **_wc(wildcards))]


def get_study_outputs(wildcards, names=MANIFEST_RULES):
    files = []
    for name in names:
        if _rule_used(name, wildcards):
            files += _rule_outputs(name, wildcards)
    return files


def _study_wc(row):
    return {"study": row.study, "wave": row.wave} if IS_PROGRAMME else {"study": row.study}


def get_programme_truth():
    """validation/truth.json of every study x wave when every one is simulated (the rollup's
    ``truth`` columns: the true CSI rolled up with the same weights), else none."""
    wcs = [SimpleNamespace(**_study_wc(row)) for row in STUDY_ROWS]
    if not all(simulated_fieldwork(wc) for wc in wcs):
        return []
    return [str(f) for wc in wcs for f in expand(rules.validate.output.json, **_wc(wc))]


def get_manifest_inputs():
    files = []
    for row in STUDY_ROWS:
        files += get_study_outputs(SimpleNamespace(**_study_wc(row)))
    if IS_PROGRAMME:
        for name in PROGRAMME_RULES:
            if not rules.has(name):
                continue
            if name == "study_trend":
                files += expand(list(rules.study_trend.output), study=sorted({r.study for r in STUDY_ROWS}))
            else:
                files += [str(f) for f in getattr(rules, name).output]
    if not files:
        raise WorkflowError(
            "the manifest would list no outputs: no csindex rule is in the workflow (it has "
            f"{', '.join(r.name for r in workflow.rules)})"
        )
    return files


# ---------------------------------------------------------------- indicator weights
from csindex.indicators.pipeline import FILE_METHODS, table_names  # noqa: E402

INDICATOR_TABLES = table_names(config["indicators"])
for (_s, _w), _c in STUDY_CONFIGS.items():
    if table_names(_c["indicators"]) != INDICATOR_TABLES:
        raise WorkflowError(
            f"study {_s} wave {_w}: its indicators section writes other tables than the "
            "programme's; in a programme every study uses the same indicator methods"
        )


def _indicator_specs(wildcards):
    c = C(wildcards)["indicators"]
    return list((c.get("levels") or {}).values()) + list(c.get("alternatives") or [])


def get_indicator_expert_files(wildcards):
    """Every expert file named in the config (so a changed file re-runs the rule)."""
    specs = [s for s in _indicator_specs(wildcards) if s.get("method") in FILE_METHODS]
    return sorted({f for s in specs for f in (s.get("files") or [])})


def get_indicator_model_input(kind):
    """The SEM stage's table when a method needs it: outer_weights or total_effects."""
    method = {"outer_weights": "outer_weights", "effects": "total_effects"}[kind]

    def get(wildcards):
        if any(s.get("method") == method for s in _indicator_specs(wildcards)):
            return expand(f"{SOUT}/model/{kind}.csv", **_wc(wildcards))
        return []

    return get


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
    """Outputs of the stages this study runs (rules present in the workflow and used), and in a
    programme the previous wave's index tables (the report shows the change between waves)."""
    prev = get_previous_wave_dir(wildcards)
    extra = []
    if prev:
        extra = [f"{prev}/index/csi.csv"]
        if _rule_used("indicator_weights", wildcards):
            extra.append(f"{prev}/indicators/index.csv")
    return [get_instrument(wildcards)] + get_study_outputs(wildcards, REPORT_STAGE_RULES) + extra


def get_previous_wave_dir(wildcards):
    """The folder of the same study's previous wave in a programme ("" for the first wave and
    for a single study): the report's ``report.previous_wave``. Re-run versions of a wave are
    never compared; only waves are."""
    if not IS_PROGRAMME:
        return ""
    waves = sorted((r.wave for r in STUDY_ROWS if r.study == wildcards.study), key=wave_order)
    k = waves.index(wildcards.wave)
    if k == 0:
        return ""
    return expand(SOUT, study=wildcards.study, wave=waves[k - 1])[0]


# ---------------------------------------------------------------- programme
def get_wave_indices(wildcards):
    """index/csi.csv of every wave of one study (rule study_trend)."""
    waves = sorted((r.wave for r in STUDY_ROWS if r.study == wildcards.study), key=wave_order)
    return expand(f"{SOUT}/index/csi.csv", study=wildcards.study, wave=waves)


# ---------------------------------------------------------------- batches (rules in batch.smk)
from functools import lru_cache  # noqa: E402

from snakemake.iocontainers import Wildcards  # noqa: E402

from csindex.batch import encode_job, external_inputs, jobs_digest, order_jobs  # noqa: E402

BATCH_SIZE = int(PROGRAMME_CFG.get("batch_size") or 0)
# per study x wave, then per study (study_trend)
BATCH_WAVE_RULES = [
    "simulate_frame",
    "design",
    "draw_sample",
    "fieldwork",
    "ingest",
    "clean",
    "weights",
    "fit_model",
    "indicator_weights",
    "bootstrap_shard",
    "gather_bootstrap",
    "index",
    "validate",
    "report",
]
BATCH_STUDY_RULES = ["study_trend"] if IS_PROGRAMME else []


def batch_members():
    """The studies of each batch (sheet order), batch_size studies per batch."""
    studies = list(dict.fromkeys(r.study for r in STUDY_ROWS))
    return [studies[i : i + BATCH_SIZE] for i in range(0, len(studies), BATCH_SIZE)]


def _batch_rule_used(name, wildcards):
    if name == "bootstrap_shard":
        return _rule_used("gather_bootstrap", wildcards)
    return _rule_used(name, wildcards)


def _batch_wildcards(members):
    """(rule name, wildcards) of every job of the batch, in study, wave, rule order."""
    out = []
    for study in members:
        waves = sorted((r.wave for r in STUDY_ROWS if r.study == study), key=wave_order)
        for wave in waves:
            wc = {"study": study, "wave": wave} if IS_PROGRAMME else {"study": study}
            for name in BATCH_WAVE_RULES:
                if not rules.has(name) or not _batch_rule_used(name, SimpleNamespace(**wc)):
                    continue
                if name == "bootstrap_shard":
                    n = int(C(SimpleNamespace(**wc))["bootstrap"].get("shards", 1) or 1)
                    out += [(name, {**wc, "shard": str(k)}) for k in range(n)]
                else:
                    out.append((name, wc))
        out += [(name, {"study": study}) for name in BATCH_STUDY_RULES if rules.has(name)]
    return out


def _batch_outputs(members):
    files, logs = [], []
    for name, wc in _batch_wildcards(members):
        rl = getattr(rules, name).rule
        output, _ = rl.expand_output(Wildcards(fromdict=wc))
        files += list(output)
        logs += [str(f) for f in rl.expand_log(Wildcards(fromdict=wc))]
    return files, logs


@lru_cache(maxsize=None)
def batch_jobs(k):
    """Every job of batch ``k`` as plain data, in dependency order (csindex.batch.encode_job)."""
    jobs = []
    for name, wc in _batch_wildcards(batch_members()[k]):
        rl = getattr(rules, name).rule
        w = Wildcards(fromdict=wc)
        output, _ = rl.expand_output(w)
        input, _, _, _ = rl.expand_input(w)
        params, _ = rl.expand_params(w, input, output, None)
        script = os.path.join(rl.basedir.get_path_or_uri(secret_free=True), rl.script)
        jobs.append(
            encode_job(
                rl.name, script, wc, input, output, params,
                rl.expand_log(w), rl.expand_benchmark(w),
            )
        )  # fmt: skip
    return tuple(order_jobs(jobs))
