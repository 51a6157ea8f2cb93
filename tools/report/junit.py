"""The one JUnit XML writer of the Python tools: the merged junit.xml of `tools/ipcconf run`
(render.py), the grader's per-submission junit.xml (tools/grade/reports.py), and the Python
tests' $XML_OUTPUT_FILE under Bazel (unittest_junit.py)."""

import dataclasses
import re
import xml.etree.ElementTree as ET
from typing import List, Tuple

PASSED, FAILURE, SKIPPED = "passed", "failure", "skipped"

# Characters XML 1.0 cannot carry (test output may hold any byte).
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    return _NOT_XML.sub("?", text)


@dataclasses.dataclass
class JUnitCase:
    name: str
    classname: str
    status: str = PASSED  # PASSED, FAILURE or SKIPPED
    message: str = ""  # one line: the failure's or skip's summary
    text: str = ""  # the whole failure or skip text
    time: float = 0.0
    properties: List[Tuple[str, str]] = dataclasses.field(default_factory=list)


def _count(element: ET.Element, cases: List[JUnitCase]) -> None:
    element.set("tests", str(len(cases)))
    element.set("failures", str(sum(1 for c in cases if c.status == FAILURE)))
    element.set("errors", "0")
    element.set("skipped", str(sum(1 for c in cases if c.status == SKIPPED)))
    element.set("time", f"{sum(c.time for c in cases):.3f}")


def junit_document(suites: List[Tuple[str, List[JUnitCase]]], name: str) -> bytes:
    """<testsuites name=NAME> with one <testsuite> per (name, cases), counts on both levels."""
    root = ET.Element("testsuites", name=xml_text(name))
    _count(root, [case for _, cases in suites for case in cases])
    for suite_name, cases in suites:
        suite = ET.SubElement(root, "testsuite", name=xml_text(suite_name))
        _count(suite, cases)
        for case in cases:
            element = ET.SubElement(suite, "testcase", name=xml_text(case.name),
                                    classname=xml_text(case.classname), time=f"{case.time:.3f}")
            if case.properties:
                properties = ET.SubElement(element, "properties")
                for key, value in case.properties:
                    ET.SubElement(properties, "property", name=xml_text(key),
                                  value=xml_text(value))
            if case.status != PASSED:
                detail = ET.SubElement(element, case.status,
                                       message=xml_text(case.message or case.status))
                detail.text = xml_text(case.text)
    if hasattr(ET, "indent"):  # Python 3.9+
        ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
