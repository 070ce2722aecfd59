"""Rule rollup: company indices -> industry, sector and national indices per wave, and the
change between waves at every level (results/<programme>/<version>/programme/)."""

import pandas as pd

from csindex.io import read_json, write_csv
from csindex.programme.rollup import RollupOptions, company_index, rollup, trends
from csindex.programme.sheet import read_sectors, read_studies
from csindex.workflow import setup_script

log = setup_script(snakemake)
p = snakemake.params
sheet = read_studies(snakemake.input.sheet).set_index(["study", "wave"])
# the true CSI of each study x wave when every one is simulated (rule validate)
truth_files = list(snakemake.input.get("truth", []) or [])
truths = [read_json(f)["csi_truth"] for f in truth_files] or [float("nan")] * len(p.studies)
rows = []
for study, wave, path, true_csi in zip(
    p.studies, p.waves, snakemake.input.indices, truths, strict=True
):
    meta = sheet.loc[(study, wave)]
    rows.append(
        {
            "id": study,
            "wave": wave,
            **company_index(pd.read_csv(path)),
            "truth": true_csi,
            "industry": meta["industry"],
            "sector": meta["sector"],
            "revenue": float(meta["revenue"]),
        }
    )
companies = pd.DataFrame(rows)
sectors = read_sectors(snakemake.input.sectors, sorted(set(companies["sector"])))
opt = RollupOptions(alpha=float(p.alpha))
res = rollup(companies, sectors, opt)
# The true CSI of simulated studies, rolled up with the same weights (se 0).
out = {
    "companies": res.companies,
    "industries": res.industries,
    "sectors": res.sectors,
    "national": res.national,
}
if companies["truth"].notna().all():
    true = rollup(companies.assign(index=companies["truth"], se=0.0), sectors, opt)
    for key, frame in out.items():
        out[key] = frame.assign(truth=getattr(true, key)["index"].to_numpy())
for key, frame in out.items():
    write_csv(frame, snakemake.output[key])
tr = trends(companies, sectors, opt)
if companies["truth"].notna().all() and len(tr):
    ttr = trends(companies.assign(index=companies["truth"], se=0.0), sectors, opt)
    tr = tr.assign(true_change=ttr["change"].to_numpy())
write_csv(tr, snakemake.output.trends)
log.info("%s", res.summary())
