"""The report section of the configuration: defaults and clear messages."""

from pathlib import Path

from csindex.config import check_config, config_errors

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "workflow/schemas/config.schema.yaml"
BASE = {"study": "s", "version": "v1", "instrument": "config/instrument.yaml"}


def test_report_options_defaults_are_the_schema_defaults():
    # the workflow's validation does not fill defaults through $ref, so the library applies
    # the same defaults itself
    import yaml

    from csindex.report.builder import ReportOptions

    schema = yaml.safe_load((ROOT / "workflow/schemas/report.schema.yaml").read_text())
    defaults = {k: v["default"] for k, v in schema["properties"].items()}
    check_config({**BASE, "report": defaults}, SCHEMA)
    opt = ReportOptions.from_config({**BASE, "language": "zh", "report": {}})
    assert opt.language == "zh"
    for key in ("min_cell", "level", "headline", "previous_wave", "max_table_rows"):
        assert getattr(opt, key) == defaults[key]


def test_min_cell_below_one_is_refused_with_the_key():
    errs = config_errors({**BASE, "report": {"min_cell": 0}}, SCHEMA)
    assert any("report.min_cell" in e and "too small" in e for e in errs)


def test_unknown_report_key_suggests_the_right_one():
    errs = config_errors({**BASE, "report": {"min_cels": 5}}, SCHEMA)
    assert any("report.min_cels" in e and "did you mean 'min_cell'" in e for e in errs)


def test_report_language_must_be_en_or_zh():
    errs = config_errors({**BASE, "report": {"language": "fr"}}, SCHEMA)
    assert any("report.language" in e and "en" in e and "zh" in e for e in errs)


def test_demo_config_report_section_is_valid():
    import yaml

    cfg = yaml.safe_load((ROOT / "config/config.yaml").read_text(encoding="utf-8"))
    assert not [e for e in config_errors(cfg, SCHEMA) if e.startswith("config key report")]
