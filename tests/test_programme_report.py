"""The programme report: self-contained, en and zh, numbers from the roll-up tables."""

import re

import pytest
from test_programme_rollup import SECTORS, companies

from csindex.programme.report import ProgrammeReportOptions, build_programme_report
from csindex.programme.rollup import rollup, trends


@pytest.mark.parametrize("language, word", [("en", "National index"), ("zh", "全国指数")])
def test_report_sections_and_numbers(language, word):
    c = companies()
    res = rollup(c, SECTORS)
    tr = trends(c, SECTORS)
    html = build_programme_report(
        "prog",
        "v1",
        res.companies,
        res.industries,
        res.sectors,
        res.national,
        tr,
        ProgrammeReportOptions(language=language),
    )
    assert word in html and f'<html lang="{language}">' in html
    for sec in ("national", "sectors", "industries", "companies", "movers", "method"):
        assert f'<section id="{sec}"' in html
    assert not re.search(r'(src|href)="(http|//)', html)  # self-contained
    nat = res.national[res.national.wave == "2026Q3"].iloc[0]
    assert f"<strong>{nat['index']:.1f}</strong>" in html
    assert f"{nat['ci_lower']:.1f} – {nat['ci_upper']:.1f}" in html
    # the league table of sectors is sorted by index, best first
    sec = res.sectors[res.sectors.wave == "2026Q3"].sort_values("index", ascending=False)
    part = html.split('<section id="sectors"')[1].split("</section>")[0]
    pos = [part.index(f"<td>{s}</td>") for s in sec["id"]]
    assert pos == sorted(pos)
    # the biggest mover leads the movers table
    comp = tr[(tr.level == "company") & (tr.comparison == "previous")]
    top = comp.loc[comp["change"].abs().idxmax(), "id"]
    movers = html.split('<section id="movers"')[1]
    assert movers.index(f"<td>{top}</td>") < min(
        movers.index(f"<td>{i}</td>") for i in comp["id"] if i != top
    )
