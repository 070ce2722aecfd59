"""The appendix: the diagnostics, the full tables (small cells masked), the provenance (config
hash, git commit, seeds, input and output hashes, package versions) and the configuration."""

from __future__ import annotations

import html
import json
from typing import Any

import pandas as pd

from ...io import sha256_file
from ..context import ReportContext
from ..fmt import Section, details, flatten, html_table
from ..folder import pick

APPENDIX_TABLES = (
    "index/csi.csv",
    "indicators/index.csv",
    "indicators/weights.csv",
    "model/estimates.csv",
    "model/effects.csv",
    "model/r2.csv",
    "model/outer_weights.csv",
    "model/bootstrap_ci.csv",
    "weights/estimates.csv",
    "clean/pilot_items.csv",
    "clean/dispositions.csv",
)


def _kv(d: Any, key: str, value: str) -> str:
    rows = flatten(d)
    return html_table(pd.DataFrame(rows, columns=[key, value]), numeric_right=False)


def mask_small_rows(df: pd.DataFrame, min_cell: int) -> tuple[pd.DataFrame, int]:
    """Rows of an estimate table whose respondent count (column n/count) is below
    ``min_cell``: every other numeric value is replaced by '–'."""
    ncol = pick(df, ["n", "n_resp", "count", "n_respondents"])
    if ncol is None:
        return df, 0
    small = pd.to_numeric(df[ncol], errors="coerce") < min_cell
    if not small.any():
        return df, 0
    out = df.copy()
    for c in out.columns:
        if c != ncol and pd.api.types.is_numeric_dtype(out[c]):
            out[c] = out[c].astype(object)
            out.loc[small, c] = "–"
    return out, int(small.sum())


def appendix(ctx: ReportContext) -> Section:
    k = ctx.k
    s = Section("appendix", k("appendix"))
    s.p(k("appendix_intro"), "note")
    diag_blocks = []
    for name, d in ctx.diagnostics.items():
        if d is None or name == "warnings":
            continue
        diag_blocks.append(details(name, _kv(d, k("key"), k("value"))))
    if diag_blocks:
        s.raw(details(k("diagnostics"), "".join(diag_blocks)))
    tables = []
    for rel in APPENDIX_TABLES:
        df = ctx.v.csv(rel)
        if df is None:
            continue
        df, n_small = mask_small_rows(df, ctx.opt.min_cell)
        note = f'<p class="note">{html.escape(k("rows_masked", n=n_small, k=ctx.opt.min_cell))}</p>'
        tables.append(details(rel, (note if n_small else "")
                              + html_table(df, max_rows=ctx.opt.max_table_rows)))  # fmt: skip
    if tables:
        s.raw(details(k("full_tables"), "".join(tables)))
    from ... import versioning

    prov = {
        k("study"): ctx.config.get("study", ""),
        k("version"): ctx.config.get("version", ""),
        k("config_hash"): versioning.config_hash(ctx.config),
        "git commit": versioning.git_commit(ctx.base),
    }
    seeds = versioning.collect_seeds(ctx.config)
    inputs = versioning.input_hashes(ctx.config, ctx.base)
    manifest = ctx.v.json("manifest.json")
    files = sorted(ctx.v.read.items())
    body = _kv(prov, k("key"), k("value"))
    if seeds:
        body += details(k("seed"), _kv(seeds, k("key"), k("value")))
    if inputs:
        body += details(k("inputs"), html_table(
            pd.DataFrame({k("file"): list(inputs), k("sha256"): list(inputs.values())}),
            numeric_right=False))  # fmt: skip
    if manifest is not None:
        body += details("manifest.json", _kv(manifest, k("key"), k("value")))
    body += details(k("files"), html_table(pd.DataFrame({
        k("file"): [rel for rel, _ in files], k("sha256"): [sha256_file(p) for _, p in files],
    }), numeric_right=False))  # fmt: skip
    body += details(
        k("packages"),
        html_table(
            pd.DataFrame(_package_versions(), columns=["package", "version"]), numeric_right=False
        ),
    )
    s.raw(details(k("manifest"), body))
    s.raw(
        details(
            k("config"),
            "<pre>"
            + html.escape(
                json.dumps(ctx.config, sort_keys=True, indent=2, default=str, ensure_ascii=False)
            )
            + "</pre>",
        )
    )
    ctx.diagnostics["provenance"] = {
        **prov,
        "seeds": seeds,
        "inputs": inputs,
        "files": {rel: sha256_file(p) for rel, p in files},
    }
    return s


PACKAGES = ("csindex", "numpy", "pandas", "scipy", "statsmodels", "semopy", "matplotlib",
            "pyarrow", "jinja2", "snakemake", "noto-cjk-sans-otc", "opencc")  # fmt: skip


def _package_versions() -> list[tuple[str, str]]:
    from importlib import metadata

    from ...versioning import package_versions

    rows = dict(package_versions())
    for name in PACKAGES:
        if name not in rows:
            try:
                rows[name] = metadata.version(name)
            except metadata.PackageNotFoundError:
                rows[name] = "not installed"
    return sorted(rows.items())
