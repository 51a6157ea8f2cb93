"""Runs the unittest cases of __main__ and, under Bazel, writes them to $XML_OUTPUT_FILE in the
gtest/JUnit form, so `tools/ipcconf test` counts each Python test case, not one per target."""

import os
import sys
import time
import unittest
import xml.etree.ElementTree as ET


class _RecordingResult(unittest.TextTestResult):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.records = []  # (test id, status, text, seconds)
        self._started = time.monotonic()

    def startTest(self, test):
        self._started = time.monotonic()
        super().startTest(test)

    def _record(self, test, status, text=""):
        self.records.append((test.id(), status, text, time.monotonic() - self._started))

    def addSuccess(self, test):
        super().addSuccess(test)
        self._record(test, "passed")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._record(test, "failure", self.failures[-1][1])

    def addError(self, test, err):
        super().addError(test, err)
        self._record(test, "failure", self.errors[-1][1])

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._record(test, "skipped", reason)

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._record(test, "failure", "unexpected success")

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._record(test, "passed")


def _write_xml(path, records):
    root = ET.Element("testsuites", tests=str(len(records)))
    suite = ET.SubElement(root, "testsuite", name=os.path.basename(sys.argv[0]),
                          tests=str(len(records)))
    for test_id, status, text, seconds in records:
        classname, _, name = test_id.rpartition(".")
        case = ET.SubElement(suite, "testcase", name=name, time=f"{seconds:.3f}",
                             classname=classname.replace("__main__.", ""))
        if status != "passed":
            detail = ET.SubElement(case, status, message=text.strip().splitlines()[-1]
                                   if text.strip() else status)
            detail.text = text
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def main():
    runner = unittest.TextTestRunner(resultclass=_RecordingResult, verbosity=2)
    program = unittest.main(module="__main__", testRunner=runner, exit=False)
    path = os.environ.get("XML_OUTPUT_FILE")
    if path:
        _write_xml(path, program.result.records)
    sys.exit(0 if program.result.wasSuccessful() else 1)
