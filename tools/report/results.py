"""Test results: the test cases of gtest XML files (and of Bazel's own test.xml for a test that
wrote none), in one list. A test.xml that cannot be parsed is one failed case named after its
target, and a problem to report; the other files are still read.
"""

import dataclasses
import re
import xml.etree.ElementTree as ET
from typing import List, Optional, Tuple

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"
# Result kinds beyond pass/fail (harness/result_kind.h): the facility is absent here, with the
# probe that showed it; the harness itself broke, so there is no verdict on the subject.
UNSUPPORTED, BROKEN = "unsupported", "broken"
# A facility the test relies on but does not check misbehaved: "blocked by" that assertion (the
# root cause, reported once with its dependents), not a failure of the test's own.
BLOCKED = "blocked"


def blocked_message(blocked_by: str, probe: str) -> str:
    """What a BLOCKED case says: its root, and what that root was seen doing."""
    return f"blocked by {blocked_by}: {probe}"
NOT_PASSING = (FAILED, BROKEN)  # statuses that fail a run
LOG_LINES_KEPT = 200  # of a test log quoted in a report


@dataclasses.dataclass
class TestCase:
    target: str  # Bazel label, or the XML file when read without build events
    classname: str  # gtest suite (Kinds/PipeCase); the target for a whole-target case
    name: str  # gtest test (EmptyPipeBlocksReader/pipe); the target for a whole-target case
    status: str  # PASSED, FAILED, SKIPPED, UNSUPPORTED, BROKEN or BLOCKED
    assertions: List[str] = dataclasses.field(default_factory=list)
    message: str = ""  # the failure or skip text
    time: float = 0.0
    whole_target: bool = False  # stands for a target without per-test detail
    probe: str = ""  # what showed UNSUPPORTED, which harness call BROKE, or what BLOCKED saw
    blocked_by: str = ""  # the assertion a BLOCKED case relies on

    @property
    def full_name(self) -> str:
        return self.name if self.whole_target else f"{self.classname}.{self.name}"


@dataclasses.dataclass
class Results:
    cases: List[TestCase] = dataclasses.field(default_factory=list)
    problems: List[str] = dataclasses.field(default_factory=list)  # unusable results
    bazel_exit: Optional[Tuple[str, int]] = None  # from the buildFinished event

    def count(self, status: str) -> int:
        return sum(1 for c in self.cases if c.status == status)

    def count_not_passing(self) -> int:
        return sum(1 for c in self.cases if c.status in NOT_PASSING)


def whole_target_failure(target: str, message: str) -> TestCase:
    return TestCase(target, target, target, FAILED, message=message, whole_target=True)


def _text_of_log(suite: ET.Element) -> str:
    out = suite.find("system-out")
    return out.text or "" if out is not None else ""


def _case_from_element(target: str, element: ET.Element, log: str) -> TestCase:
    classname = element.get("classname", "")
    name = element.get("name", "")
    ids: List[str] = []
    kind, probe, blocked_by = "", "", ""
    for prop in element.iter("property"):
        if prop.get("name") == "assertions":
            ids.extend(re.split(r"[\s,]+", prop.get("value", "").strip()))
        elif prop.get("name") == "result_kind":
            kind = prop.get("value", "")
        elif prop.get("name") == "probe":
            probe = prop.get("value", "")
        elif prop.get("name") == "blocked_by":
            blocked_by = prop.get("value", "")
    # gtest also writes properties as attributes of <testcase>.
    kind = kind or element.get("result_kind", "")
    probe = probe or element.get("probe", "")
    blocked_by = blocked_by or element.get("blocked_by", "")
    ids = [i for i in ids if i]
    status, message = PASSED, ""
    problems = element.findall("failure") + element.findall("error")
    skipped = element.find("skipped")
    if problems:
        status = FAILED
        message = "\n".join((p.text or p.get("message") or "").strip() for p in problems)
        message = message.strip() or problems[0].get("message", "") or "failed"
    elif (skipped is not None or element.get("result") in ("skipped", "suppressed")
          or element.get("status") == "notrun"):
        status = SKIPPED
        if skipped is not None:
            message = (skipped.text or skipped.get("message") or "").strip()
    if kind in (UNSUPPORTED, BROKEN):
        status = kind
        message = message or probe
    elif kind == BLOCKED and blocked_by:  # what failed after the block is its consequence
        status = kind
        message = blocked_message(blocked_by, probe)
    try:
        seconds = float(element.get("time", "0") or 0)
    except ValueError:
        seconds = 0.0
    if not classname:  # Bazel's own test.xml for a test that wrote none (crash, timeout, sh_test)
        detail, body = describe_log(log)
        message = f"{message}: {detail}" if detail else message
        if body:
            message += "\n\ntest log:\n" + "\n".join(body[-LOG_LINES_KEPT:])
        return TestCase(target, target, target, status, ids, message, seconds, whole_target=True)
    return TestCase(target, classname, name, status, ids, message, seconds, probe=probe,
                    blocked_by=blocked_by)


def describe_log(log: str) -> Tuple[str, List[str]]:
    """What a test log says went wrong when the binary wrote no XML of its own, and the log
    without Bazel's header."""
    lines = log.splitlines()
    body = lines
    for i, line in enumerate(lines):  # Bazel's header ends with a line of dashes
        if line.startswith("-" * 20):
            body = lines[i + 1:]
            break
    while body and not body[-1].strip():
        body = body[:-1]
    return _what_went_wrong(body), body


def _what_went_wrong(body: List[str]) -> str:
    running = None
    for line in body:
        m = re.match(r"\[ RUN +\] (\S+)", line)
        if m:
            running = m.group(1)
        elif re.match(r"\[ +(OK|FAILED|SKIPPED) +\] ", line):
            running = None
    timed_out = any("Test timed out" in line for line in body)
    if running:
        return f"{'timed out' if timed_out else 'stopped'} while running {running}"
    if timed_out:
        return "timed out"
    for line in body:
        if line.strip() and not line.startswith("["):
            return line.strip()
    return ""


def read_xml(path: str, target: str, results: Results) -> None:
    """Adds the cases of one test.xml; an unreadable file becomes a failed case and a problem."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        why = "no such file" if isinstance(e, FileNotFoundError) else str(e)
        of_target = f" of {target}" if target != path else ""
        results.problems.append(f"cannot read the results {path}{of_target}: {why}")
        results.cases.append(whole_target_failure(target, f"results unreadable: {why}"))
        return
    suites = [root] if root.tag == "testsuite" else root.findall(".//testsuite")
    before = len(results.cases)
    for suite in suites:
        log = _text_of_log(suite)
        for element in suite.findall("testcase"):
            results.cases.append(_case_from_element(target, element, log))
    if len(results.cases) == before and root.tag not in ("testsuites", "testsuite"):
        problem = f"{target}: {path} is not a JUnit/gtest XML file (root <{root.tag}>)"
        results.problems.append(problem)
        results.cases.append(whole_target_failure(target, problem))
