"""Expectation files of a port (conformance/expectations/NAME.txt): the deviations it is known
to have, each with the reason, so that only regressions fail the port's CI.

  # comment
  PIPE.PROP.OUTLIVES_CREATOR   qemu-user: prctl(PR_SET_CHILD_SUBREAPER) fails with EINVAL
  Kinds/PipeCase.Something/fifo   a test name (Suite.Test/param), for one case only

The first word is an assertion id of the catalog or a test case name; the rest of the line is
the reason (required). An unknown id, a test name no result has, a missing reason or a repeated
entry is an error naming the line.
"""

import dataclasses
import re
from typing import Dict, List, Set, Tuple

from catalog import Assertion
from results import NOT_PASSING, PASSED, Results, TestCase
from verdict import DEVIATIONS, EXPECTED, Verdicts

_ID = re.compile(r"[A-Z][A-Z0-9_]*(\.[A-Z0-9_]+)+")


@dataclasses.dataclass
class Expectation:
    key: str
    reason: str  # "[kind] why"
    where: str  # FILE:LINE
    is_test: bool


# What kind of deviation a line records, first in its reason: a bug of the port, a difference
# POSIX allows, or a linux-profile assertion a port of another kind need not meet.
KINDS = ("bug", "legal", "linux-only")
_KIND = re.compile(r"\[(" + "|".join(KINDS) + r")\]\s+\S")


@dataclasses.dataclass
class Outcome:
    regressions: List[str]  # deviations the file does not list
    expected: List[str]  # deviations it lists, with the reason
    fixed: List[str]  # listed, but now passing: remove them from the file


def parse_expectations(path: str, catalog: Dict[str, Assertion],
                       results: Results) -> Tuple[List[Expectation], List[str]]:
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except (OSError, UnicodeDecodeError) as e:
        return [], [f"expectation file {path}: cannot read it: {e}"]
    names = {c.full_name for c in results.cases}
    entries: List[Expectation] = []
    errors: List[str] = []
    seen: Dict[str, str] = {}
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        where = f"{path}:{number}"
        key, _, reason = text.partition(" ")
        key, reason = key.strip(), reason.strip()
        if not reason:
            errors.append(f"{where}: '{key}' has no reason (write: ID-or-test  why it deviates)")
            continue
        if key in seen:
            errors.append(f"{where}: '{key}' is listed again (first at {seen[key]})")
            continue
        kind = _KIND.match(reason)
        if not kind:
            errors.append(f"{where}: '{key}' needs its kind before the reason: [bug] (the port "
                          f"is wrong), [legal] (POSIX allows it) or [linux-only] (a linux-profile "
                          f"assertion)")
            continue
        if kind.group(1) == "linux-only" and key in catalog and catalog[key].profile != "linux":
            errors.append(f"{where}: '{key}' is marked [linux-only] but its profile is "
                          f"{catalog[key].profile}")
            continue
        seen[key] = where
        if key in catalog:
            entries.append(Expectation(key, reason, where, False))
        elif _ID.fullmatch(key):
            errors.append(f"{where}: unknown assertion id '{key}' (not in the catalog)")
        elif key in names:
            entries.append(Expectation(key, reason, where, True))
        else:
            errors.append(f"{where}: '{key}' is neither an assertion id nor a test case of "
                          f"these results")
    return entries, errors


def apply_expectations(verdicts: Verdicts, entries: List[Expectation]) -> Outcome:
    """Marks listed deviations EXPECTED and says what regressed and what was fixed."""
    by_id = {e.key: e for e in entries if not e.is_test}
    by_test = {e.key: e for e in entries if e.is_test}
    outcome = Outcome([], [], [])

    def case_entry(case: TestCase):
        return by_test.get(case.full_name)

    for assertion_id, v in sorted(verdicts.by_id.items()):
        entry = by_id.get(assertion_id)
        if entry and v.status == PASSED:
            outcome.fixed.append(f"{assertion_id} now passes ({entry.where}: {entry.reason})")
            continue
        if v.status not in DEVIATIONS:
            continue
        case_entries = [case_entry(c) for c in v.deviating_cases]
        if entry or (case_entries and all(case_entries)):
            reasons = [entry] if entry else [e for e in case_entries if e]
            v.reason = "; ".join(dict.fromkeys(e.reason for e in reasons))
            outcome.expected.append(f"{assertion_id} ({v.status}): {v.reason}")
            v.status = EXPECTED
        elif v.status in NOT_PASSING:
            outcome.regressions.append(f"{assertion_id} ({v.status})")
    still_failing = []
    for case in verdicts.failed_without_ids:
        entry = case_entry(case)
        if entry:
            outcome.expected.append(f"{case.full_name} ({case.status}): {entry.reason}")
        else:
            outcome.regressions.append(f"{case.full_name} ({case.status})")
            still_failing.append(case)
    verdicts.failed_without_ids = still_failing
    statuses: Dict[str, Set[str]] = {}
    for v in verdicts.by_id.values():
        for case in v.cases:
            statuses.setdefault(case.full_name, set()).add(case.status)
    for key, entry in by_test.items():
        if statuses.get(key) == {PASSED}:
            outcome.fixed.append(f"{key} now passes ({entry.where}: {entry.reason})")
    verdicts.recount()
    return outcome
