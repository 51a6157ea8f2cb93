#!/usr/bin/env python3
"""The class report of a batch: one self-contained page, OUT/class.html (inline CSS and SVG, no
script, no network), read from what `tools/ipcconf grade --batch DIR --output OUT` wrote:
OUT/scores.csv and each graded student's OUT/NAME/checks.json.

  class_report.py OUT      writes OUT/class.html and prints its path; bad input: one line, exit 2

The page: per lab the distribution of the scores, each check's pass rate, the most common
failure reasons grouped across students (reason_groups.py) with "k of n" and an example, the
submissions that could not be graded with their reason, and a link to each student's page.
"""

import csv
import dataclasses
import json
import os
import re
import statistics
import sys
import urllib.parse
from typing import List

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import reason_groups  # noqa: E402
from html_pages import badge, document, esc, two_languages  # noqa: E402

COLUMNS = ("submission", "lab", "score", "max_score", "error")
CHECK_KEYS = ("id", "points", "max_points", "passed", "reason_en", "reason_zh")
MOST_COMMON = 15  # reasons shown per lab; the rest are counted


class ReportError(Exception):
    """Input the class report cannot use: one line naming the file and the problem."""


@dataclasses.dataclass
class Student:
    name: str
    lab: str
    score: int
    max_score: int
    checks: list


def _student_folder(output_dir, name):
    if not name or name in (".", "..") or "/" in name or os.sep in name:
        return None
    return os.path.join(output_dir, name)


def _read_checks(folder):
    """The checks of checks.json, or the reason they cannot be used."""
    path = os.path.join(folder, "checks.json")
    try:
        with open(path, encoding="utf-8") as f:
            checks = json.load(f)
    except (OSError, ValueError) as e:
        return None, f"its checks.json cannot be read: {e}"
    if not isinstance(checks, list) or not checks or not all(
            isinstance(c, dict) and all(k in c for k in CHECK_KEYS) for c in checks):
        return None, f"its checks.json is not a list of checks with {', '.join(CHECK_KEYS)}"
    return checks, None


def load(output_dir):
    """([Student] graded, [(name, lab, reason)] not graded), both by name."""
    if not os.path.isdir(output_dir):
        raise ReportError(f"{output_dir}: no such folder")
    path = os.path.join(output_dir, "scores.csv")
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            rows = list(reader)
    except FileNotFoundError:
        raise ReportError(f"{path}: not found (write it with tools/ipcconf grade --batch DIR "
                          f"--output {output_dir})") from None
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise ReportError(f"{path}: cannot read it: {e}") from None
    if missing:
        raise ReportError(f"{path}: no column {', '.join(missing)} (expected "
                          f"{', '.join(COLUMNS)})")
    if not rows:
        raise ReportError(f"{path}: no submissions in it")
    graded, ungraded = [], []
    for row in rows:
        name, lab = row["submission"] or "", row["lab"] or ""
        if row["error"]:
            ungraded.append((name, lab, row["error"]))
            continue
        folder = _student_folder(output_dir, name)
        checks, why = _read_checks(folder) if folder else (None, "its name is not a folder name")
        if checks is None:
            ungraded.append((name, lab, f"graded {row['score']}/{row['max_score']}, but {why}"))
            continue
        got, best = (sum(c["points"] for c in checks), sum(c["max_points"] for c in checks))
        graded.append(Student(name, lab or "?", got, best, checks))
    graded.sort(key=lambda s: (s.name, s.lab))
    ungraded.sort()
    return graded, ungraded


def _of(k, n):
    return f'{k} of {n} <span lang="zh-CN">（{n} 人中 {k} 人）</span>'


def _link(name):
    return f'<a href="{esc(urllib.parse.quote(name, safe=""))}/index.html">{esc(name)}</a>'


def _bins(best):
    """(low, high) score ranges: one per point up to 10 points, else ten tenths of the range."""
    if best <= 10:
        return [(s, s) for s in range(best + 1)]
    lows = [-(-i * best // 10) for i in range(10)]
    return [(lo, (lows[i + 1] - 1) if i < 9 else best) for i, lo in enumerate(lows)]


def histogram(lab, scores, best):
    """An inline SVG bar chart: how many students scored in each range."""
    bins = _bins(best)
    counts = [sum(1 for s in scores if lo <= s <= hi) for lo, hi in bins]
    width, height, left, top, bottom = 600, 230, 40, 24, 44
    plot_w, plot_h = width - left - 10, height - top - bottom
    step = plot_w / len(bins)
    tallest = max(counts) or 1
    out = [f'<svg class=histogram data-lab="{esc(lab)}" xmlns="http://www.w3.org/2000/svg" '
           f'width="{width}" height="{height}" role="img" '
           f'aria-label="scores of {esc(lab)}: {len(scores)} students">',
           f"<title>Scores of {esc(lab)} ({len(scores)} students, out of {best})</title>",
           f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}" '
           f'stroke="#555"/>']
    for (lo, hi), count, i in zip(bins, counts, range(len(bins))):
        h = round(plot_h * count / tallest)
        x = left + i * step
        label = f"{lo}" if lo == hi else f"{lo}–{hi}"
        out.append(f'<g class=bin data-range="{label}" data-count="{count}">'
                   f"<title>{count} students scored {label}</title>"
                   f'<rect x="{x + 3:.1f}" y="{top + plot_h - h}" width="{step - 6:.1f}" '
                   f'height="{h}" fill="#1565c0"/>'
                   f'<text x="{x + step / 2:.1f}" y="{top + plot_h - h - 5}" '
                   f'text-anchor="middle" font-size="13">{count}</text>'
                   f'<text x="{x + step / 2:.1f}" y="{top + plot_h + 16}" '
                   f'text-anchor="middle" font-size="12">{label}</text></g>')
    out.append(f'<text x="{left + plot_w / 2:.0f}" y="{height - 6}" text-anchor="middle" '
               f'font-size="12">score (points) 分数</text>')
    out.append(f'<text x="12" y="{top + plot_h / 2:.0f}" text-anchor="middle" font-size="12" '
               f'transform="rotate(-90 12 {top + plot_h / 2:.0f})">students 人数</text></svg>')
    return "".join(out)


def rate_bar(passed, failed, blocked):
    """A stacked bar: passed green, failed red, blocked brown, out of everyone graded."""
    n = passed + failed + blocked or 1
    out, x = ['<svg class=rate xmlns="http://www.w3.org/2000/svg" width="200" height="14">'], 0.0
    for count, colour in ((passed, "#2e7d32"), (failed, "#c62828"), (blocked, "#8d6e63")):
        w = 200 * count / n
        if w:
            out.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="14" fill="{colour}"/>')
        x += w
    return "".join(out) + "</svg>"


def _by_lab(students):
    labs = {}
    for s in students:
        labs.setdefault(s.lab, []).append(s)
    return dict(sorted(labs.items()))


def _distribution(labs):
    out = ['<h2 id="distribution">Score distribution <span lang="zh-CN">分数分布</span></h2>',
           "<table><tr><th>lab</th><th>graded</th><th>median</th><th>mean</th>"
           "<th>full marks</th><th>out of</th></tr>"]
    for lab, students in labs.items():
        scores = [s.score for s in students]
        best = max(s.max_score for s in students)
        full = sum(1 for s in students if s.score == s.max_score)
        out.append(f'<tr data-lab="{esc(lab)}"><td>{esc(lab)}</td><td class=n>{len(students)}</td>'
                   f"<td class=n>{statistics.median(scores):g}</td>"
                   f"<td class=n>{statistics.mean(scores):.1f}</td>"
                   f"<td class=n>{_of(full, len(students))}</td><td class=n>{best}</td></tr>")
    out.append("</table>")
    for lab, students in labs.items():
        out.append(f"<h3>{esc(lab)}</h3>")
        out.append(histogram(lab, [s.score for s in students],
                             max(s.max_score for s in students)))
    return out


def _pass_rates(labs):
    out = ['<h2 id="pass-rates">Pass rate of each check <span lang="zh-CN">各项通过率</span></h2>']
    for lab, students in labs.items():
        checks = {}  # id -> (statement en, zh, [verdicts]) in the rubric's order
        for s in students:
            for c in s.checks:
                entry = checks.setdefault(c["id"], (c.get("statement_en", ""),
                                                    c.get("statement_zh", ""), []))
                entry[2].append("pass" if c["passed"] else
                                "blocked" if c.get("blocked_by") else "fail")
        out += [f"<h3>{esc(lab)}</h3>",
                f'<table class=rates data-lab="{esc(lab)}"><tr><th>check</th>'
                "<th>what is judged</th><th>passed / graded</th><th>failed</th>"
                f"<th>{badge('blocked')}</th><th></th></tr>"]
        for check_id, (en, zh, verdicts) in checks.items():
            k, f, b = (verdicts.count(v) for v in ("pass", "fail", "blocked"))
            out.append(f'<tr data-id="{esc(check_id)}"><td><code>{esc(check_id)}</code></td>'
                       f"<td>{two_languages(en, zh)}</td>"
                       f"<td class=n>{_of(k, len(verdicts))}</td><td class=n>{f}</td>"
                       f"<td class=n>{b}</td><td class=n>{rate_bar(k, f, b)} "
                       f"{100 * k / len(verdicts):.0f}%</td></tr>")
        out.append("</table>")
    return out


def _mistake(text):
    """A grouped reason, its placeholders marked as such."""
    marks = (reason_groups.NUMBER, reason_groups.PATH, reason_groups.QUOTE)
    parts = re.split("(" + "|".join(re.escape(m) for m in marks) + ")", text)
    return "".join(f"<span class=ph>{esc(p)}</span>" if i % 2 else esc(p)
                   for i, p in enumerate(parts))


def _others(group):
    """The other students of a group, folded (HTML's own details element, no script)."""
    others = group.students[1:]
    if not others:
        return ""
    return (f"<details><summary>{len(others)} more</summary>"
            + ", ".join(_link(n) for n in others) + "</details>")


def _common_reasons(labs):
    groups = reason_groups.failures([(s.name, s.lab, s.checks) for s in
                                     (s for students in labs.values() for s in students)])
    out = ['<h2 id="common-reasons">Most common failure reasons '
           '<span lang="zh-CN">最常见的失败原因</span></h2>',
           "<p class=muted>Reasons that differ only in pids, fds, numbers, paths or quoted "
           "output are one row (<span class=ph>#</span> a number, "
           f"<span class=ph>{esc(reason_groups.PATH)}</span> a path, "
           f"<span class=ph>{esc(reason_groups.QUOTE)}</span> quoted output). Checks that "
           "could not be observed because another failed are counted as blocked above.</p>"]
    for lab, students in labs.items():
        rows = groups.get(lab, [])
        out.append(f"<h3>{esc(lab)}</h3>")
        if not rows:
            out.append("<p>No check failed.</p>")
            continue
        out.append(f'<table class=reasons data-lab="{esc(lab)}"><tr><th>students</th>'
                   "<th>check</th><th>the mistake</th><th>for example</th></tr>")
        for g in rows[:MOST_COMMON]:
            out.append(f'<tr class=reason data-id="{esc(g.check_id)}">'
                       f"<td class=n>{_of(len(g.students), len(students))}</td>"
                       f"<td><code>{esc(g.check_id)}</code><br>"
                       f"<small>{two_languages(g.statement_en, g.statement_zh)}</small></td>"
                       f"<td>{_mistake(g.pattern_en)}<br><span class=zh lang=\"zh-CN\">"
                       f"{_mistake(g.pattern_zh)}</span></td>"
                       f"<td>{_link(g.example)}: "
                       f"{two_languages(g.example_en, g.example_zh)}{_others(g)}</td></tr>")
        out.append("</table>")
        if len(rows) > MOST_COMMON:
            rest = rows[MOST_COMMON:]
            out.append(f"<p>And {len(rest)} other reasons, of "
                       f"{sum(len(g.students) for g in rest)} failed checks in all: see the "
                       "students' pages.</p>")
    return out


def _students(students):
    out = ['<h2 id="students">Students <span lang="zh-CN">学生</span></h2>',
           "<table class=students><tr><th>student</th><th>lab</th><th>score</th>"
           f"<th>{badge('fail')}</th><th>{badge('blocked')}</th></tr>"]
    for s in students:
        failed = sum(1 for c in s.checks if not c["passed"] and not c.get("blocked_by"))
        blocked = sum(1 for c in s.checks if not c["passed"] and c.get("blocked_by"))
        out.append(f'<tr class=student><td>{_link(s.name)}</td><td>{esc(s.lab)}</td>'
                   f"<td class=n>{s.score}/{s.max_score}</td><td class=n>{failed}</td>"
                   f"<td class=n>{blocked}</td></tr>")
    return out + ["</table>"]


def _ungraded(rows):
    out = ['<h2 id="ungraded">Could not be graded <span lang="zh-CN">无法评分</span></h2>']
    if not rows:
        return out + ["<p>None: every submission was graded.</p>"]
    out.append("<table class=ungraded><tr><th>submission</th><th>lab</th><th>why</th></tr>")
    for name, lab, why in rows:
        out.append(f"<tr><td>{esc(name)}</td><td>{esc(lab)}</td><td>{esc(why)}</td></tr>")
    return out + ["</table>"]


def render(students: List[Student], ungraded) -> str:
    labs = _by_lab(students)
    body = ['<h1>Class report <span lang="zh-CN">班级报告</span></h1>',
            f'<p id="summary">{len(students)} submissions graded, {len(ungraded)} could not be '
            f'graded <span lang="zh-CN">（已评分 {len(students)} 份，无法评分 {len(ungraded)} 份）'
            "</span>. Labs: " + ", ".join(f"{esc(lab)} ({len(s)})" for lab, s in labs.items())
            + "</p>",
            '<p><a href="#distribution">distribution</a> · <a href="#pass-rates">pass rates</a>'
            ' · <a href="#common-reasons">common reasons</a> · <a href="#students">students</a>'
            ' · <a href="#ungraded">could not be graded</a></p>']
    body += _distribution(labs) + _pass_rates(labs) + _common_reasons(labs)
    body += _students(students) + _ungraded(ungraded)
    return document("Class report", body)


def write(output_dir):
    """Writes OUTPUT_DIR/class.html; returns its path. Raises ReportError for bad input."""
    students, ungraded = load(output_dir)
    path = os.path.join(output_dir, "class.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write(render(students, ungraded))
    return path


def main(argv):
    if len(argv) != 1 or argv[0].startswith("-"):
        print("usage: class_report.py OUT (the --output folder of tools/ipcconf grade --batch)",
              file=sys.stderr)
        return 2
    try:
        print(write(argv[0]))
    except ReportError as e:
        print(f"class report: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"class report: cannot write {argv[0]}/class.html: {e.strerror}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
