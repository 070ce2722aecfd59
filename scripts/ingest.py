"""Rule ingest: read the response file, validate it against the instrument, drop identifiers."""

from csindex.workflow import setup_script

log = setup_script(snakemake)

from pathlib import Path  # noqa: E402

from csindex.cleaning import ingest_file  # noqa: E402
from csindex.errors import InputError  # noqa: E402
from csindex.instrument import load_instrument  # noqa: E402
from csindex.io import sha256_file, write_json, write_parquet  # noqa: E402
from csindex.workflow import warn  # noqa: E402

raw_path = str(snakemake.input.raw)
# a folder or a missing path is reported by ingest_file with a clear message
before = sha256_file(raw_path) if Path(raw_path).is_file() else None
instrument = load_instrument(snakemake.input.instrument)
result = ingest_file(
    raw_path,
    instrument,
    snakemake.params.responses,
    snakemake.params.cleaning,
    snakemake.params.privacy,
    seed=int(snakemake.params.seed),
)
if sha256_file(raw_path) != before:  # pragma: no cover - the readers only read
    raise InputError("the input file changed while it was read", file=raw_path)
for note in result.report.get("notes", []):
    warn(f"{raw_path}: {note}")
write_parquet(result.data, snakemake.output.data)
write_json(result.report, snakemake.output.report)
log.info(
    "ingested %s: %d rows, %d columns kept; encoding %s; dropped %s",
    raw_path,
    len(result.data),
    result.data.shape[1],
    result.report.get("encoding"),
    result.report["privacy"]["dropped"] + result.report["privacy"]["free_text_dropped"],
)
