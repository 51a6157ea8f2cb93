"""Reports of one graded submission: terminal table, Gradescope results.json, JUnit, Markdown."""

import json
import xml.etree.ElementTree as ET


def load_rubric(path):
    """[(id, points)] in the rubric's order."""
    rubric = []
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                check_id, points = line.split()
                rubric.append((check_id, int(points)))
    return rubric


def score(rubric, verdicts):
    """Rows (id, points earned, max points, passed, reason) in rubric order."""
    by_id = {v[0]: v for v in verdicts}
    rows = []
    for check_id, points in rubric:
        _, passed, reason = by_id.get(check_id, (check_id, False, "not checked"))
        rows.append((check_id, points if passed else 0, points, passed, reason))
    return rows


def totals(rows):
    return sum(r[1] for r in rows), sum(r[2] for r in rows)


def terminal(name, lab, rows, notes=()):
    got, best = totals(rows)
    width = max(len(r[0]) for r in rows)
    out = [f"{name} ({lab})"]
    for check_id, earned, points, passed, reason in rows:
        out.append(f"  {check_id:<{width}}  {earned:>3}/{points:<3} {'pass' if passed else 'FAIL'}"
                   f"  {reason if not passed else ''}".rstrip())
    out += [f"  note: {n}" for n in notes]
    out.append(f"Score: {got}/{best}")
    return "\n".join(out)


def gradescope(rows, notes=()):
    got, _ = totals(rows)
    return {
        "score": got,
        "output": "\n".join(notes),
        "tests": [{"name": r[0], "score": r[1], "max_score": r[2],
                   "status": "passed" if r[3] else "failed", "output": r[4]} for r in rows],
    }


def junit(name, rows):
    suite = ET.Element("testsuite", name=name, tests=str(len(rows)),
                       failures=str(sum(1 for r in rows if not r[3])))
    for check_id, earned, points, passed, reason in rows:
        case = ET.SubElement(suite, "testcase", name=check_id, classname=name)
        props = ET.SubElement(case, "properties")
        ET.SubElement(props, "property", name="points", value=f"{earned}/{points}")
        if not passed:
            ET.SubElement(case, "failure", message=reason).text = reason
    return ET.tostring(suite, encoding="unicode")


def markdown(name, lab, rows, notes=()):
    got, best = totals(rows)
    out = [f"# {name} ({lab}): {got}/{best}", "", "| check | points | verdict | reason |",
           "| --- | --- | --- | --- |"]
    for check_id, earned, points, passed, reason in rows:
        cell = reason.replace("|", "\\|").replace("\n", " ") if not passed else ""
        out.append(f"| {check_id} | {earned}/{points} | {'pass' if passed else 'FAIL'} | {cell} |")
    out += [""] + [f"- {n}" for n in notes]
    return "\n".join(out) + "\n"


def write_all(rows, name, lab, notes, json_path=None, junit_path=None, markdown_path=None):
    if json_path:
        with open(json_path, "w") as f:
            json.dump(gradescope(rows, notes), f, indent=2)
    if junit_path:
        with open(junit_path, "w") as f:
            f.write(junit(name, rows))
    if markdown_path:
        with open(markdown_path, "w") as f:
            f.write(markdown(name, lab, rows, notes))
