"""Turns test cases into a verdict per catalog assertion, grouped by area.

An assertion failed if any test case naming it failed; passed if none failed and one passed;
skipped if all its cases were skipped; and has no result if no case names it.
"""

import dataclasses
from typing import Dict, List

from catalog import Assertion
from results import FAILED, PASSED, SKIPPED, Results, TestCase

UNTESTED = "no result"
VERDICTS = (PASSED, FAILED, SKIPPED, UNTESTED)


@dataclasses.dataclass
class AssertionVerdict:
    assertion: Assertion
    status: str
    cases: List[TestCase]

    @property
    def failed_cases(self) -> List[TestCase]:
        return [c for c in self.cases if c.status == FAILED]


@dataclasses.dataclass
class Verdicts:
    by_id: Dict[str, AssertionVerdict]
    areas: Dict[str, Dict[str, int]]  # area -> verdict -> number of assertions
    failed_without_ids: List[TestCase]  # failed cases that name no assertion
    unknown_ids: List[str]  # "case names ID, which no catalog defines"

    def of_status(self, status: str) -> List[AssertionVerdict]:
        return [v for _, v in sorted(self.by_id.items()) if v.status == status]

    def total(self, status: str) -> int:
        return sum(counts[status] for counts in self.areas.values())


def _status_of(cases: List[TestCase]) -> str:
    statuses = {c.status for c in cases}
    for status in (FAILED, PASSED, SKIPPED):
        if status in statuses:
            return status
    return UNTESTED


def judge(catalog: Dict[str, Assertion], results: Results) -> Verdicts:
    cases_of: Dict[str, List[TestCase]] = {i: [] for i in catalog}
    unknown: List[str] = []
    for case in results.cases:
        for assertion_id in case.assertions:
            if assertion_id in cases_of:
                cases_of[assertion_id].append(case)
            else:
                unknown.append(f"{case.full_name} [{case.target}] names assertion "
                               f"{assertion_id}, which no catalog defines")
    by_id = {i: AssertionVerdict(catalog[i], _status_of(cases), cases)
             for i, cases in cases_of.items()}
    areas: Dict[str, Dict[str, int]] = {}
    for verdict in by_id.values():
        counts = areas.setdefault(verdict.assertion.area, {s: 0 for s in VERDICTS})
        counts[verdict.status] += 1
    failed_without_ids = [c for c in results.cases if c.status == FAILED and not c.assertions]
    return Verdicts(by_id, dict(sorted(areas.items())), failed_without_ids, unknown)
