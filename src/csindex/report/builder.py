"""Build the study report (report/report.html) from one version folder.

``build_report`` reads whatever stage outputs exist under ``results/<study>/<version>/``
(see docs/DEVELOPING.md for the file names), builds the sections — executive summary, method,
per-question summaries, model, importance–performance and segments, appendix — and renders
one self-contained HTML file (figures embedded as base64 SVG, CSS inline, no network). A
section whose stage has not run says so in plain words.
"""

from __future__ import annotations

import base64
import html
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError, InputError
from ..estimation import MSE_DEFAULT, design_from_weights_file
from ..instrument import Instrument
from ..io import sha256_file
from . import figures as F
from .tables import (
    Replicates,
    answer_distribution,
    difference_test,
    kish_neff,
    suppress_small_cells,
)
from .text import t

SECTIONS = ("summary", "method", "questions", "model", "ipa", "appendix")
OVERALL = {"overall", "all", "total", "全體", "整體", ""}
PACKAGES = (
    "csindex",
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "semopy",
    "matplotlib",
    "pyarrow",
    "jinja2",
    "snakemake",
    "noto-cjk-sans-otc",
)


# ----------------------------------------------------------------------------- reading
class VersionFolder:
    """Read access to one version folder; remembers every file it read (for provenance)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise InputError(f"version folder {self.root} does not exist", file=str(self.root))
        self.read: dict[str, Path] = {}

    def has(self, rel: str) -> bool:
        return (self.root / rel).is_file()

    def _note(self, rel: str) -> Path:
        p = self.root / rel
        self.read[rel] = p
        return p

    def csv(self, rel: str) -> pd.DataFrame | None:
        if not self.has(rel):
            return None
        p = self._note(rel)
        try:
            return pd.read_csv(p, comment=None)
        except (pd.errors.ParserError, UnicodeDecodeError) as e:
            raise InputError(f"cannot be read as CSV ({e})", file=str(p)) from None

    def parquet(self, rel: str) -> pd.DataFrame | None:
        if not self.has(rel):
            return None
        p = self._note(rel)
        try:
            return pd.read_parquet(p)
        except Exception as e:  # noqa: BLE001 - pyarrow raises several types
            raise InputError(f"cannot be read as Parquet ({e})", file=str(p)) from None

    def json(self, rel: str) -> Any:
        if not self.has(rel):
            return None
        p = self._note(rel)
        try:
            return json.loads(p.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise InputError(f"is not valid JSON ({e})", file=str(p)) from None


def _pick(df: pd.DataFrame, names: Sequence[str], exclude: Sequence[str] = ()) -> str | None:
    """First column of ``df`` whose lower-cased name is in ``names`` (in that order)."""
    low = {str(c).lower(): c for c in df.columns if c not in exclude}
    for n in names:
        if n in low:
            return low[n]
    return None


def standard_index_table(csi: pd.DataFrame, source: str = "index/csi.csv") -> pd.DataFrame:
    """index/csi.csv in a standard shape: ``construct, by, group, estimate, se, ci_low,
    ci_high, n`` (``by`` = 'overall' or the grouping variable, e.g. 'segment')."""
    lv = _pick(csi, ["construct", "lv", "latent", "variable", "name", "indicator"])
    est = _pick(csi, ["estimate", "score", "index", "csi", "value", "mean"], exclude=[lv])
    if lv is None or est is None:
        raise InputError(
            "needs a construct column (construct/lv/variable) and an estimate column "
            f"(estimate/score/index/value); columns present: {', '.join(map(str, csi.columns))}",
            file=source,
        )
    out = pd.DataFrame(
        {"construct": csi[lv].astype(str), "estimate": pd.to_numeric(csi[est], errors="coerce")}
    )
    for key, names in {
        "se": ["se", "std_error", "stderr"],
        "ci_low": ["ci_low", "ci_lower", "lower", "lo", "ci_lo", "lcl"],
        "ci_high": ["ci_high", "ci_upper", "upper", "hi", "ci_hi", "ucl"],
        "n": ["n", "n_resp", "count", "n_respondents"],
    }.items():
        c = _pick(csi, names)
        out[key] = pd.to_numeric(csi[c], errors="coerce") if c else np.nan
    by = _pick(csi, ["by", "group_var", "grouping", "dimension", "by_var"])
    grp = _pick(
        csi,
        ["group", "segment", "domain", "subgroup", "level", "category"],
        exclude=[by] if by else [],
    )
    g = csi[grp].astype("string").fillna("").str.strip() if grp else pd.Series("", index=csi.index)
    if by:
        b = csi[by].astype("string").fillna("overall").str.strip()
        out["by"] = np.where(b.str.lower().isin(OVERALL), "overall", b)
    elif grp:
        out["by"] = np.where(g.str.lower().isin(OVERALL), "overall", str(grp).lower())
    else:
        out["by"] = "overall"
    out["group"] = np.where(out["by"] == "overall", "", g)
    se_ok = out["se"].notna()
    z = 1.959963984540054
    out.loc[out["ci_low"].isna() & se_ok, "ci_low"] = out["estimate"] - z * out["se"]
    out.loc[out["ci_high"].isna() & se_ok, "ci_high"] = out["estimate"] + z * out["se"]
    return out


def csi_row(std: pd.DataFrame) -> tuple[pd.Series | None, bool]:
    """The overall CSI row (construct 'CSI'), else the overall CS row; and whether it is CS."""
    overall = std[std["by"] == "overall"]
    for name, is_cs in (("CSI", False), ("CS", True)):
        r = overall[overall["construct"].str.upper() == name]
        if len(r):
            return r.iloc[0], is_cs
    return None, False


def find_previous_version(version_dir: str | Path, compare_with: str | None = None) -> Path | None:
    """The version of the same study to compare with: ``compare_with`` when given, else the
    latest other version whose index/csi.csv was written before this version's (by the
    manifest's finish time when present, else the file time)."""
    version_dir = Path(version_dir)
    study_dir = version_dir.parent
    if compare_with:
        p = study_dir / compare_with
        if not (p / "index" / "csi.csv").is_file():
            raise ConfigError(
                f"version {compare_with!r} has no index/csi.csv under {study_dir}; allowed: a "
                "finished version of the same study, or null for the latest earlier one",
                key="report.compare_with",
            )
        return p

    def stamp(d: Path) -> float:
        return (d / "index" / "csi.csv").stat().st_mtime

    own = version_dir / "index" / "csi.csv"
    limit = stamp(version_dir) if own.is_file() else math.inf
    cands = [
        d
        for d in sorted(study_dir.iterdir())
        if d.is_dir()
        and d.resolve() != version_dir.resolve()
        and (d / "index" / "csi.csv").is_file()
        and stamp(d) < limit
    ]
    return max(cands, key=lambda d: (stamp(d), d.name)) if cands else None


# ----------------------------------------------------------------------------- HTML bits
def _fmt(v: Any, col: str = "") -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)) or v is pd.NA:
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    if isinstance(v, (float, np.floating)):
        c = col.lower()
        if c in ("p", "pvalue", "p_value", "pval") or c.startswith("p_"):
            return f"{v:.3f}" if v >= 0.001 else "<0.001"
        if float(v).is_integer() and abs(v) < 1e12 and c in ("n", "count", "n_item"):
            return f"{int(v):,}"
        return f"{v:,.3f}" if abs(v) < 1000 else f"{v:,.1f}"
    return str(v)


def html_table(
    df: pd.DataFrame,
    caption: str | None = None,
    numeric_right: bool = True,
    max_rows: int | None = None,
) -> str:
    """A plain HTML table (escaped, deterministic number formatting) in a scrolling wrapper."""
    shown = df if max_rows is None else df.head(max_rows)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in shown.columns)
    body = []
    for row in shown.itertuples(index=False, name=None):
        cells = []
        for c, v in zip(shown.columns, row, strict=True):
            num = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
            cls = ' class="num"' if num and numeric_right else ""
            cells.append(f"<td{cls}>{html.escape(_fmt(v, str(c)))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    more = ""
    if max_rows is not None and len(df) > max_rows:
        more = f'<p class="note">{len(df) - max_rows} more row(s) in the CSV file.</p>'
    return (
        f'<div class="table-wrap"><table>{cap}<thead><tr>{head}</tr></thead><tbody>'
        + "".join(body)
        + f"</tbody></table></div>{more}"
    )


def _kv_table(d: Mapping[str, Any], caption: str | None, key: str, value: str) -> str:
    """A JSON summary as HTML: scalars (nested keys dotted) in one key/value table, and each
    list of records (e.g. an allocation table) as a table of its own."""
    rows: list[tuple[str, str]] = []
    tables: list[tuple[str, pd.DataFrame]] = []

    def walk(x: Any, prefix: str) -> None:
        if isinstance(x, Mapping):
            for k in sorted(x, key=str):
                walk(x[k], f"{prefix}.{k}" if prefix else str(k))
        elif isinstance(x, list) and x and all(isinstance(r, Mapping) for r in x):
            flat = [dict(_flatten(r)) for r in x]
            tables.append((prefix, pd.DataFrame(flat)))
        else:
            rows.extend(_flatten(x, prefix))

    walk(d, "")
    out = (
        html_table(pd.DataFrame(rows, columns=[key, value]), caption, numeric_right=False)
        if rows
        else ""
    )
    for name, df in tables:
        out += html_table(df, name, numeric_right=False)
    return out


def _flatten(d: Any, prefix: str = "") -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if isinstance(d, Mapping):
        for k in sorted(d, key=str):
            out += _flatten(d[k], f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(d, list) and d and all(isinstance(x, Mapping) for x in d):
        for i, x in enumerate(d):
            out += _flatten(x, f"{prefix}[{i}]")
    else:
        if isinstance(d, float):
            d = _fmt(d)
        elif (
            isinstance(d, list)
            and len(d) > 12
            and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in d)
        ):
            arr = np.asarray(d, dtype=float)
            d = f"{len(d)} values, {_fmt(float(arr.min()))} to {_fmt(float(arr.max()))}"
        elif isinstance(d, list):
            d = ", ".join(_fmt(x) if isinstance(x, float) else str(x) for x in d)
        out.append((prefix, str(d)))
    return out


@dataclass
class Figure:
    id: str
    caption: str
    svg: bytes

    @property
    def data_uri(self) -> str:
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg).decode("ascii")


@dataclass
class Section:
    id: str
    title: str
    blocks: list[str] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    ran: bool = True

    def p(self, text: str, cls: str = "") -> None:
        c = f' class="{cls}"' if cls else ""
        self.blocks.append(f"<p{c}>{html.escape(text)}</p>")

    def h(self, text: str) -> None:
        self.blocks.append(f"<h3>{html.escape(text)}</h3>")

    def raw(self, markup: str) -> None:
        self.blocks.append(markup)

    def figure(self, fig_id: str, caption: str, fig) -> None:
        f = Figure(fig_id, caption, F.to_svg(fig))
        self.figures.append(f)
        self.blocks.append(
            f'<figure id="fig-{fig_id}"><img alt="{html.escape(caption)}" src="{f.data_uri}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        )

    def missing(self, lang: str, what: str, folder: str) -> None:
        self.p(t(lang, "not_run", what=what, folder=folder), "missing")


# ----------------------------------------------------------------------------- builder
@dataclass
class ReportOptions:
    """Options of the report (config section ``report``)."""

    language: str = "en"
    min_cell: int = 10
    level: float = 0.95
    compare_with: str | None = None
    max_table_rows: int = 200

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ReportOptions:
        rep = dict(config.get("report") or {})
        lang = rep.get("language") or config.get("language") or "en"
        if lang not in ("en", "zh"):
            raise ConfigError(f"value {lang!r} is not allowed; allowed: en, zh", key="language")
        min_cell = int(rep.get("min_cell", 10))
        if min_cell < 1:
            raise ConfigError(
                f"value {min_cell} is too small; allowed: >= 1", key="report.min_cell"
            )
        level = float(rep.get("level", 0.95))
        if not 0.5 <= level < 1:
            raise ConfigError(
                f"value {level} not allowed; allowed: 0.5 <= level < 1", key="report.level"
            )
        return cls(
            language=lang,
            min_cell=min_cell,
            level=level,
            compare_with=rep.get("compare_with"),
            max_table_rows=int(rep.get("max_table_rows", 200)),
        )


class ReportBuilder:
    """Collects the sections of one version's report."""

    def __init__(
        self,
        version_dir: str | Path,
        config: Mapping[str, Any],
        instrument: Instrument,
        options: ReportOptions | None = None,
        base: str | Path | None = None,
    ) -> None:
        self.v = VersionFolder(version_dir)
        self.config = dict(config)
        self.instrument = instrument
        self.opt = options or ReportOptions.from_config(config)
        self.lang = self.opt.language
        self.folder = str(Path(version_dir))
        self.base = Path(base) if base is not None else Path.cwd()
        F.setup(self.lang)

    # -- helpers
    def label(self, key: str) -> str:
        return self.instrument.label(key, self.lang)

    def _tr(self, key: str, **kw) -> str:
        return t(self.lang, key, **kw)

    def _index(self) -> pd.DataFrame | None:
        csi = self.v.csv("index/csi.csv")
        return (
            None if csi is None else standard_index_table(csi, str(self.v.root / "index/csi.csv"))
        )

    def _weights(self) -> pd.DataFrame | None:
        return self.v.parquet("weights/weights.parquet")

    # -- sections
    def summary(self) -> Section:
        s = Section("summary", self._tr("summary"))
        std = self._index()
        if std is None:
            s.ran = False
            s.missing(self.lang, "index/csi.csv", self.folder)
            return s
        row, is_cs = csi_row(std)
        if row is not None:
            ci = self._tr("ci", level=self.opt.level)
            s.raw(
                '<div class="headline"><div class="csi-value">'
                f'{row["estimate"]:.1f}</div><div class="csi-label">'
                f'{html.escape(self._tr("csi_headline"))}<br><span class="ci">{html.escape(ci)}: '
                f"{_fmt(row['ci_low'])} – {_fmt(row['ci_high'])}</span></div></div>"
            )
            if is_cs:
                s.p(self._tr("csi_from_cs"), "note")
        overall = std[(std["by"] == "overall")].copy()
        order = {c: i for i, c in enumerate(["CSI", *self.instrument.construct_ids])}
        overall = overall.assign(_o=overall["construct"].map(order).fillna(99)).sort_values(
            ["_o", "construct"], kind="stable"
        )
        lv = overall[overall["construct"].isin(self.instrument.construct_ids)]
        if len(lv):
            tab = pd.DataFrame(
                {
                    self._tr("construct"): [f"{c} {self.label(c)}" for c in lv["construct"]],
                    self._tr("estimate"): lv["estimate"].to_numpy(),
                    self._tr("se"): lv["se"].to_numpy(),
                    self._tr("ci_low"): lv["ci_low"].to_numpy(),
                    self._tr("ci_high"): lv["ci_high"].to_numpy(),
                }
            )
            s.h(self._tr("lv_scores"))
            s.raw(html_table(tab))
            chart = pd.DataFrame(
                {
                    "label": [self.label(c) for c in lv["construct"]],
                    "estimate": lv["estimate"].to_numpy(),
                    "ci_low": lv["ci_low"].to_numpy(),
                    "ci_high": lv["ci_high"].to_numpy(),
                }
            )
            s.figure(
                "scores",
                self._tr("score_chart"),
                F.interval_chart(chart, "label", self._tr("lv_scores"), self._tr("score")),
            )
        # change against the previous version
        s.h(self._tr("change_h"))
        prev_dir = find_previous_version(self.v.root, self.opt.compare_with)
        if prev_dir is None or row is None:
            s.p(self._tr("change_none"))
        else:
            prev_std = standard_index_table(
                pd.read_csv(prev_dir / "index/csi.csv"), str(prev_dir / "index/csi.csv")
            )
            self.v.read[f"../{prev_dir.name}/index/csi.csv"] = prev_dir / "index/csi.csv"
            prow, _ = csi_row(prev_std)
            if prow is None or not np.isfinite(prow["se"]) or not np.isfinite(row["se"]):
                s.p(self._tr("change_none"))
            else:
                d = difference_test(
                    row["estimate"], row["se"], prow["estimate"], prow["se"], self.opt.level
                )
                verdict = self._tr("significant" if d.significant else "not_significant")
                s.p(
                    self._tr(
                        "change_text",
                        cur=d.current,
                        prev_v=d.previous,
                        prev=prev_dir.name,
                        diff=d.diff,
                        lo=d.ci_low,
                        hi=d.ci_high,
                        z=d.z,
                        p=d.p,
                        verdict=verdict,
                    ),
                    "change",
                )
                s.p(self._tr("change_note"), "note")
        return s

    def method(self) -> Section:
        s = Section("method", self._tr("method"))
        lang, k = self.lang, self._tr
        # design
        s.h(k("design"))
        design = self.v.json("sample/design.json")
        from_responses = self.config.get("start") == "responses"
        if design is None and from_responses:
            s.p(k("start_responses"), "missing")
        elif design is None:
            s.missing(lang, "sample/design.json", self.folder)
        else:
            s.raw(_kv_table(design, None, k("key"), k("value")))
        # dispositions
        s.h(k("dispositions"))
        disp = self.v.parquet("fieldwork/dispositions.parquet")
        clean_disp = self.v.csv("clean/dispositions.csv")
        if clean_disp is not None and clean_disp.empty:
            clean_disp = None
        if disp is None and clean_disp is None:
            if from_responses:
                s.p(k("start_responses"), "missing")
            else:
                s.missing(lang, "fieldwork/dispositions.parquet", self.folder)
        if disp is not None:
            if "disposition" not in disp.columns:
                raise InputError(
                    "column 'disposition' is missing",
                    file=str(self.v.root / "fieldwork/dispositions.parquet"),
                    column="disposition",
                )
            cnt = disp["disposition"].value_counts().sort_index()
            tab = pd.DataFrame(
                {
                    "disposition": cnt.index.astype(str),
                    k("count"): cnt.to_numpy(),
                    k("pct"): 100 * cnt.to_numpy() / cnt.sum(),
                }
            )
            s.raw(html_table(tab))
            c = cnt.to_dict()
            eligible_known = sum(
                c.get(x, 0) for x in ("complete", "partial", "refusal", "noncontact")
            )
            denom = eligible_known + c.get("unknown_eligibility", 0)
            if denom:
                rr1 = 100 * c.get("complete", 0) / denom
                rr2 = 100 * (c.get("complete", 0) + c.get("partial", 0)) / denom
                s.p(
                    f"AAPOR RR1 = {rr1:.1f}%, RR2 = {rr2:.1f}% "
                    "(complete [+ partial] / (complete + partial + refusal + noncontact + "
                    "unknown eligibility))."
                )
        if clean_disp is not None:
            s.raw(html_table(clean_disp))
        # cleaning
        s.h(k("cleaning"))
        csum = self.v.json("clean/summary.json")
        log = self.v.csv("clean/log.csv")
        if csum is None and log is None:
            s.missing(lang, "clean/summary.json", self.folder)
        if csum is not None:
            s.raw(_kv_table(csum, None, k("key"), k("value")))
        if log is not None:
            rule = _pick(log, ["rule", "reason", "check", "action"])
            if rule is not None and len(log):
                cnt = log[rule].astype(str).value_counts().sort_index()
                s.raw(
                    html_table(
                        pd.DataFrame({rule: cnt.index, k("count"): cnt.to_numpy()}), "clean/log.csv"
                    )
                )
        # weighting
        s.h(k("weighting"))
        diag = self.v.json("weights/diagnostics.json")
        w = self._weights()
        dcsv = self.v.csv("weights/diagnostics.csv")
        if diag is None and w is None:
            s.missing(lang, "weights/weights.parquet", self.folder)
        if diag is not None:
            shown = dict(diag) if isinstance(diag, Mapping) else {"diagnostics": diag}
            if dcsv is not None:  # per-weight statistics: shown once, as the CSV table below
                shown.pop("weights", None)
            s.raw(_kv_table(shown, None, k("key"), k("value")))
        if w is not None and "w_final" in w.columns:
            wf = w["w_final"].to_numpy(dtype=float)
            neff = kish_neff(wf)
            cv = float(np.std(wf) / np.mean(wf))
            s.p(
                f"n = {len(wf):,}; Kish n_eff = (Σw)²/Σw² = {neff:,.1f}; "
                f"deff_w = n / n_eff = 1 + CV² = {len(wf) / neff:.3f} (CV = {cv:.3f})."
            )
        if dcsv is not None:
            s.raw(html_table(dcsv, "weights/diagnostics.csv"))
        return s

    def questions(self) -> Section:
        s = Section("questions", self._tr("questions"))
        k = self._tr
        resp = self.v.parquet("clean/responses.parquet")
        if resp is None:
            s.ran = False
            s.missing(self.lang, "clean/responses.parquet", self.folder)
            return s
        items = [i for i in self.instrument.item_ids if i in resp.columns]
        absent = [i for i in self.instrument.item_ids if i not in resp.columns]
        if absent:
            s.p(f"Not in clean/responses.parquet: {', '.join(absent)}.", "note")
        w = self._weights()
        weights = stratum = psu = replicates = design = None
        if w is not None and "w_final" in w.columns and "respondent_id" in resp.columns:
            m = resp[["respondent_id"]].merge(w, on="respondent_id", how="left")
            if m["w_final"].isna().any():
                bad = m.loc[m["w_final"].isna(), "respondent_id"].iloc[0]
                raise InputError(
                    f"respondent {bad!r} of clean/responses.parquet has no weight "
                    "(every kept respondent needs a w_final)",
                    file=str(self.v.root / "weights/weights.parquet"),
                    column="w_final",
                )
            weights = m["w_final"].to_numpy(dtype=float)
            diag = self.v.json("weights/diagnostics.json")
            replicates = _replicates(m, diag)
            if replicates is None:
                design = design_from_weights_file(
                    m, diag if isinstance(diag, Mapping) else {}, use_replicates=False
                )
        codes = {}
        for i in items:
            sc = self.instrument.item(i).scale
            codes[i] = np.linspace(sc.min, sc.max, sc.points)
        dist = answer_distribution(
            resp, items, codes, weights, stratum, psu, replicates, design=design
        )
        dist["suppressed"] = suppress_small_cells(dist, self.opt.min_cell).to_numpy()
        basis = (
            k("unweighted_basis")
            if weights is None
            else k("weighted_basis")
            + " "
            + k("replicate_basis" if replicates is not None else "linearisation_basis")
        )
        s.p(basis, "note")
        s.p(
            k("suppression_summary", n=int(dist["suppressed"].sum()), k=self.opt.min_cell)
            if dist["suppressed"].any()
            else k("suppression_none", k=self.opt.min_cell),
            "note",
        )
        value = "w_pct" if weights is not None else "pct"
        code_labels = {
            i: {
                float(a): lab
                for a, lab in (
                    self.instrument.item(i).anchors.get(self.lang)
                    or self.instrument.item(i).anchors.get("en")
                    or {}
                ).items()
            }
            for i in items
        }
        item_labels = {i: self.label(i) for i in items}
        note = k("suppressed_note", k=self.opt.min_cell)
        # stacked Likert bars of all items, grouped by construct; one chart per scale
        by_scale: dict[int, list[str]] = {}
        for i in items:
            by_scale.setdefault(len(codes[i]), []).append(i)
        for npts, its in sorted(by_scale.items()):
            legend = [code_labels[its[0]].get(float(c), f"{c:g}") for c in codes[its[0]]]
            fid = "likert" if len(by_scale) == 1 else f"likert-{npts}"
            s.figure(
                fid,
                k("likert_title"),
                F.likert_stacked(
                    dist,
                    its,
                    item_labels,
                    value,
                    k("likert_title"),
                    legend,
                    note,
                    groups={i: self.instrument.item(i).construct for i in its},
                ),
            )
        for c in self.instrument.construct_ids:
            its = [i for i in self.instrument.blocks()[c] if i in items]
            if not its:
                continue
            title = k("answers_of", construct=f"{c} {self.label(c)}")
            s.h(title)
            s.figure(
                f"answers-{c}",
                title,
                F.answer_bars(
                    dist,
                    its,
                    item_labels,
                    code_labels,
                    value,
                    title,
                    note,
                    ylabel=k("w_pct") if weights is not None else "%",
                    unweighted_label=k("unweighted_tick"),
                ),
            )
            d = dist[dist["item"].isin(its)]
            sup = d["suppressed"].to_numpy()
            tab = pd.DataFrame(
                {
                    k("item"): [f"{i} {item_labels[i]}" for i in d["item"]],
                    k("answer"): [
                        "?" if np.isnan(cc) else f"{cc:g} {code_labels[i].get(cc, '')}".strip()
                        for i, cc in zip(d["item"], d["code"], strict=True)
                    ],
                    k("count"): np.where(sup, "–", d["n"].map(lambda v: f"{v:,}")),
                    k("pct"): np.where(sup, "–", d["pct"].map(lambda v: f"{v:.1f}")),
                }
            )
            if weights is not None:
                tab[k("w_pct")] = np.where(sup, "–", d["w_pct"].map(lambda v: f"{v:.1f}"))
                tab[k("w_se")] = np.where(sup, "–", d["w_se"].map(lambda v: f"{v:.2f}"))
            s.raw(html_table(tab, numeric_right=False))
        if dist["suppressed"].any():
            s.p(note, "note")
        return s

    def model(self) -> Section:
        s = Section("model", self._tr("model"))
        k = self._tr
        est = self.v.csv("model/estimates.csv")
        if est is None:
            s.ran = False
            s.missing(self.lang, "model/estimates.csv", self.folder)
            return s
        std = self.v.csv("model/standardized.csv")
        paths = _structural_paths(est, std)
        r2 = {}
        r2t = self.v.csv("model/r2.csv")
        if r2t is not None:
            lvc = _pick(r2t, ["construct", "lv", "variable", "lhs", "name", "endogenous"])
            rc = _pick(r2t, ["r2", "rsquare", "r_squared", "r²", "est", "value"])
            if lvc and rc:
                r2 = dict(
                    zip(r2t[lvc].astype(str), pd.to_numeric(r2t[rc], errors="coerce"), strict=True)
                )
        note = k("path_note")
        boot = self.v.csv("model/bootstrap_ci.csv")
        if len(paths) and paths["p"].isna().all() and boot is not None:
            paths, found = _bootstrap_stars(paths, boot)
            if found:
                note = k("path_note_boot", level=self.opt.level)
        if len(paths):
            labels = {c: self.label(c) for c in set(paths["from"]) | set(paths["to"])}
            s.figure(
                "path",
                k("path_title"),
                F.path_diagram(paths, r2, labels, k("path_title"), note),
            )
            shown = paths.dropna(axis=1, how="all")
            s.raw(html_table(shown.rename(columns={"coef": k("estimate")})))
        fit = self.v.json("model/fit.json")
        if fit is not None:
            s.h(k("fit"))
            s.raw(_kv_table(fit, None, k("key"), k("value")))
        q = self.v.csv("model/quality.csv")
        if q is not None:
            s.h(k("quality"))
            for name, tab in _quality_tables(q):
                s.raw(html_table(tab, name))
        adm = self.v.json("model/admissibility.json")
        if adm is not None:
            s.raw(_kv_table(adm, "model/admissibility.json", k("key"), k("value")))
        return s

    def ipa(self) -> Section:
        s = Section("ipa", self._tr("ipa"))
        k = self._tr
        ipa = self.v.csv("index/ipa.csv")
        std = self._index()
        if ipa is None and std is None:
            s.ran = False
            s.missing(self.lang, "index/ipa.csv", self.folder)
            return s
        s.h(k("ipa_title"))
        if ipa is None:
            s.missing(self.lang, "index/ipa.csv", self.folder)
        else:
            self._ipa_blocks(s, ipa)
        s.h(k("segments"))
        if std is None:
            s.missing(self.lang, "index/csi.csv", self.folder)
            return s
        seg = std[std["by"] != "overall"].copy()
        if not len(seg):
            s.p(f"index/csi.csv has no rows by segment ({self.folder}).", "missing")
            return s
        seg["small"] = seg["n"].notna() & (seg["n"] < self.opt.min_cell)
        hidden = sorted(set(seg.loc[seg["small"], "by"] + "=" + seg.loc[seg["small"], "group"]))
        if hidden:
            s.p(k("segment_suppressed", k=self.opt.min_cell, names=", ".join(hidden)), "note")
        shown = seg[~seg["small"]]
        row_c = "CSI" if (shown["construct"].str.upper() == "CSI").any() else "CS"
        chart = shown[shown["construct"].str.upper() == row_c].copy()
        if len(chart):
            chart["label"] = chart["by"] + ": " + chart["group"]
            s.figure(
                "segments",
                k("segment_chart"),
                F.interval_chart(chart, "label", k("segment_chart"), k("score")),
            )
        tab = shown[["by", "group", "construct", "estimate", "se", "ci_low", "ci_high", "n"]]
        s.raw(
            html_table(
                tab.rename(
                    columns={
                        "construct": k("construct"),
                        "estimate": k("estimate"),
                        "se": k("se"),
                        "ci_low": k("ci_low"),
                        "ci_high": k("ci_high"),
                    }
                )
            )
        )
        return s

    def _ipa_blocks(self, s: Section, ipa: pd.DataFrame) -> None:
        """The quadrant chart (items when the table has an item level, else all rows) with the
        cuts and quadrants of index/ipa.csv when given (else cut at the means), and the list of
        what to improve first."""
        k = self._tr
        src = str(self.v.root / "index/ipa.csv")
        ic = _pick(ipa, ["item", "name", "indicator", "variable", "construct"])
        imp = _pick(ipa, ["importance", "imp", "total_effect"])
        perf = _pick(ipa, ["performance", "perf", "score", "index"])
        if not (ic and imp and perf):
            raise InputError(
                "needs item (or name), importance and performance columns; columns present: "
                + ", ".join(map(str, ipa.columns)),
                file=src,
            )
        lev = _pick(ipa, ["level"])
        quad = _pick(ipa, ["quadrant"])
        levels = list(dict.fromkeys(ipa[lev].astype(str))) if lev else [""]
        for level in sorted(levels, key=lambda x: (x != "item", x)):
            g = ipa if not lev else ipa[ipa[lev].astype(str) == level]
            d = pd.DataFrame(
                {
                    "item": g[ic].astype(str).to_numpy(),
                    "importance": pd.to_numeric(g[imp], errors="coerce").to_numpy(),
                    "performance": pd.to_numeric(g[perf], errors="coerce").to_numpy(),
                }
            )
            d["label"] = d["item"]
            ccut, pcut = _pick(g, ["importance_cut"]), _pick(g, ["performance_cut"])
            cuts = (
                (float(g[ccut].iloc[0]), float(g[pcut].iloc[0]))
                if ccut and pcut and len(g)
                else (float(d["importance"].mean()), float(d["performance"].mean()))
            )
            if quad:
                first = d[g[quad].astype(str).str.lower().str.startswith("improve").to_numpy()]
            else:
                first = d[(d["importance"] >= cuts[0]) & (d["performance"] < cuts[1])]
            first = first.sort_values(["importance", "item"], ascending=[False, True])
            title = k("ipa_title") + (f" ({level})" if level else "")
            s.figure(
                f"ipa-{level}" if level else "ipa",
                title,
                F.ipa_chart(
                    d,
                    title,
                    k("importance"),
                    k("performance"),
                    k("quadrants").split("|"),
                    cuts,
                ),
            )
            s.h(k("improve_first") + (f" ({level})" if level else ""))
            if len(first):
                s.raw(
                    '<ol class="improve">'
                    + "".join(
                        f"<li>{html.escape(r.item)} {html.escape(self.label(r.item))} — "
                        f"{html.escape(k('importance'))} {r.importance:.3f}, "
                        f"{html.escape(k('performance'))} {r.performance:.1f}</li>"
                        for r in first.itertuples()
                    )
                    + "</ol>"
                )
            else:
                s.p(k("improve_none"))
        s.raw(html_table(ipa))

    def appendix(self) -> Section:
        s = Section("appendix", self._tr("appendix"))
        k = self._tr
        s.h(k("full_tables"))
        any_table = False
        for rel in (
            "index/csi.csv",
            "model/estimates.csv",
            "model/standardized.csv",
            "model/effects.csv",
            "model/r2.csv",
            "model/outer_weights.csv",
            "model/bootstrap_ci.csv",
            "indicators/weights.csv",
            "indicators/index.csv",
            "weights/estimates.csv",
            "clean/pilot_items.csv",
        ):
            df = self.v.csv(rel)
            if df is not None:
                any_table = True
                df, n_small = mask_small_rows(df, self.opt.min_cell)
                s.raw(f"<h4>{html.escape(rel)}</h4>")
                if n_small:
                    s.p(k("rows_masked", n=n_small, k=self.opt.min_cell), "note")
                s.raw(html_table(df, max_rows=self.opt.max_table_rows))
        if not any_table:
            s.p(f"No estimate table exists yet in {self.folder}.", "missing")
        s.h(k("manifest"))
        from .. import versioning

        s.raw(
            _kv_table(
                {
                    k("study"): self.config.get("study", ""),
                    k("version"): self.config.get("version", ""),
                    k("config_hash"): versioning.config_hash(self.config),
                    "git commit": versioning.git_commit(self.base),
                },
                None,
                k("key"),
                k("value"),
            )
        )
        seeds = versioning.collect_seeds(self.config)
        if seeds:
            s.raw(_kv_table(seeds, k("seed"), k("key"), k("value")))
        inputs = versioning.input_hashes(self.config, self.base)
        if inputs:
            s.raw(
                html_table(
                    pd.DataFrame({k("file"): list(inputs), k("sha256"): list(inputs.values())}),
                    k("inputs"),
                    numeric_right=False,
                )
            )
        manifest = self.v.json("manifest.json")
        if manifest is not None:
            s.raw(_kv_table(manifest, "manifest.json", k("key"), k("value")))
        files = sorted(self.v.read.items())
        s.raw(
            html_table(
                pd.DataFrame(
                    {
                        k("file"): [rel for rel, _ in files],
                        k("sha256"): [sha256_file(p) for _, p in files],
                    }
                ),
                k("files"),
                numeric_right=False,
            )
        )
        s.raw(
            html_table(
                pd.DataFrame(_package_versions(), columns=["package", "version"]),
                k("packages"),
                numeric_right=False,
            )
        )
        s.raw(
            f"<details><summary>{html.escape(k('config'))}</summary><pre>"
            + html.escape(
                json.dumps(self.config, sort_keys=True, indent=2, default=str, ensure_ascii=False)
            )
            + "</pre></details>"
        )
        return s

    def build(self) -> list[Section]:
        out = [self.summary(), self.method(), self.questions(), self.model(), self.ipa()]
        out.append(self.appendix())  # last: it lists every file the others read
        return out


def _replicates(w: pd.DataFrame, diag: Any) -> Replicates | None:
    """Replicate weights of weights.parquet with the constants of weights/diagnostics.json
    (replicate_type, scale, rscales, mse), or None when either is missing."""
    cols = sorted(c for c in w.columns if str(c).startswith("rep_"))
    if not cols or not isinstance(diag, Mapping) or "scale" not in diag:
        return None
    rscales = diag.get("rscales")
    rscales = np.ones(len(cols)) if rscales is None else np.asarray(rscales, dtype=float)
    if rscales.size == 1:
        rscales = np.full(len(cols), float(rscales))
    if rscales.size != len(cols):
        raise InputError(
            f"rscales has {rscales.size} values but weights.parquet has {len(cols)} replicate "
            "columns rep_###; they must match",
            file="weights/diagnostics.json",
            column="rscales",
        )
    return Replicates(
        w[cols].to_numpy(dtype=float),
        float(diag["scale"]),
        rscales,
        bool(diag.get("mse", MSE_DEFAULT)),
    )


def mask_small_rows(df: pd.DataFrame, min_cell: int) -> tuple[pd.DataFrame, int]:
    """Rows of an estimate table whose respondent count (column n/count) is below
    ``min_cell``: every other numeric value is replaced by '–'. Returns the table and the
    number of masked rows."""
    ncol = _pick(df, ["n", "n_resp", "count", "n_respondents"])
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


def _bootstrap_stars(paths: pd.DataFrame, boot: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """Mark a path ``*`` when its bootstrap interval (model/bootstrap_ci.csv, statistic
    ``path:A->B``) excludes 0."""
    st = _pick(boot, ["statistic", "name", "parameter"])
    lo, hi = _pick(boot, ["ci_lower", "ci_low", "lower"]), _pick(boot, ["ci_upper", "ci_high"])
    if not (st and lo and hi):
        return paths, False
    ci = {
        str(a): (float(b), float(c))
        for a, b, c in boot[[st, lo, hi]].itertuples(index=False, name=None)
    }
    stars, found = [], False
    for a, b in zip(paths["from"], paths["to"], strict=True):
        iv = ci.get(f"path:{a}->{b}")
        found |= iv is not None
        stars.append("" if iv is None else "*" if iv[0] > 0 or iv[1] < 0 else "")
    return paths.assign(stars=stars), found


def _quality_tables(q: pd.DataFrame) -> list[tuple[str | None, pd.DataFrame]]:
    """model/quality.csv for reading: the long form (measure, lhs, rhs, value) as one table of
    construct measures (alpha, rho_c, AVE, ...) and one matrix per pairwise measure (HTMT...);
    any other shape as it is."""
    cols = {str(c).lower(): c for c in q.columns}
    if not {"measure", "lhs", "value"} <= set(cols):
        return [(None, q)]
    m, lhs, val = cols["measure"], cols["lhs"], cols["value"]
    rhs = cols.get("rhs")
    single = q[q[rhs].isna()] if rhs else q
    out: list[tuple[str | None, pd.DataFrame]] = []
    if len(single):
        wide = single.pivot_table(index=lhs, columns=m, values=val, aggfunc="first", sort=False)
        out.append((None, wide.reset_index()))
    if rhs:
        for name, g in q[q[rhs].notna()].groupby(m, sort=True):
            if name in ("cross_loading",) or len(g) > 400:
                continue
            mat = g.pivot_table(index=lhs, columns=rhs, values=val, aggfunc="first", sort=False)
            out.append((str(name), mat.reset_index()))
    return out


def _structural_paths(est: pd.DataFrame, std: pd.DataFrame | None) -> pd.DataFrame:
    """Structural paths (lavaan ``lhs ~ rhs``: rhs -> lhs) with the standardized coefficient
    (from ``std`` when given) and p value."""
    cols = {str(c).lower(): c for c in est.columns}
    if not {"lhs", "op", "rhs"} <= set(cols):
        return pd.DataFrame(columns=["from", "to", "coef", "p"])
    e = est[est[cols["op"]] == "~"]
    pcol = _pick(e, ["p", "pvalue", "p_value", "p-value"])
    ecol = _pick(e, ["est_std", "std_all", "std", "est", "estimate"])
    out = pd.DataFrame(
        {
            "from": e[cols["rhs"]].astype(str).to_numpy(),
            "to": e[cols["lhs"]].astype(str).to_numpy(),
            "coef": pd.to_numeric(e[ecol], errors="coerce").to_numpy(),
            "p": pd.to_numeric(e[pcol], errors="coerce").to_numpy() if pcol else np.nan,
        }
    )
    if std is not None and {"lhs", "op", "rhs"} <= {str(c).lower() for c in std.columns}:
        sc = {str(c).lower(): c for c in std.columns}
        s = std[std[sc["op"]] == "~"]
        vcol = _pick(
            s,
            ["est_std", "std_all", "std", "est", "estimate", "value"],
            exclude=[sc["lhs"], sc["op"], sc["rhs"]],
        )
        if vcol is not None:
            m = dict(
                zip(
                    zip(s[sc["rhs"]].astype(str), s[sc["lhs"]].astype(str), strict=True),
                    pd.to_numeric(s[vcol], errors="coerce"),
                    strict=True,
                )
            )
            out["coef"] = [
                m.get((a, b), c)
                for a, b, c in zip(out["from"], out["to"], out["coef"], strict=True)
            ]
    return out


def _package_versions() -> list[tuple[str, str]]:
    """Versions as the manifest records them, plus the report's own font package."""
    from importlib import metadata

    from ..versioning import package_versions

    rows = dict(package_versions())
    for name in PACKAGES:
        if name not in rows:
            try:
                rows[name] = metadata.version(name)
            except metadata.PackageNotFoundError:
                rows[name] = "not installed"
    return sorted(rows.items())


def render_html(sections: Sequence[Section], config: Mapping[str, Any], language: str) -> str:
    """Render the sections with the Jinja2 template (CSS inlined)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    tdir = Path(__file__).parent / "templates"
    env = Environment(
        loader=FileSystemLoader(str(tdir)),
        autoescape=select_autoescape(["html"]),
        keep_trailing_newline=True,
    )
    css = (tdir / "report.css").read_text(encoding="utf-8")
    tpl = env.get_template("report.html.j2")
    return tpl.render(
        lang=t(language, "language"),
        title=t(language, "title"),
        toc=t(language, "toc"),
        study_label=t(language, "study"),
        version_label=t(language, "version"),
        study=config.get("study", ""),
        version=config.get("version", ""),
        css=css,
        sections=sections,
    )


def build_report(
    version_dir: str | Path,
    config: Mapping[str, Any],
    instrument: Instrument,
    options: ReportOptions | None = None,
    base: str | Path | None = None,
) -> str:
    """The report of one version folder as a self-contained HTML string. ``base`` is the
    project folder the config's relative paths start from (default: the working directory)."""
    b = ReportBuilder(version_dir, config, instrument, options, base)
    sections = b.build()
    return render_html(sections, config, b.lang)


def write_report(html_text: str, path: str | Path) -> None:
    """Write the report as UTF-8 with LF line ends."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(html_text.encode("utf-8"))
