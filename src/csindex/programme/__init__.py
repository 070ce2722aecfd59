"""A CSI programme: many studies (companies) and waves, rolled up to industry, sector and
national indices.

- :mod:`csindex.programme.sheet`: the studies sheet (``config/studies.tsv``), the sector weights
  table and the per-study configuration (base config merged with the row's overlay).
- :mod:`csindex.programme.rollup`: the weighted roll-up with propagated standard errors and the
  change between waves.
- :mod:`csindex.programme.report`: the programme report (self-contained HTML, en/zh).
"""
