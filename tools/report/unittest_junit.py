"""Runs the unittest cases of __main__ and, under Bazel, writes them to $XML_OUTPUT_FILE in the
gtest/JUnit form, so `tools/ipcconf test` counts each Python test case, not one per target."""

import os
import sys
import time
import unittest

import junit


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
    cases = []
    for test_id, status, text, seconds in records:
        classname, _, name = test_id.rpartition(".")
        message = text.strip().splitlines()[-1] if text.strip() else status
        cases.append(junit.JUnitCase(name, classname.replace("__main__.", ""), status,
                                     message, text, seconds))
    with open(path, "wb") as f:
        f.write(junit.junit_document([(os.path.basename(sys.argv[0]), cases)],
                                     os.path.basename(sys.argv[0])))


def main():
    runner = unittest.TextTestRunner(resultclass=_RecordingResult, verbosity=2)
    program = unittest.main(module="__main__", testRunner=runner, exit=False)
    path = os.environ.get("XML_OUTPUT_FILE")
    if path:
        _write_xml(path, program.result.records)
    sys.exit(0 if program.result.wasSuccessful() else 1)
