"""Tests of the report tool on small fixtures (testdata/): catalogs, gtest XML, build events."""

import os
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

import build_events
import catalog
import render
import results
import results_json
import unittest_junit
import verdict

HERE = os.path.dirname(os.path.abspath(__file__))
TESTDATA = os.path.join(HERE, "testdata")
TOOL = os.path.join(HERE, "ipcconf_report.py")


def data(name):
    return os.path.join(TESTDATA, name)


class ToolTestCase(unittest.TestCase):
    """Runs the tool as people do, in a temporary directory."""

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(dir=os.environ.get("TEST_TMPDIR"))
        self.tmp = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def events(self, name):
        """A copy of a build events fixture whose test.xml addresses point into testdata/."""
        with open(data(name), encoding="utf-8") as f:
            text = f.read().replace("@TESTDATA@", TESTDATA)
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def run_tool(self, *args):
        done = subprocess.run([sys.executable, TOOL] + list(args), capture_output=True,
                              text=True, check=False)
        self.assertNotIn("Traceback", done.stderr)
        return done.returncode, done.stdout, done.stderr

    def last_line(self, text):
        return text.rstrip("\n").splitlines()[-1]


class CatalogTest(unittest.TestCase):
    def test_reads_blocks_comments_and_continued_values(self):
        by_id, errors = catalog.load_catalogs([data("areas.catalog")])
        self.assertEqual(errors, [])
        self.assertEqual(sorted(by_id), ["ALPHA.ONE", "ALPHA.TWO", "ALPHA.UNTESTED", "BETA.ONE"])
        one = by_id["ALPHA.ONE"]
        self.assertEqual(one.statement,
                         "The first alpha assertion, which continues on a second line.")
        self.assertEqual((one.area, one.profile), ("alpha", "posix"))
        self.assertTrue(one.origin.endswith("areas.catalog:3"), one.origin)

    def test_malformed_blocks_are_named_by_line_and_the_rest_is_kept(self):
        by_id, errors = catalog.load_catalogs([data("areas.catalog"), data("malformed.catalog")])
        text = "\n".join(errors)
        self.assertIn("malformed.catalog:1: BAD.NO_PROFILE has no profile", text)
        self.assertIn("BAD.WRONG_PROFILE has profile 'bsd' (must be posix or linux)", text)
        self.assertIn("malformed.catalog:11: expected 'key: value'", text)
        self.assertIn("duplicate id ALPHA.ONE", text)
        self.assertEqual(by_id["ALPHA.ONE"].source, 'XSH read() "shall block"; course case 1')
        self.assertIn("BAD.NO_PROFILE", by_id)

    def test_missing_catalog_file_is_a_problem_not_an_exception(self):
        by_id, errors = catalog.load_catalogs([data("no_such.catalog")])
        self.assertEqual(by_id, {})
        self.assertIn("no_such.catalog: cannot read it", errors[0])


class ResultsTest(ToolTestCase):
    def read_events(self, name):
        r = results.Results()
        self.assertTrue(build_events.read_build_events(self.events(name), r))
        return r

    def case(self, r, label):
        found = [c for c in r.cases if c.target == label]
        self.assertEqual(len(found), 1, [c.full_name for c in r.cases])
        return found[0]

    def test_gtest_cases_carry_status_ids_and_messages(self):
        r = results.Results()
        results.read_xml(data("alpha_test.xml"), "//alpha:alpha_test", r)
        by_name = {c.full_name: c for c in r.cases}
        self.assertEqual(sorted(by_name), ["Alpha.One", "Beta.One", "Kinds/Alpha.Two/0",
                                           "Kinds/Alpha.Two/1", "Plain.NoIds"])
        self.assertEqual(by_name["Kinds/Alpha.Two/0"].status, results.FAILED)
        self.assertIn("it returned 0 at once", by_name["Kinds/Alpha.Two/0"].message)
        self.assertEqual(by_name["Kinds/Alpha.Two/1"].assertions, ["ALPHA.TWO", "ALPHA.ONE"])
        self.assertEqual(by_name["Beta.One"].status, results.SKIPPED)
        self.assertEqual(by_name["Plain.NoIds"].assertions, [])

    def test_counts_every_test_target_of_the_build_events(self):
        r = self.read_events("events.json")
        self.assertEqual((r.count(results.PASSED), r.count(results.FAILED),
                          r.count(results.SKIPPED)), (7, 7, 1))
        self.assertNotIn("//alpha:lib", {c.target for c in r.cases})
        self.assertEqual(r.bazel_exit, ("BUILD_FAILURE", 1))

    def test_target_that_did_not_build_is_one_failed_case_named_after_it(self):
        # Its old test.xml may still lie in bazel-testlogs: only the events count.
        broken = self.case(self.read_events("events.json"), "//alpha:broken_test")
        self.assertEqual(broken.status, results.FAILED)
        self.assertTrue(broken.whole_target)
        self.assertIn("did not build: gcc failed", broken.message)

    def test_target_stopped_by_the_build_or_without_xml_fails(self):
        r = self.read_events("events.json")
        self.assertIn("did not run", self.case(r, "//alpha:stopped_test").message)
        missing = self.case(r, "//alpha:missing_xml_test")
        self.assertEqual(missing.status, results.FAILED)
        self.assertIn("TIMEOUT, and it left no test.xml", missing.message)

    def test_analysis_failure_names_the_missing_dependency(self):
        dangling = self.case(self.read_events("events.json"), "//alpha:dangling_test")
        self.assertEqual(dangling.status, results.FAILED)
        self.assertIn("did not build: ANALYSIS_FAILURE; //nowhere:lib: no such package",
                      dangling.message)

    def test_package_with_build_file_errors_is_a_failed_case(self):
        # Its tests are unknown to the build: only bazel's messages tell (here split, coloured).
        beta = self.case(self.read_events("events.json"), "//beta")
        self.assertEqual(beta.status, results.FAILED)
        self.assertIn("its BUILD file has errors, so its tests did not run: "
                      "/work/repo/beta/BUILD:3:1: syntax error", beta.message)

    def test_crashed_binary_names_the_test_it_was_running(self):
        crash = self.case(self.read_events("events.json"), "//alpha:crash_test")
        self.assertEqual(crash.status, results.FAILED)
        self.assertIn("exited with error code 134: stopped while running Crash.Second",
                      crash.message)

    def test_last_attempt_of_each_shard_counts(self):
        r = self.read_events("events.json")
        sharded = [c for c in r.cases if c.target == "//alpha:sharded_test"]
        self.assertEqual([c.status for c in sharded], [results.PASSED] * 4)

    def test_malformed_xml_is_a_problem_and_other_results_are_kept(self):
        r = results.Results()
        results.read_xml(data("malformed_test.xml"), "//alpha:cut_test", r)
        results.read_xml(data("green_test.xml"), "//alpha:green_test", r)
        self.assertIn("malformed_test.xml of //alpha:cut_test", r.problems[0])
        self.assertEqual((r.count(results.PASSED), r.count(results.FAILED)), (2, 1))


class CountCommandTest(ToolTestCase):
    def test_failed_cases_then_the_counting_line(self):
        code, out, _ = self.run_tool("count", "--bep", self.events("events.json"))
        self.assertEqual(code, 1)
        self.assertEqual(self.last_line(out), "7 passed, 7 failed, 1 skipped")
        self.assertIn("FAILED Kinds/Alpha.Two/0 [//alpha:alpha_test]: alpha/alpha_test.cc:20: "
                      "Expected: a reader blocked on an empty pipe", out)
        self.assertIn("FAILED //alpha:broken_test: it did not build", out)

    def test_all_passed(self):
        code, out, _ = self.run_tool("count", "--bep", self.events("events_green.json"))
        self.assertEqual((code, out), (0, "2 passed, 0 failed\n"))

    def test_bazel_failure_without_failed_case_still_fails(self):
        code, out, _ = self.run_tool("count", "--xml", data("green_test.xml"), "--bazel-exit", "1")
        self.assertEqual(code, 1)
        self.assertIn("bazel exited with status 1", out)
        self.assertEqual(self.last_line(out), "2 passed, 1 failed")

    def test_missing_build_events(self):
        code, out, _ = self.run_tool("count", "--bep", os.path.join(self.tmp, "none.json"))
        self.assertEqual(code, 2)
        self.assertIn("none.json: cannot read them", out)
        self.assertEqual(self.last_line(out), "0 passed, 1 failed")

    def test_truncated_build_events(self):
        path = self.events("events.json")
        with open(path, "r+", encoding="utf-8") as f:
            lines = f.readlines()
            f.seek(0)
            f.truncate()
            f.writelines(lines[:-1] + ['{"id": {"testRes'])
        code, out, _ = self.run_tool("count", "--bep", path)
        self.assertEqual(code, 2)
        self.assertIn(f"{path}:{len(lines)}: not a build event", out)
        self.assertIn("no buildFinished event", out)
        self.assertEqual(self.last_line(out), "7 passed, 7 failed, 1 skipped")

    def test_usage_errors(self):
        self.assertEqual(self.run_tool("count")[0], 2)
        code, _, err = self.run_tool("frobnicate")
        self.assertEqual(code, 2)
        self.assertIn("usage:", err)


class SummaryCommandTest(ToolTestCase):
    def summary(self, *args):
        return self.run_tool("summary", "--catalog", data("areas.catalog"), *args)

    def assert_all_in(self, expected, container):
        for item in expected:
            self.assertIn(item, container)

    def test_terminal_summary_per_area_and_failed_assertions(self):
        code, out, _ = self.summary("--bep", self.events("events.json"))
        self.assertEqual(code, 1)
        self.assert_all_in([
            "area   assertions  passed  failed  broken  blocked  expected  unsupported  skipped  no result",
            "alpha           3       1       1       0        0         0            0        0          1",
            "beta            1       0       0       0        0         0            0        1          0",
            "total           4       1       1       0        0         0            0        1          1",
            "posix             3       1       0       0        0         0            0        1          1",
            "test cases: 7 passed, 7 failed, 1 skipped (in 8 test target(s))",
            "FAILED ALPHA.TWO (alpha, linux)",
            "  statement: The second alpha assertion | with a bar.",
            "  source:    man 7 pipe",
            "  failed in: Kinds/Alpha.Two/0 [//alpha:alpha_test]",
            "             alpha/alpha_test.cc:20: Expected: a reader blocked on an empty pipe",
            "  //alpha:crash_test: exited with error code 134: stopped while running "
            "Crash.Second",
        ], out.splitlines())
        self.assertNotIn("FAILED ALPHA.ONE", out)

    def test_markdown_report(self):
        code, _, _ = self.summary("--bep", self.events("events.json"), "--output", self.tmp)
        self.assertEqual(code, 1)
        with open(os.path.join(self.tmp, "REPORT.md"), encoding="utf-8") as f:
            report = f.read()
        self.assertTrue(report.startswith("# ipcconf conformance report\n"))
        self.assert_all_in([
            "| alpha | 3 | 1 | 1 | 0 | 0 | 0 | 0 | 0 | 1 |",
            "| **total** | 4 | 1 | 1 | 0 | 0 | 0 | 0 | 1 | 1 |",
            "### `ALPHA.TWO`",
            "- **Statement:** The second alpha assertion | with a bar.",
            "  - `Kinds/Alpha.Two/0` (`//alpha:alpha_test`)",
            "      Actual: it returned 0 at once",
            "| `ALPHA.TWO` | linux | failed | 4 | The second alpha assertion \\| with a bar. |",
            "| `ALPHA.UNTESTED` | posix | no result | 0 |",
            "## Failed tests that check no assertion",
        ], report)

    def test_junit_is_valid_and_carries_assertion_ids(self):
        self.summary("--bep", self.events("events.json"), "--output", self.tmp)
        root = ET.parse(os.path.join(self.tmp, "junit.xml")).getroot()
        self.assertEqual(root.tag, "testsuites")
        suites = root.findall("testsuite")
        cases = root.findall("testsuite/testcase")
        self.assertEqual(int(root.get("tests")), len(cases))
        self.assertEqual(int(root.get("failures")), len(root.findall(".//failure")))
        self.assertEqual(int(root.get("skipped")), len(root.findall(".//skipped")))
        self.assertEqual((len(cases), len(root.findall(".//failure"))), (15, 7))
        for suite in suites:
            self.assertEqual(int(suite.get("tests")), len(suite.findall("testcase")))
            float(suite.get("time"))
        for case in cases:
            self.assertTrue(case.get("name") and case.get("classname"))
            float(case.get("time"))
        two = [c for c in cases if c.get("name") == "Two/1"][0]
        self.assertEqual([p.get("value") for p in two.iter("property")
                          if p.get("name") == "assertion"], ["ALPHA.TWO", "ALPHA.ONE"])

    def test_all_passed_exits_zero_even_with_untested_assertions(self):
        code, out, _ = self.summary("--bep", self.events("events_green.json"))
        self.assertEqual(code, 0)
        self.assertIn("2 assertion(s) have no result", out)

    def test_unknown_assertion_id(self):
        code, out, _ = self.summary("--xml", data("unknown_id_test.xml"))
        self.assertEqual(code, 1)
        self.assertIn("Gamma.Unknown [" + data("unknown_id_test.xml") + "] names assertion "
                      "GAMMA.NOT_IN_ANY_CATALOG, which no catalog defines", out)

    def test_malformed_xml_is_named_and_the_others_still_summarized(self):
        code, out, _ = self.summary("--xml", data("malformed_test.xml"),
                                    "--xml", data("alpha_test.xml"))
        self.assertEqual(code, 1)
        self.assertIn("cannot read the results " + data("malformed_test.xml"), out)
        self.assertIn("alpha           3       1       1       0        0         0            0        0          1", out)

    def test_malformed_catalog(self):
        code, out, err = self.summary("--catalog", data("malformed.catalog"),
                                      "--xml", data("green_test.xml"))
        self.assertEqual(code, 2)
        self.assertIn("malformed.catalog:11: expected 'key: value'", err)
        self.assertIn("test cases: 2 passed, 0 failed", out)

    def test_catalog_tool_refuses_a_malformed_catalog_naming_the_line(self):
        out = os.path.join(self.tmp, "catalog.cc")
        run = subprocess.run([sys.executable, os.path.join(HERE, "catalog.py"), "--cc", out,
                              data("malformed.catalog")], capture_output=True, text=True)
        self.assertEqual(run.returncode, 1)
        self.assertIn("malformed.catalog:11: expected 'key: value'", run.stderr)
        self.assertFalse(os.path.exists(out))

    def test_catalog_tool_writes_the_cpp_table(self):
        text = catalog.cc_source([catalog.Assertion(
            "A.B", "pipe", "posix", 'say "hi" \\ there', "中文 statement")], "x.catalog")
        self.assertIn('{"A.B", "pipe", "posix",', text)
        self.assertIn('"say \\"hi\\" \\\\ there"', text)
        self.assertIn('"中文 statement"', text)
        self.assertIn('RegisterCatalog("x.catalog", kAssertions,', text)

    def test_missing_catalog(self):
        code, _, err = self.run_tool("summary", "--catalog", data("no_such.catalog"),
                                     "--xml", data("green_test.xml"))
        self.assertEqual(code, 2)
        self.assertIn("no_such.catalog: cannot read it", err)

    def test_unwritable_output(self):
        blocker = os.path.join(self.tmp, "file")
        open(blocker, "w").close()
        code, _, err = self.summary("--xml", data("green_test.xml"), "--output", blocker)
        self.assertEqual(code, 2)
        self.assertIn("cannot create " + blocker, err)



class PortableReportTest(ToolTestCase):
    """`report`: JSON results of the portable binary, profiles, expectations, HTML."""

    def test_one_results_file(self):
        code, out, _ = self.run_tool("report", data("port_results.json"))
        self.assertEqual(code, 1)
        self.assertIn("test cases: 1 passed, 1 failed, 1 unsupported", out)
        self.assertIn("FAILED ALPHA.TWO (alpha, linux)", out)
        self.assertIn("UNSUPPORTED BETA.ONE: probe: pipe2(O_DIRECT) -> EINVAL", out)
        self.assertIn("profile  assertions", out)

    def test_blocked_cases_are_named_under_their_root_once(self):
        code, out, _ = self.run_tool("report", data("blocked_results.json"))
        self.assertEqual(code, 1)  # the root failed; the blocked ones do not fail the run
        self.assertIn("test cases: 0 passed, 1 failed, 2 blocked", out)
        self.assertIn("FAILED ALPHA.TWO (alpha, linux)", out)
        self.assertIn("  blocks:    BETA.ONE (their tests rely on it; not failures of their own)",
                      out)
        self.assertNotIn("FAILED BETA.ONE", out)
        # A root that is not among the failures: the blocked assertion names it itself.
        self.assertIn("BLOCKED ALPHA.ONE by ALPHA.UNTESTED: blocked by ALPHA.UNTESTED: "
                      "fpathconf(_PC_PIPE_BUF) -> 256", out)
        run = results_json.read_results_json(data("blocked_results.json"))
        markdown = render.markdown_report(verdict.judge(run.catalog, run.results), run.results,
                                          "m", "now")
        self.assertIn("**Blocks** (their tests rely on it; not failures of their own): "
                      "`BETA.ONE`", markdown)

    def test_profile_limits_the_verdicts(self):
        code, out, _ = self.run_tool("report", data("port_results.json"), "--profile", "posix")
        self.assertEqual(code, 0)  # the only failure is a linux assertion
        self.assertIn("profile posix only", out)
        self.assertNotIn("ALPHA.TWO", out)

    def test_unknown_profile(self):
        code, _, err = self.run_tool("report", data("port_results.json"), "--profile", "bsd")
        self.assertEqual(code, 2)
        self.assertEqual(err, "ipcconf: unknown profile 'bsd' (the profiles: posix, linux)\n")

    def test_options_checks_only_the_options(self):
        self.assertEqual(self.run_tool("options", "--profile", "linux")[0], 0)
        code, _, err = self.run_tool("options", "--expect", data("no_such_expectations.txt"))
        self.assertEqual(code, 2)
        self.assertIn("no expectation file", err)

    def test_side_by_side(self):
        code, out, _ = self.run_tool("report", data("reference_results.json"),
                                     data("port_results.json"))
        self.assertEqual(code, 1)
        self.assertIn("side by side: 2 of 3 assertions differ", out)
        self.assertRegex(out, r"ALPHA.TWO +passed +failed")
        self.assertRegex(out, r"BETA.ONE +passed +unsupported")

    def test_expectations_only_regressions_fail(self):
        code, out, _ = self.run_tool("report", data("port_results.json"),
                                     "--expect", data("port.expect"))
        self.assertEqual(code, 0)
        self.assertIn("0 regression(s), 2 expected deviation(s), 0 fixed", out)
        only_one = os.path.join(self.tmp, "one.expect")
        with open(only_one, "w", encoding="utf-8") as f:
            f.write("BETA.ONE  [legal] no O_DIRECT\n")
        code, out, _ = self.run_tool("report", data("port_results.json"), "--expect", only_one)
        self.assertEqual(code, 1)
        self.assertIn("REGRESSION ALPHA.TWO (failed)", out)

    def test_fixed_deviation_is_named(self):
        code, out, _ = self.run_tool("report", data("reference_results.json"),
                                     "--expect", data("port.expect"))
        self.assertEqual(code, 0)
        self.assertIn("FIXED      ALPHA.TWO now passes", out)

    def test_malformed_expectation_file(self):
        code, _, err = self.run_tool("report", data("port_results.json"),
                                     "--expect", data("malformed.expect"))
        self.assertEqual(code, 2)
        self.assertIn("malformed.expect:1: 'ALPHA.TWO' has no reason", err)
        self.assertIn("malformed.expect:2: unknown assertion id 'ALPHA.NOPE'", err)
        self.assertIn("malformed.expect:3: 'ALPHA.ONE' needs its kind before the reason", err)

    def test_results_of_another_version(self):
        path = os.path.join(self.tmp, "v2.json")
        with open(data("port_results.json"), encoding="utf-8") as f:
            text = f.read().replace('"version": 1', '"version": 2')
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        code, out, err = self.run_tool("report", path)
        self.assertEqual(code, 2)
        self.assertEqual(len(err.strip().splitlines()), 1)
        self.assertIn("results format version 2, but this report tool reads version 1", err)
        code, _, err = self.run_tool("report", data("events.json"))
        self.assertEqual(code, 2)
        self.assertIn("events.json: not a JSON results file", err)

    def test_html_page_is_self_contained(self):
        page = os.path.join(self.tmp, "report.html")
        self.run_tool("report", data("reference_results.json"), data("port_results.json"),
                      "--html", page)
        with open(page, encoding="utf-8") as f:
            text = f.read()
        self.assertNotRegex(text, r"(src|href)=\"?https?:")
        self.assertIn("The second alpha assertion &lt;b&gt;escaped&lt;/b&gt;.", text)
        self.assertIn("Actual: it returned 0 at once", text)
        self.assertIn('data-id="BETA.ONE"', text)


if __name__ == "__main__":
    unittest_junit.main()
