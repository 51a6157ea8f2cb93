"""Tests of grade_lib.py's parts that need no Bazel: the explanation of a library that does not
build, the assertion lines and score, and what the pool tests say they tested. (The whole
command runs Bazel, which a test inside `bazel test` cannot; BENCHMARKS.md and the closing
notes record its runs.)"""

import os
import tempfile
import unittest

import unittest_junit

import grade_lib
import results
import verdict
from catalog import Assertion

_COMPILER_ERROR = """INFO: Analyzed target //conformance/pool:pool_test (1 packages loaded).
ERROR: /tmp/x/BUILD:1:11: Compiling process_pool.cc failed: (Exit 1): gcc failed
external/submission/process_pool.cc:3:10: fatal error: ipc/pool/process_pool.h: No such file or directory
    3 | #include "ipc/pool/process_pool.h"
FAILED: Build did NOT complete successfully
"""


class ExplainBuildFailure(unittest.TestCase):
    def test_missing_deps_line_is_named_with_the_fix_and_the_students_path(self):
        lines = grade_lib.explain_build_failure(_COMPILER_ERROR, "/home/ta/alice")
        self.assertIn('deps = ["@ipcconf//ipc/pool:process_pool_header"]', lines[0])
        text = "\n".join(lines)
        self.assertIn("/home/ta/alice/process_pool.cc:3:10: fatal error", text)
        self.assertNotIn("external/submission", text)

    def test_each_known_mistake_has_its_own_words(self):
        cases = {
            "ERROR: no such package '@submission//': BUILD file not found in directory '' of "
            "external repository @submission": "has no BUILD file",
            "ERROR: no such target '@submission//:ipc': target 'ipc' not declared in package ''":
                'name your cc_library "ipc"',
            "process_pool.cc:(.text+0x1): undefined reference to "
            "`ipc::CreateProcessPool(int)'": "nothing defines ipc::CreateProcessPool",
            "ERROR: in cc_library rule ...: target '@submission//:ipc' is not visible from "
            "target": "visibility",
            "pool.cc:9:7: error: 'ProcessPool' does not name a type": "namespace",
        }
        for output, words in cases.items():
            with self.subTest(words=words):
                self.assertIn(words, "\n".join(grade_lib.explain_build_failure(output, "/s")))

    def test_unknown_failure_still_quotes_the_errors(self):
        lines = grade_lib.explain_build_failure("a.cc:1:1: error: expected ';'\n", "/s")
        self.assertIn("did not build", lines[0])
        self.assertIn("expected ';'", "\n".join(lines))


def _verdicts(statuses):
    by_id = {}
    for assertion_id, status in statuses.items():
        a = Assertion(id=assertion_id, area="pool", profile="posix", source="s",
                      statement=f"statement of {assertion_id}")
        case = results.TestCase("//t", "Workers/PoolX", "Y/N2", status,
                                [assertion_id], message="x.cc:9\nFailed\nwhat went wrong",
                                blocked_by="POOL.A" if status == results.BLOCKED else "")
        by_id[assertion_id] = verdict.AssertionVerdict(a, status, [case])
    return verdict.Verdicts(by_id, {}, [], [])


class AssertionLines(unittest.TestCase):
    def test_score_counts_only_assertions_that_hold(self):
        lines, held, total = grade_lib.assertion_lines(_verdicts(
            {"POOL.A": results.FAILED, "POOL.B": results.PASSED, "POOL.C": results.BLOCKED}))
        self.assertEqual((held, total), (1, 3))
        text = "\n".join(lines)
        self.assertIn("FAILED   POOL.A: statement of POOL.A", text)
        self.assertIn("x.cc:9: what went wrong", text)  # gtest's "Failed" is skipped
        self.assertIn("blocked  POOL.C", text)
        self.assertIn("rely on POOL.A", text)


class TestedImplementation(unittest.TestCase):
    def test_reads_the_first_line_of_a_shards_log(self):
        with tempfile.TemporaryDirectory(dir=os.environ.get("TEST_TMPDIR")) as tmp:
            os.makedirs(os.path.join(tmp, "shard_1_of_2"))
            with open(os.path.join(tmp, "shard_1_of_2", "test.log"), "w") as f:
                f.write("[==========] Running 3 tests\n"
                        "pool implementation under test: @submission//:ipc\n")
            self.assertEqual(grade_lib.tested_implementation(tmp), "@submission//:ipc")
            self.assertIsNone(grade_lib.tested_implementation(os.path.join(tmp, "none")))


if __name__ == "__main__":
    unittest_junit.main()
