"""A failed job's summary on the console carries no ``message: None`` line (Snakemake 9 prints
one for every job whose error record has no rule message)."""

from __future__ import annotations

from csindex.workflow import drop_empty_rule_message


def _record(rule_msg):
    return {
        "rule_name": "ingest",
        "rule_msg": rule_msg,
        "msg": "Error in rule ingest, jobid: 2",
        "jobid": 2,
        "input": ["responses.csv"],
        "output": ["clean/ingested.parquet"],
        "log": ["logs/ingest.log"],
        "conda_env": None,
        "shellcmd": None,
        "aux": {},
        "indent": False,
    }


def test_failure_summary_has_no_message_none_line() -> None:
    from snakemake.logging import DefaultFormatter

    assert drop_empty_rule_message()
    fmt = DefaultFormatter.__new__(DefaultFormatter)
    fmt.show_failed_logs = False
    lines = DefaultFormatter._format_job_error(fmt, _record(None))
    assert lines[0] == "Error in rule ingest:"
    assert not any(line.strip() == "message: None" for line in lines)
    assert any("log: logs/ingest.log" in line for line in lines)
    # a rule that has a message keeps it, and wrapping twice changes nothing
    assert drop_empty_rule_message()
    lines = DefaultFormatter._format_job_error(fmt, _record("read the responses"))
    assert "    message: read the responses" in lines
