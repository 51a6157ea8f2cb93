"""Turns test cases into a verdict per catalog assertion, grouped by area.

An assertion failed if any test case naming it failed; broken if the harness broke in one and
none failed; passed if one passed; blocked if its cases were blocked by another assertion (a
facility they rely on misbehaved: the root is reported, with its dependents, once);
unsupported if its cases were unsupported (or skipped);
skipped if all its cases were skipped; and has no result if no case names it. With an
expectation file (expectations.py) a deviation it lists is `expected` instead.
"""

import dataclasses
from typing import Dict, List, Optional

from catalog import Assertion
from results import (BLOCKED, BROKEN, FAILED, NOT_PASSING, PASSED, SKIPPED, UNSUPPORTED, Results,
                     TestCase)

UNTESTED = "no result"
EXPECTED = "expected"  # a deviation the port's expectation file lists
VERDICTS = (PASSED, FAILED, BROKEN, BLOCKED, EXPECTED, UNSUPPORTED, SKIPPED, UNTESTED)
DEVIATIONS = (FAILED, BROKEN, UNSUPPORTED)  # what an expectation file may list


@dataclasses.dataclass
class AssertionVerdict:
    assertion: Assertion
    status: str
    cases: List[TestCase]
    reason: str = ""  # of an expected deviation, from the expectation file

    @property
    def failed_cases(self) -> List[TestCase]:
        return [c for c in self.cases if c.status in NOT_PASSING]

    @property
    def deviating_cases(self) -> List[TestCase]:
        return [c for c in self.cases if c.status in DEVIATIONS]

    @property
    def blockers(self) -> List[str]:
        """The assertions its blocked cases rely on."""
        return sorted({c.blocked_by for c in self.cases if c.status == BLOCKED and c.blocked_by})


@dataclasses.dataclass
class Verdicts:
    by_id: Dict[str, AssertionVerdict]
    areas: Dict[str, Dict[str, int]]  # area -> verdict -> number of assertions
    failed_without_ids: List[TestCase]  # failed cases that name no assertion
    unknown_ids: List[str]  # "case names ID, which no catalog defines"
    profile: Optional[str] = None  # only this profile's assertions, or None for all

    def of_status(self, status: str) -> List[AssertionVerdict]:
        return [v for _, v in sorted(self.by_id.items()) if v.status == status]

    def dependents(self, root: str) -> List[str]:
        """The blocked assertions that `root` blocks: reported under the root, once."""
        return [v.assertion.id for v in self.of_status(BLOCKED) if root in v.blockers]

    def orphan_blocked(self) -> List[AssertionVerdict]:
        """Blocked assertions whose root did not fail in these results (so no root names
        them)."""
        failing = {v.assertion.id for v in self.by_id.values() if v.status in (FAILED, BROKEN)}
        return [v for v in self.of_status(BLOCKED) if not set(v.blockers) & failing]

    def total(self, status: str) -> int:
        return sum(counts[status] for counts in self.areas.values())

    def profiles(self) -> Dict[str, Dict[str, int]]:
        """profile -> verdict -> number of assertions: the profiles reported separately."""
        counts: Dict[str, Dict[str, int]] = {}
        for v in self.by_id.values():
            row = counts.setdefault(v.assertion.profile, {s: 0 for s in VERDICTS})
            row[v.status] += 1
        return dict(sorted(counts.items(), key=lambda item: (item[0] != "posix", item[0])))

    def recount(self) -> None:
        self.areas = {}
        for verdict in self.by_id.values():
            counts = self.areas.setdefault(verdict.assertion.area, {s: 0 for s in VERDICTS})
            counts[verdict.status] += 1
        self.areas = dict(sorted(self.areas.items()))


def _status_of(cases: List[TestCase]) -> str:
    statuses = {c.status for c in cases}
    for status in (FAILED, BROKEN, PASSED, BLOCKED, UNSUPPORTED, SKIPPED):
        if status in statuses:
            return status
    return UNTESTED


def judge(catalog: Dict[str, Assertion], results: Results,
          profile: Optional[str] = None) -> Verdicts:
    """Verdicts on the catalog's assertions (only `profile`'s if given)."""
    cases_of: Dict[str, List[TestCase]] = {i: [] for i, a in catalog.items()
                                           if profile is None or a.profile == profile}
    unknown: List[str] = []
    for case in results.cases:
        for assertion_id in case.assertions:
            if assertion_id in cases_of:
                cases_of[assertion_id].append(case)
            elif assertion_id not in catalog:
                unknown.append(f"{case.full_name} [{case.target}] names assertion "
                               f"{assertion_id}, which no catalog defines")
    by_id = {i: AssertionVerdict(catalog[i], _status_of(cases), cases)
             for i, cases in cases_of.items()}
    failed_without_ids = [c for c in results.cases
                          if c.status in NOT_PASSING and not c.assertions]
    verdicts = Verdicts(by_id, {}, failed_without_ids, unknown, profile)
    verdicts.recount()
    return verdicts
