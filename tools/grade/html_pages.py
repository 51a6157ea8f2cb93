"""The grader's HTML pages: one self-contained page (inline CSS, no script, no network), UTF-8,
every text escaped. A student's page (OUT/NAME/index.html) shows each check with its statement
and its reason in English and Chinese; class_report.py builds the class page on the same parts.
"""

import html

CSS = """
body{font-family:sans-serif;margin:1.5em;color:#222;max-width:80em;background:#fff}
table{border-collapse:collapse;margin:.5em 0 1.2em}
td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f4f4f4}
td.n{text-align:right;white-space:nowrap}
.zh{color:#444}
.v{color:#fff;font-weight:bold;white-space:nowrap;padding:.1em .4em}
.v.pass{background:#2e7d32}.v.fail{background:#c62828}.v.blocked{background:#8d6e63}
tr.fail td:first-child{border-left:4px solid #c62828}
tr.blocked td:first-child{border-left:4px solid #8d6e63}
.score{font-size:130%;font-weight:bold}
.ph{color:#6a1b9a;font-style:italic}
.muted{color:#666}
code{font-size:95%}
svg text{font-family:sans-serif}
"""

# Verdict of a check: (css class, English, Chinese), the order a reader sorts them by.
VERDICTS = {"pass": ("pass", "pass", "通过"), "fail": ("fail", "FAIL", "未通过"),
            "blocked": ("blocked", "BLOCKED", "受阻")}


def esc(text):
    return html.escape(str(text), quote=True)


def verdict_of(check):
    return "pass" if check.get("passed") else "blocked" if check.get("blocked_by") else "fail"


def badge(kind):
    css, en, zh = VERDICTS[kind]
    return f'<span class="v {css}">{esc(en)} <span lang="zh-CN">{esc(zh)}</span></span>'


def two_languages(en, zh):
    """English, then the Chinese on its own line when it says something else."""
    out = esc(en)
    if zh and zh != en:
        out += f'<br><span class=zh lang="zh-CN">{esc(zh)}</span>'
    return out


def document(title, body):
    """A whole page: body is a list of HTML lines, already escaped."""
    return "\n".join(["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
                      f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"]
                     + body + ["</body></html>"]) + "\n"


def student_page(name, lab, checks, notes=()):
    """A student's checks: the score, then per check its points, verdict, statement, reason."""
    got = sum(c["points"] for c in checks)
    best = sum(c["max_points"] for c in checks)
    body = [f"<h1>{esc(name)} <small class=muted>({esc(lab)})</small></h1>",
            f'<p class=score id="score">Score: {got}/{best} '
            f'<span lang="zh-CN">得分：{got}/{best}</span></p>',
            '<table id="checks"><tr><th>check</th><th>points <span lang="zh-CN">分数</span></th>'
            '<th>verdict <span lang="zh-CN">结果</span></th>'
            '<th>what is judged <span lang="zh-CN">评判内容</span></th>'
            '<th>why <span lang="zh-CN">原因</span></th></tr>']
    for c in checks:
        kind = verdict_of(c)
        why = "" if kind == "pass" else two_languages(c["reason_en"], c["reason_zh"])
        if c.get("blocked_by"):
            why += (f'<br><span class=muted>blocked by <code>{esc(c["blocked_by"])}</code> '
                    f'<span lang="zh-CN">受阻于 {esc(c["blocked_by"])}</span></span>')
        body.append(f'<tr class="check {kind}" data-id="{esc(c["id"])}">'
                    f'<td><code>{esc(c["id"])}</code></td>'
                    f'<td class=n>{c["points"]}/{c["max_points"]}</td><td>{badge(kind)}</td>'
                    f'<td>{two_languages(c["statement_en"], c["statement_zh"])}</td>'
                    f"<td>{why}</td></tr>")
    body.append("</table>")
    if notes:
        body.append("<ul class=notes>" + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>")
    return document(f"{name} ({lab}): {got}/{best}", body)
