# csindex: a customer satisfaction index study, from sampling frame to report.
# Run the demo:  snakemake --cores all
# Another study: snakemake --cores all --configfile config/examples/ecsi_mobi.yaml
# A programme (studies x waves, rolled up): --configfile config/examples/programme.yaml


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/simulate.smk"
include: "workflow/rules/sampling.smk"
include: "workflow/rules/cleaning.smk"
include: "workflow/rules/weights.smk"
include: "workflow/rules/indicators.smk"
include: "workflow/rules/model.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/validate.smk"
include: "workflow/rules/programme.smk"
include: "workflow/rules/batch.smk"
include: "workflow/rules/manifest.smk"


rule all:
    input:
        get_final_targets(),
    default_target: True
