"""Reports of one graded submission: terminal table, Gradescope results.json, JUnit, Markdown,
checks.json (what a class report reads) and an HTML page (html_pages.py).

Rows are (id, points earned, max points, passed, reason, blocked_by); a reason is a text.T
(English, with .zh). A blocked check earns nothing and says which failed check kept it from
being observed. Every file is written as UTF-8; Chinese program output stays as it was.
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "report"))

import catalog as catalog_reader  # noqa: E402
import html_pages  # noqa: E402
import junit as junit_xml  # noqa: E402
from text import T  # noqa: E402


class RubricError(Exception):
    """A rubric or catalog that cannot be used: one line naming the file and the problem."""


def load_rubric(path, catalog):
    """[(id, points)] in the rubric's order; every id must be in the catalog."""
    rubric = []
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise RubricError(f"rubric {path}: cannot read it: {e}") from None
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit():
            raise RubricError(f"{path}:{number}: expected 'ID POINTS', got {line!r}")
        if parts[0] not in catalog:
            raise RubricError(f"{path}:{number}: {parts[0]} is not in the catalog")
        rubric.append((parts[0], int(parts[1])))
    return rubric


def load_catalog(paths):
    by_id, errors = catalog_reader.load_catalogs(paths)
    if errors:
        raise RubricError(errors[0])
    return by_id


def build_id(rubric):
    """The rubric's build check, found by name, not by position."""
    ids = [i for i, _ in rubric if i.endswith(".BUILDS")]
    if len(ids) != 1:
        raise RubricError(f"the rubric must have exactly one *.BUILDS check, has {ids}")
    return ids[0]


def score(rubric, verdicts):
    """Rows in rubric order."""
    by_id = {v[0]: v for v in verdicts}
    rows = []
    for check_id, points in rubric:
        v = by_id.get(check_id, (check_id, False, T("not checked", "未检查"), None))
        passed, reason = v[1], v[2]
        blocked = v[3] if len(v) > 3 else None
        rows.append((check_id, points if passed else 0, points, passed, reason, blocked))
    return rows


def totals(rows):
    return sum(r[1] for r in rows), sum(r[2] for r in rows)


def _status(row):
    return "pass" if row[3] else "BLOCKED" if row[5] else "FAIL"


def _reason(row, lang):
    reason = T(row[4]) if not isinstance(row[4], T) else row[4]
    text = reason.lang(lang)
    if row[5]:
        text += f" [blocked by {row[5]}]" if lang != "zh" else f"［受阻于 {row[5]}］"
    return text


def terminal(name, lab, rows, notes=(), lang="en", catalog=None):
    got, best = totals(rows)
    width = max(len(r[0]) for r in rows)
    out = [f"{name} ({lab})"]
    for row in rows:
        check_id, earned, points = row[:3]
        out.append(f"  {check_id:<{width}}  {earned:>3}/{points:<3} {_status(row):<7}"
                   f"  {_reason(row, lang) if not row[3] else ''}".rstrip())
    out += [f"  note: {n}" for n in notes]
    out.append(f"Score: {got}/{best}")
    return "\n".join(out)


def _statement(catalog, check_id, lang):
    a = (catalog or {}).get(check_id)
    if not a:
        return ""
    return (a.statement_zh or a.statement) if lang == "zh" else a.statement


def gradescope(rows, notes=(), catalog=None):
    """Gradescope's results.json: each test's output in English and in Chinese."""
    got, _ = totals(rows)
    tests = []
    for row in rows:
        output = [_statement(catalog, row[0], "en"), _statement(catalog, row[0], "zh")]
        if not row[3]:
            output += ["", _reason(row, "en"), _reason(row, "zh")]
        tests.append({"name": row[0], "score": row[1], "max_score": row[2],
                      "status": "passed" if row[3] else "failed",
                      "output": "\n".join(o for o in output if o is not None).strip()})
    return {"score": got, "output": "\n".join(notes), "tests": tests}


def junit(name, rows, lang="en"):
    cases = []
    for row in rows:
        check_id, earned, points, passed = row[:4]
        status = (junit_xml.PASSED if passed else
                  junit_xml.SKIPPED if row[5] else junit_xml.FAILURE)
        reason = "" if passed else _reason(row, lang)
        cases.append(junit_xml.JUnitCase(check_id, name, status, reason, reason,
                                         properties=[("points", f"{earned}/{points}")]))
    return junit_xml.junit_document([(name, cases)], name).decode("utf-8")


def markdown(name, lab, rows, notes=(), lang="en", catalog=None):
    got, best = totals(rows)
    out = [f"# {name} ({lab}): {got}/{best}", "", "| check | points | verdict | reason |",
           "| --- | --- | --- | --- |"]
    for row in rows:
        cell = _reason(row, lang).replace("|", "\\|").replace("\n", " ") if not row[3] else ""
        out.append(f"| {row[0]} | {row[1]}/{row[2]} | {_status(row)} | {cell} |")
    out += [""] + [f"- {n}" for n in notes]
    return "\n".join(out) + "\n"


def checks(rows, catalog=None):
    """checks.json: each check's verdict, reason and statement in English and Chinese."""
    out = []
    for row in rows:
        reason = row[4] if isinstance(row[4], T) else T(row[4] or "")
        out.append({"id": row[0], "points": row[1], "max_points": row[2],
                    "passed": bool(row[3]), "blocked_by": row[5] or None,
                    "reason_en": reason.en, "reason_zh": reason.zh,
                    "statement_en": _statement(catalog, row[0], "en"),
                    "statement_zh": _statement(catalog, row[0], "zh")})
    return out


def write_all(rows, name, lab, notes, json_path=None, junit_path=None, markdown_path=None,
              lang="en", catalog=None, pages_dir=None):
    """Writes the reports asked for. checks.json and index.html go to pages_dir, by default the
    folder of a json_path named results.json (a batch's OUT/NAME/: the class report reads them)."""
    if pages_dir is None and json_path and os.path.basename(json_path) == "results.json":
        pages_dir = os.path.dirname(json_path) or "."
    if json_path:
        with open(json_path, "w", encoding="utf-8") as f:
            json.dump(gradescope(rows, notes, catalog), f, indent=2, ensure_ascii=False)
    if junit_path:
        with open(junit_path, "w", encoding="utf-8") as f:
            f.write(junit(name, rows, lang))
    if markdown_path:
        with open(markdown_path, "w", encoding="utf-8") as f:
            f.write(markdown(name, lab, rows, notes, lang, catalog))
    if pages_dir:
        data = checks(rows, catalog)
        with open(os.path.join(pages_dir, "checks.json"), "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, ensure_ascii=False)
        with open(os.path.join(pages_dir, "index.html"), "w", encoding="utf-8") as f:
            f.write(html_pages.student_page(name, lab, data, notes))
