"""The report in a real browser: headless Chromium prints report.html (English, Simplified and
Traditional Chinese) to PDF; the page count is in range and the PDF's text layer holds the
headline. Skipped with the reason when chromium or poppler-utils is absent (CI installs them).

Also: the captions of ``snakemake --report`` (workflow/report/*.rst, Jinja templates) name the
estimator that ran."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from csindex.instrument import load_instrument
from csindex.report import build_report, write_report
from csindex.report.synthetic import write_synthetic_version

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_browser = pytest.mark.skipif(
    CHROMIUM is None or shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None,
    reason="headless Chromium and poppler-utils are needed (apt-get install chromium "
    "poppler-utils); CI installs them",
)


def print_to_pdf(html: Path, pdf: Path) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}",
                "--no-pdf-header-footer", f"--print-to-pdf={pdf}", html.as_uri(),
            ],
            capture_output=True, timeout=180, check=False,
        )  # fmt: skip
    assert pdf.is_file() and pdf.stat().st_size > 0, "chromium wrote no PDF"


def pages(pdf: Path) -> int:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return int(next(ln.split()[-1] for ln in out.stdout.splitlines() if ln.startswith("Pages")))


def text(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    return out.stdout


@pytest.fixture(scope="module")
def version(tmp_path_factory):
    ins = load_instrument(ROOT / "config/instrument.yaml")
    return write_synthetic_version(tmp_path_factory.mktemp("br") / "demo" / "v1", ins), ins


@needs_browser
@pytest.mark.parametrize(
    ("language", "headline"),
    [
        ("en", "Customer satisfaction index (CSI)"),
        ("zh", "顾客满意度指数(CSI)"),
        ("zh-Hant", "顧客滿意度指數(CSI)"),
    ],
)
def test_report_prints_to_pdf_with_the_headline_in_its_text_layer(version, language, headline):
    v, ins = version
    html = build_report(v, {"study": "demo", "version": "v1", "language": language}, ins)
    out = v / f"report/report_{language}.html"
    write_report(html, out)
    pdf = out.with_suffix(".pdf")
    print_to_pdf(out, pdf)
    n = pages(pdf)
    assert 6 <= n <= 20, f"{n} pages"
    t = text(pdf)
    assert headline in t and "71.0" in t


RST = ROOT / "workflow" / "report"


def render_caption(name: str, config: dict) -> str:
    from jinja2 import Template

    return Template((RST / name).read_text(encoding="utf-8")).render(
        snakemake=SimpleNamespace(config=config)
    )


@pytest.mark.parametrize("name", sorted(p.name for p in RST.glob("*.rst")))
def test_snakemake_report_text_names_the_estimator_that_ran(name):
    import yaml

    base = yaml.safe_load((ROOT / "config/config.yaml").read_text(encoding="utf-8"))
    pls = render_caption(name, {**base, "model": {"estimator": "pls", "type": "acsi"}})
    assert "CB-SEM" not in pls and "covariance-based" not in pls, name
    cb = render_caption(name, {**base, "model": {"estimator": "cbsem", "type": "acsi"}})
    assert "PLS path modelling" not in cb and "PLS outer weights" not in cb, name
    if name in ("workflow.rst", "model.rst"):
        assert "PLS path modelling" in pls and "covariance-based SEM" in cb
