"""The report as one self-contained HTML page (inline CSS, no script, no network): per run the
counts, the matrix of areas x assertions, and every deviation with its statement, source and
diagnosis; with two runs (reference and port) the matrix shows both side by side."""

import html
from typing import List, Optional, Tuple

from expectations import Outcome
from results import Results
from verdict import VERDICTS, AssertionVerdict, Verdicts

_COLOURS = {"passed": "#2e7d32", "failed": "#c62828", "broken": "#6a1b9a", "blocked": "#8d6e63",
            "expected": "#ef6c00", "unsupported": "#607d8b", "skipped": "#9e9e9e",
            "no result": "#e0e0e0"}

_CSS = """
body{font-family:sans-serif;margin:1.5em;color:#222;max-width:75em}
table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}
th{background:#f4f4f4}
td.n{text-align:right}
.v{color:#fff;font-weight:bold;white-space:nowrap}
.grid{display:flex;flex-wrap:wrap;gap:2px;margin:.3em 0 1em}
.grid span{display:inline-block;width:1.1em;height:1.1em}
pre{background:#f8f8f8;border:1px solid #ddd;padding:.5em;white-space:pre-wrap;font-size:90%}
.dev{border-left:4px solid #c62828;padding-left:.8em;margin:1em 0}
.legend span{padding:.1em .4em;margin-right:.3em}
""" + "".join(f".s-{k.replace(' ', '-')}{{background:{c}}}\n" for k, c in _COLOURS.items())

Run = Tuple[str, Verdicts, Results, Optional[Outcome]]  # label, verdicts, results, expectations


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _badge(status: str) -> str:
    return f'<span class="v s-{status.replace(" ", "-")}">{_e(status)}</span>'


def _counts_table(runs: List[Run]) -> List[str]:
    out = ["<table><tr><th>run</th><th>area</th><th>assertions</th>" +
           "".join(f"<th>{_badge(s)}</th>" for s in VERDICTS) + "</tr>"]
    for label, verdicts, _, _ in runs:
        rows = list(verdicts.areas.items()) + [("total", {s: verdicts.total(s) for s in VERDICTS})]
        for area, counts in rows:
            out.append(f"<tr><td>{_e(label)}</td><td>{_e(area)}</td>"
                       f"<td class=n>{sum(counts.values())}</td>" +
                       "".join(f'<td class=n data-status="{_e(s)}">{counts[s]}</td>'
                               for s in VERDICTS) + "</tr>")
    return out + ["</table>"]


def _matrix(runs: List[Run]) -> List[str]:
    areas = sorted({v.assertion.area for _, verdicts, _, _ in runs
                    for v in verdicts.by_id.values()})
    out = ['<h2>Matrix: areas x assertions</h2>',
           '<p class=legend>' + "".join(_badge(s) for s in VERDICTS) + "</p>"]
    for area in areas:
        ids = sorted({i for _, verdicts, _, _ in runs for i, v in verdicts.by_id.items()
                      if v.assertion.area == area})
        out.append(f'<h3 id="area-{_e(area)}">Area {_e(area)} ({len(ids)} assertions)</h3>')
        for label, verdicts, _, _ in runs:
            cells = "".join(
                f'<span class="s-{verdicts.by_id[i].status.replace(" ", "-")}" '
                f'title="{_e(i)}: {_e(verdicts.by_id[i].status)}"></span>'
                for i in ids if i in verdicts.by_id)
            out.append(f"<div>{_e(label)}</div><div class=grid>{cells}</div>")
        out.append("<table><tr><th>assertion</th><th>profile</th>" +
                   "".join(f"<th>{_e(label)}</th>" for label, _, _, _ in runs) +
                   "<th>statement</th></tr>")
        for i in ids:
            known = next(v for _, verdicts, _, _ in runs for j, v in verdicts.by_id.items()
                         if j == i)
            differs = len({r[1].by_id[i].status for r in runs if i in r[1].by_id}) > 1
            style = ' style="outline:2px solid #c62828"' if differs and len(runs) > 1 else ""
            out.append(f'<tr class="assertion" data-id="{_e(i)}"{style}><td><code>{_e(i)}'
                       f'</code></td><td>{_e(known.assertion.profile)}</td>' +
                       "".join(f"<td>{_badge(r[1].by_id[i].status) if i in r[1].by_id else ''}"
                               f"</td>" for r in runs) +
                       f"<td>{_e(known.assertion.statement)}</td></tr>")
        out.append("</table>")
    return out


def _deviation(label: str, v: AssertionVerdict) -> List[str]:
    a = v.assertion
    out = [f'<div class=dev id="dev-{_e(label)}-{_e(a.id)}">',
           f"<h3>{_badge(v.status)} <code>{_e(a.id)}</code> <small>({_e(label)})</small></h3>",
           f"<p><b>Statement:</b> {_e(a.statement)}</p>",
           f"<p><b>Source:</b> {_e(a.source)}</p>",
           f"<p><b>Profile:</b> {_e(a.profile)}; <b>area:</b> {_e(a.area)}</p>"]
    if v.reason:
        out.append(f"<p><b>Expected deviation:</b> {_e(v.reason)}</p>")
    for case in v.deviating_cases:
        out.append(f"<p><b>{_e(case.status)} in</b> <code>{_e(case.full_name)}</code>" +
                   (f" &mdash; probe: {_e(case.probe)}" if case.probe else "") + "</p>")
        out.append(f"<pre>{_e(case.message or case.status)}</pre>")
    return out + ["</div>"]


def html_report(runs: List[Run], title: str, when: str) -> str:
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
           f"<h1>{_e(title)}</h1>", f"<p>Generated {_e(when)}.</p>", "<ul>"]
    for label, verdicts, results, outcome in runs:
        line = (f"<li><b>{_e(label)}</b>: {len(results.cases)} test cases; "
                f"{verdicts.total('failed')} failed, {verdicts.total('broken')} broken, "
                f"{verdicts.total('expected')} expected, "
                f"{verdicts.total('unsupported')} unsupported assertions")
        if outcome:
            line += (f"; regressions: {len(outcome.regressions)}, "
                     f"fixed: {len(outcome.fixed)}")
        out.append(line + "</li>")
    out.append("</ul><h2>Summary</h2>")
    out += _counts_table(runs)
    out += _matrix(runs)
    out.append("<h2>Deviations</h2>")
    any_deviation = False
    for label, verdicts, results, outcome in runs:
        for status in ("failed", "broken", "expected", "unsupported"):
            for v in verdicts.of_status(status):
                out += _deviation(label, v)
                any_deviation = True
        for case in verdicts.failed_without_ids:
            any_deviation = True
            out += [f"<div class=dev><h3>{_badge(case.status)} <code>{_e(case.full_name)}"
                    f"</code> ({_e(label)}, checks no assertion)</h3>",
                    f"<pre>{_e(case.message)}</pre></div>"]
        if outcome and outcome.fixed:
            out.append(f"<p><b>{_e(label)}: listed as deviations but now passing</b></p><ul>" +
                       "".join(f"<li>{_e(f)}</li>" for f in outcome.fixed) + "</ul>")
        if results.problems:
            out.append("<p><b>Problems with the results</b></p><ul>" +
                       "".join(f"<li>{_e(p)}</li>" for p in results.problems) + "</ul>")
    if not any_deviation:
        out.append("<p>None: every assertion with a result passed.</p>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
