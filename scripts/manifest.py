"""Write manifest.json: config hash, input hashes, output hashes, versions, commit, seeds, times."""

from pathlib import Path

from csindex.io import write_json
from csindex.versioning import build_manifest, protect_version
from csindex.workflow import setup_script

log = setup_script(snakemake)
out_dir = Path(snakemake.output[0]).parent
manifest = build_manifest(
    dict(snakemake.params.get("config") or snakemake.config), out_dir, list(snakemake.input)
)
write_json(manifest, snakemake.output[0])
protect_version(out_dir, manifest)  # sealed copy of the manifest; files and folders read-only
log.info(
    "manifest written: %d inputs, %d outputs", len(manifest["inputs"]), len(manifest["outputs"])
)
