"""The HTML report built from a synthetic version folder that follows the stage contracts."""

import base64
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from csindex.errors import ConfigError, InputError
from csindex.instrument import load_instrument
from csindex.report import build_report, make_report
from csindex.report.builder import SECTIONS, ReportOptions, standard_index_table
from csindex.report.synthetic import write_synthetic_version

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def instrument():
    return load_instrument(ROOT / "config/instrument.yaml")


@pytest.fixture(scope="module")
def study(tmp_path_factory, instrument):
    root = tmp_path_factory.mktemp("results") / "demo"
    write_synthetic_version(root / "v0", instrument, seed=2, csi_shift=-2.0)
    v1 = write_synthetic_version(root / "v1", instrument, seed=1)
    # v1 finished after v0 (the previous version is chosen by time)
    (v1 / "index/csi.csv").touch()
    return root


def cfg(version="v1", language="en", **report):
    return {"study": "demo", "version": version, "seed": 7, "language": language, "report": report}


class _Parser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.sections, self.imgs, self.links, self.scripts = {}, [], [], []
        self._sec = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self.sections[a.get("id")] = a.get("class")
        if tag == "img":
            self.imgs.append(a)
        if tag in ("link", "iframe"):
            self.links.append(a)
        if tag == "script":
            self.scripts.append(a)


@pytest.fixture(scope="module")
def report_en(study, instrument):
    return build_report(study / "v1", cfg(), instrument)


def parse(html):
    p = _Parser()
    p.feed(html)
    return p


def test_every_section_is_present_and_ran(report_en):
    p = parse(report_en)
    assert list(p.sections) == list(SECTIONS)
    assert set(p.sections.values()) == {"ran"}


def test_every_figure_is_embedded_as_svg(report_en):
    p = parse(report_en)
    ids = re.findall(r'<figure id="fig-([^"]+)"', report_en)
    assert {"scores", "likert", "path", "ipa", "segments"} <= set(ids)
    assert len(p.imgs) == len(ids)
    for img in p.imgs:
        assert img["src"].startswith("data:image/svg+xml;base64,")
        svg = base64.b64decode(img["src"].split(",", 1)[1])
        assert svg.lstrip().startswith(b"<?xml") and b"<svg" in svg


def test_report_needs_no_network(report_en):
    p = parse(report_en)
    assert not p.links and not p.scripts
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", report_en)


def test_report_is_phone_readable_and_printable(report_en):
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in report_en
    assert "@media print" in report_en and "@media (max-width: 600px)" in report_en


def test_report_is_byte_identical_on_rerun(study, instrument, report_en):
    assert build_report(study / "v1", cfg(), instrument) == report_en


def test_headline_is_the_configured_index_defined_in_one_sentence(study, instrument, report_en):
    summ = report_en.split('<section id="summary"')[1].split("</section>")[0]
    # default: the ACSI-style satisfaction index (CS = 71.0), the indicator index secondary
    assert '<div class="csi-value">71.0</div>' in summ
    assert "The customer satisfaction index is the ACSI-style satisfaction score" in summ
    assert "Weighted indicator index: 69.5" in summ
    html = build_report(study / "v1", cfg(headline="indicators"), instrument)
    summ = html.split('<section id="summary"')[1].split("</section>")[0]
    assert '<div class="csi-value">69.5</div>' in summ
    assert "Customer satisfaction index (CSI): 71.0" in summ
    assert "no separate CSI row" not in html and "the CSI shown is" not in html


def test_versions_are_not_waves_and_a_previous_wave_is_tested(study, instrument, report_en):
    # v0 exists but is an earlier version of the same wave: never compared
    assert "No earlier wave of this study was given" in report_en
    assert "previous version" not in report_en
    html = build_report(study / "v1", cfg(previous_wave=str(study / "v0")), instrument)
    m = re.search(
        r"the index moved from 69\.0 to 71\.0: \+2\.0 points.*z = 1\.57, p = 0\.116", html
    )
    assert m, "change against the previous wave with its z test is missing"


def test_previous_wave_that_is_this_version_names_the_config_key(study, instrument):
    with pytest.raises(ConfigError, match=r"report\.previous_wave"):
        build_report(study / "v1", cfg(previous_wave=str(study / "v1")), instrument)


def test_summary_warns_with_thresholds_named(report_en):
    summ = report_en.split('<section id="summary"')[1].split("</section>")[0]
    assert "CE and PQ: HTMT = 0.94 &gt; 0.90" in summ
    assert (
        "Strongest drivers of satisfaction (total effects on CS): PQ Perceived quality (0.50)"
        in summ
    )
    assert "Top priorities (largest importance × gap to 100):" in summ


def test_small_segment_is_suppressed_everywhere(report_en):
    seg = report_en.split('<section id="ipa"')[1].split("</section>")[0]
    assert "fewer than 10 respondents are not shown: segment=vip" in seg
    assert ">vip<" not in seg
    app = report_en.split('<section id="appendix"')[1]
    row = re.search(r"<tr><td>CS</td><td>segment</td><td>vip</td>(.*?)</tr>", app).group(1)
    assert "–" in row and not re.search(r"\d+\.\d{3}", row)


def test_small_answer_cells_are_suppressed_and_said_so(study, instrument):
    html = build_report(study / "v1", cfg(min_cell=40), instrument)
    q = html.split('<section id="questions"')[1].split("</section>")[0]
    assert "Small-cell protection:" in q and "fewer than 40 respondents" in q
    assert q.count("<td>–</td>") > 0


def test_stages_not_run_say_so(tmp_path, instrument):
    v = write_synthetic_version(tmp_path / "s" / "v1", instrument, stages=["clean"])
    html = build_report(v, cfg(), instrument)
    p = parse(html)
    assert p.sections["summary"] == "not-run" and p.sections["model"] == "not-run"
    assert p.sections["questions"] == "ran"
    assert "This stage has not run for this version: index/csi.csv is not in" in html
    assert "model/estimates.csv is not in" in html
    assert "Weights are not available for this version" in html


def test_chinese_report_is_simplified_and_uses_the_seed_terms(study, instrument):
    html = build_report(study / "v1", cfg(language="zh"), instrument)
    assert '<html lang="zh-Hans">' in html
    for text in ["顾客满意度指数调查报告", "顾客期望", "感知质量", "感知价值", "顾客抱怨", "顾客忠诚",
                 "总体满意度", "很满意", "优先改进"]:  # fmt: skip
        assert text in html
    body = html.split("<main>")[1]
    # no Traditional-only characters anywhere in the Simplified report
    for ch in "顧滿體質價護戶誠對與變":
        assert ch not in body, ch


def test_traditional_chinese_report(study, instrument):
    html = build_report(study / "v1", cfg(language="zh-Hant"), instrument)
    assert '<html lang="zh-Hant">' in html
    for text in ["顧客滿意度指數調查報告", "顧客期望", "感知質量", "總體滿意度"]:
        assert text in html


def test_report_language_overrides_study_language():
    assert (
        ReportOptions.from_config({"language": "en", "report": {"language": "zh"}}).language == "zh"
    )
    assert (
        ReportOptions.from_config({"language": "zh", "report": {"language": None}}).language == "zh"
    )


def test_unreadable_index_table_names_the_file(tmp_path):
    import pandas as pd

    with pytest.raises(InputError, match=r"index/csi.csv.*construct column"):
        standard_index_table(pd.DataFrame({"foo": [1]}), "index/csi.csv")


def test_weights_missing_for_a_respondent_is_an_error(tmp_path, instrument):
    import pandas as pd

    v = write_synthetic_version(tmp_path / "s" / "v1", instrument, stages=["clean", "weights"])
    w = pd.read_parquet(v / "weights/weights.parquet").iloc[1:]
    w.to_parquet(v / "weights/weights.parquet")
    with pytest.raises(InputError, match=r"respondent 'R000001'.*no weight"):
        build_report(v, cfg(), instrument)


def test_copied_version_reports_identically(study, instrument, tmp_path, report_en):
    dst = tmp_path / "demo"
    shutil.copytree(study, dst)
    (dst / "v1/index/csi.csv").touch()
    assert build_report(dst / "v1", cfg(), instrument) == report_en


def test_ten_point_instrument_with_image_construct(tmp_path):
    ins = load_instrument(ROOT / "config/examples/ecsi_mobi_instrument.yaml")
    v = write_synthetic_version(tmp_path / "ecsi" / "v1", ins, stages=["clean", "weights"])
    html = build_report(v, {"study": "ecsi", "version": "v1", "start": "responses"}, ins)
    assert "IMAG1 It can be trusted" in html
    assert "The study starts from the collected responses" in html
    q = html.split('<section id="questions"')[1].split("</section>")[0]
    assert "<th>very satisfied</th>" in q and "<th>very dissatisfied</th>" in q


def test_pls_paths_get_stars_from_bootstrap_intervals():
    import pandas as pd

    from csindex.report.sections import bootstrap_stars as _bootstrap_stars
    from csindex.report.sections import structural_paths as _structural_paths

    est = pd.DataFrame(
        {
            "lhs": ["CS", "CL"],
            "op": ["~", "~"],
            "rhs": ["PQ", "CS"],
            "est": [0.3, 0.02],
            "pvalue": [None, None],
        }
    )
    boot = pd.DataFrame(
        {
            "statistic": ["path:PQ->CS", "path:CS->CL"],
            "ci_lower": [0.1, -0.05],
            "ci_upper": [0.5, 0.09],
        }
    )
    paths, found = _bootstrap_stars(_structural_paths(est, None), boot)
    assert found and paths["stars"].tolist() == ["*", ""]


def test_quality_criteria_have_thresholds_and_marks(report_en):
    m = report_en.split('<section id="model"')[1].split("</section>")[0]
    assert "Cronbach α" in m and "ρA" in m and "ρC" in m and "AVE" in m
    assert "HTMT &lt; 0.90" in m and "Fornell–Larcker" in m and "Adjusted R²" in m and "f²" in m
    row = re.search(r"<tr><td>CE – PQ</td><td>0.94</td><td>(.*?)</td></tr>", m).group(1)
    assert "warn" in row


def test_index_table_in_the_index_stage_shape():
    import pandas as pd

    csi = pd.DataFrame(
        {
            "construct": ["CS", "CS"],
            "group_var": ["overall", "segment"],
            "group": ["all", "business"],
            "n": [500, 19],
            "index": [68.8, 60.9],
            "se": [1.07, 3.2],
            "ci_lower": [66.6, 54.6],
            "ci_upper": [70.8, 67.1],
        }
    )
    std = standard_index_table(csi)
    assert std["by"].tolist() == ["overall", "segment"]
    assert std["group"].tolist() == ["", "business"]
    assert std["estimate"].tolist() == [68.8, 60.9] and std["ci_high"].tolist() == [70.8, 67.1]


def _visible_body(html: str) -> str:
    """Text of the report body a reader sees without opening a collapsible block."""
    body = html.split("<main>")[1].split("</main>")[0]
    body = re.sub(r"<details>.*?</details>", "", body, flags=re.S)
    body = re.sub(r'src="data:[^"]*"', "", body)
    return re.sub(r"<[^>]+>", " ", body)


def _dotted_keys(d, prefix=""):
    out = set()
    if isinstance(d, dict):
        for k, v in d.items():
            key = f"{prefix}.{k}" if prefix else str(k)
            if prefix:
                out.add(key)
            out |= _dotted_keys(v, key)
    return out


def test_no_dotted_config_key_or_dump_in_the_visible_body(study, instrument, report_en):
    import json

    keys = _dotted_keys(cfg())
    for f in (study / "v1").rglob("*.json"):
        keys |= _dotted_keys(json.loads(f.read_text()))
    keys |= {"sample_size.n_fpc", "injected_check.defects.speeders.caught", "model.blocks.CC",
             "report.min_cell", "start: responses"}  # fmt: skip
    text = _visible_body(report_en)
    assert not [k for k in keys if k in text]
    # the configuration and diagnostics are in the appendix's collapsible blocks
    app = report_en.split('<section id="appendix"')[1]
    assert "<details><summary>Configuration</summary>" in app
    assert "<details><summary>Stage diagnostics</summary>" in app


def test_no_internal_notes_in_reader_facing_text(report_en, study, instrument):
    for html in (report_en, build_report(study / "v1", cfg(language="zh"), instrument)):
        text = _visible_body(html)
        for bad in ("index stage gives no", "the CSI shown is", "指数阶段", "previous version"):
            assert bad not in text


def test_diagnostics_json_holds_what_the_appendix_collapses(study, instrument):
    rep = make_report(study / "v1", cfg(), instrument)
    d = rep.diagnostics
    assert {"design", "weights", "fit", "provenance", "warnings"} <= set(d)
    assert any(w["key"] == "warn_htmt" and w["v"] == 0.94 for w in d["warnings"])
