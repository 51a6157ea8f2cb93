"""Renders results and verdicts: the terminal summary, REPORT.md and a merged JUnit XML."""

import re
import textwrap
from typing import Dict, List

import junit
from junit import JUnitCase
from results import (BLOCKED, BROKEN, FAILED, NOT_PASSING, PASSED, SKIPPED, UNSUPPORTED, Results,
                     TestCase)
from verdict import UNTESTED, VERDICTS, AssertionVerdict, Verdicts


# What gtest writes around a failure's own message: "Failed" (ADD_FAILURE, FAIL) and the
# expression, actual and expected value of a boolean check.
_GTEST_PREAMBLE = re.compile(r"Failed|Value of: .*|Actual: (true|false)|Expected: (true|false)")


def first_failure_line(case: TestCase) -> str:
    """The line a reader needs first: gtest puts `file:line` alone, then what went wrong (after
    its preamble, when the check has a message of its own)."""
    lines = [line.strip() for line in case.message.splitlines() if line.strip()]
    if not lines:
        return case.status if case.status in NOT_PASSING else ""
    if re.fullmatch(r"\S+:\d+", lines[0]) and len(lines) > 1:
        rest = lines[1:]
        while len(rest) > 1 and _GTEST_PREAMBLE.fullmatch(rest[0]):
            rest = rest[1:]
        return f"{lines[0]}: {rest[0]}"
    return lines[0]


def counting_line(results: Results) -> str:
    line = f"{results.count(PASSED)} passed, {results.count(FAILED)} failed"
    for status in (BROKEN, BLOCKED, UNSUPPORTED, SKIPPED):
        number = results.count(status)
        line += f", {number} {status}" if number else ""
    return line


def failed_case_lines(results: Results) -> List[str]:
    """One line per failed case, for the end of `ipcconf test`."""
    return [f"{c.status.upper()} {_case_label(c)}: {first_failure_line(c)}"
            for c in results.cases if c.status in NOT_PASSING]


def _case_label(case: TestCase) -> str:
    return case.target if case.whole_target else f"{case.full_name} [{case.target}]"


def _target_count(results: Results) -> int:
    return len({c.target for c in results.cases})


def _wrap(label: str, text: str) -> List[str]:
    indent = " " * (len(label) + 2)
    return textwrap.wrap(text, width=98, initial_indent="  " + label,
                         subsequent_indent=indent) or ["  " + label]


def _table(first: str, counts_by_row: Dict[str, Dict[str, int]], total: Dict[str, int]) -> List[str]:
    header = (first, "assertions") + VERDICTS
    rows = [[name, str(sum(counts.values()))] + [str(counts[s]) for s in VERDICTS]
            for name, counts in counts_by_row.items()]
    rows.append(["total", str(sum(total.values()))] + [str(total[s]) for s in VERDICTS])
    widths = [max(len(r[i]) for r in rows + [list(header)]) for i in range(len(header))]
    return ["  ".join([row[0].ljust(widths[0])] +
                      [c.rjust(w) for c, w in zip(row[1:], widths[1:])]).rstrip()
            for row in [list(header)] + rows]


def _totals(verdicts: Verdicts) -> Dict[str, int]:
    return {s: verdicts.total(s) for s in VERDICTS}


def terminal_summary(verdicts: Verdicts, results: Results, machine: str) -> str:
    scope = f", profile {verdicts.profile} only" if verdicts.profile else ""
    out = [f"ipcconf conformance of {machine}{scope}", ""]
    out += _table("area", verdicts.areas, _totals(verdicts))
    if not verdicts.profile:  # both profiles, reported separately
        out += [""] + _table("profile", verdicts.profiles(), _totals(verdicts))
    out += ["", f"test cases: {counting_line(results)} "
                f"(in {_target_count(results)} test target(s))"]
    for verdict in verdicts.of_status(FAILED) + verdicts.of_status(BROKEN):
        a = verdict.assertion
        out += ["", f"{verdict.status.upper()} {a.id} ({a.area}, {a.profile})"]
        out += _wrap("statement: ", a.statement) + _wrap("source:    ", a.source)
        for case in verdict.failed_cases:
            out.append(f"  {case.status} in: {_case_label(case)}")
            out.append(f"             {first_failure_line(case)}")
        dependents = verdicts.dependents(a.id)
        if dependents:
            out += _wrap("blocks:    ", ", ".join(dependents) +
                         " (their tests rely on it; not failures of their own)")
    for verdict in verdicts.orphan_blocked():
        out += ["", f"BLOCKED {verdict.assertion.id} by {', '.join(verdict.blockers)}: "
                    f"{first_failure_line(verdict.cases[0]) if verdict.cases else ''}"]
    if verdicts.of_status(UNSUPPORTED):
        out.append("")
    for verdict in verdicts.of_status(UNSUPPORTED):
        probes = sorted({c.probe for c in verdict.cases if c.probe}) or ["(skipped)"]
        out.append(f"UNSUPPORTED {verdict.assertion.id}: {'; '.join(probes)}")
    if verdicts.failed_without_ids:
        out += ["", "FAILED tests that check no assertion:"]
        out += [f"  {_case_label(c)}: {first_failure_line(c)}"
                for c in verdicts.failed_without_ids]
    problems = results.problems + verdicts.unknown_ids
    if problems:
        out += ["", "problems with the results:"] + [f"  {p}" for p in problems]
    untested = verdicts.total(UNTESTED)
    if untested:
        out += ["", f"{untested} assertion(s) have no result (no test case names them); "
                    f"REPORT.md lists them."]
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _code_block(text: str) -> List[str]:
    fence = "````" if "```" in text else "```"
    return [fence] + text.splitlines() + [fence]


def markdown_report(verdicts: Verdicts, results: Results, machine: str, when: str) -> str:
    out = ["# ipcconf conformance report", "",
           f"- Machine: {machine}", f"- Run: {when}",
           f"- Test cases: {counting_line(results)} "
           f"(in {_target_count(results)} test target(s))", "",
           "## Summary by area", "",
           "| Area | Assertions | " + " | ".join(s.capitalize() for s in VERDICTS) + " |",
           "|---|---:|" + "---:|" * len(VERDICTS)]
    for area, counts in verdicts.areas.items():
        out.append(f"| {_md(area)} | {sum(counts.values())} | " +
                   " | ".join(str(counts[s]) for s in VERDICTS) + " |")
    out.append(f"| **total** | {len(verdicts.by_id)} | " +
               " | ".join(str(verdicts.total(s)) for s in VERDICTS) + " |")
    failed = verdicts.of_status(FAILED) + verdicts.of_status(BROKEN)
    if failed:
        out += ["", "## Failed assertions"]
        for verdict in failed:
            out += _markdown_failed_assertion(verdict)
            dependents = verdicts.dependents(verdict.assertion.id)
            if dependents:
                out += ["", "- **Blocks** (their tests rely on it; not failures of their own): " +
                        ", ".join(f"`{d}`" for d in dependents)]
    orphans = verdicts.orphan_blocked()
    if orphans:
        out += ["", "## Blocked assertions whose root is not among the failures", ""]
        out += [f"- `{v.assertion.id}` blocked by " + ", ".join(f"`{b}`" for b in v.blockers)
                for v in orphans]
    if verdicts.failed_without_ids:
        out += ["", "## Failed tests that check no assertion"]
        for case in verdicts.failed_without_ids:
            out += _markdown_failed_case(case, "")
    problems = results.problems + verdicts.unknown_ids
    if problems:
        out += ["", "## Problems with the results", ""] + [f"- {_md(p)}" for p in problems]
    for area in verdicts.areas:
        out += ["", f"## Area `{area}`", "",
                "| Assertion | Profile | Verdict | Test cases | Statement |",
                "|---|---|---|---:|---|"]
        for assertion_id, v in sorted(verdicts.by_id.items()):
            if v.assertion.area == area:
                out.append(f"| `{assertion_id}` | {v.assertion.profile} | {v.status} | "
                           f"{len(v.cases)} | {_md(v.assertion.statement)} |")
    return "\n".join(out) + "\n"


def _markdown_failed_case(case: TestCase, indent: str) -> List[str]:
    """A list item naming the case, then its whole failure text."""
    label = f"`{case.target}`" if case.whole_target else f"`{case.full_name}` (`{case.target}`)"
    text = _code_block(case.message or "failed")
    return ["", f"{indent}- {label}", ""] + [(indent + "  " + line).rstrip() for line in text]


def _markdown_failed_assertion(verdict: AssertionVerdict) -> List[str]:
    a = verdict.assertion
    out = ["", f"### `{a.id}`", "",
           f"- **Statement:** {a.statement}", f"- **Source:** {a.source}",
           f"- **Profile:** {a.profile}; **area:** {a.area}", "- **Failing tests:**"]
    for case in verdict.failed_cases:
        out += _markdown_failed_case(case, "  ")
    return out


def junit_xml(results: Results) -> bytes:
    """All cases in one JUnit file: a testsuite per target, assertion ids as properties."""
    by_target: Dict[str, List[JUnitCase]] = {}
    for case in results.cases:
        properties = ([("assertions", " ".join(case.assertions))] +
                      [("assertion", assertion_id) for assertion_id in case.assertions]
                      if case.assertions else [])
        status = (junit.PASSED if case.status == PASSED else
                  junit.FAILURE if case.status in NOT_PASSING else junit.SKIPPED)
        by_target.setdefault(case.target, []).append(JUnitCase(
            case.name, case.classname, status, first_failure_line(case), case.message,
            case.time, properties))
    return junit.junit_document(list(by_target.items()), "ipcconf")
