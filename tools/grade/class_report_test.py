"""The class report: reasons grouped across students, every text escaped, and the page built from
a made-up class (class_report_testlib) written by reports.write_all with the real catalogs."""

import contextlib
import io
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import class_report  # noqa: E402
import class_report_testlib as fixture  # noqa: E402
import reason_groups  # noqa: E402
import unittest_junit  # noqa: E402  (cases counted one by one under Bazel)
from reason_groups import pattern  # noqa: E402


def check(check_id, reason="ok", zh="通过", passed=False, blocked_by=None):
    return {"id": check_id, "points": 10 if passed else 0, "max_points": 10, "passed": passed,
            "blocked_by": blocked_by, "reason_en": reason, "reason_zh": zh,
            "statement_en": f"statement of {check_id}", "statement_zh": f"{check_id} 的说明"}


class PatternTest(unittest.TestCase):
    def test_pids_fds_and_channels_are_particulars(self):
        self.assertEqual(pattern("child 812 holds the write end of channel 0 (fd 4)"),
                         pattern("child 90 holds the write end of channel 2 (fd 11)"))

    def test_paths_and_file_names_are_particulars(self):
        self.assertEqual(pattern("/tmp/mypipe is still there"), pattern("./fifo is still there"))
        self.assertEqual(pattern("pool.cc:14:9: error: 'fork' was not declared"),
                         pattern("src/main.cpp:3:1: error: 'pipe' was not declared"))

    def test_quoted_output_and_sizes_are_particulars(self):
        self.assertEqual(pattern("printed more than 64 KiB ('请输入：' ...)"),
                         pattern("printed more than 1.5 MiB (\"it's done\" ...)"))

    def test_lists_of_channels_of_any_length_are_one(self):
        self.assertEqual(pattern("the tasks went to channels 0, 1, 1, 2 ...: task 3"),
                         pattern("the tasks went to channels 2, 0, 0: task 12"))

    def test_different_mistakes_stay_apart(self):
        self.assertNotEqual(pattern("the program was killed by SIGSEGV (11)"),
                            pattern("the program was killed by SIGABRT (6)"))
        self.assertNotEqual(pattern("no argument: exited with status 0"),
                            pattern("'abc': exited with status 0"))

    def test_an_apostrophe_is_no_quote(self):
        text = "several children read the same pipe: a channel is not a worker's own"
        self.assertEqual(pattern(text), text)

    def test_chinese_numbers_are_particulars_and_the_text_stays(self):
        self.assertEqual(pattern("子进程 4100 持有通道 0 的写端（fd 4）"), "子进程 # 持有通道 # 的写端（fd #）")


class GroupTest(unittest.TestCase):
    def students(self):
        leak = "child {} holds the write end of channel {} (fd {})"
        return [(name, "process_pool", [check("A", leak.format(pid, i, fd)), check("B", passed=True)])
                for name, pid, i, fd in (("zoe", 7, 0, 4), ("amy", 8, 1, 5), ("kim", 9, 0, 6))] + [
            ("lee", "process_pool", [check("A", "the parent wrote no task"),
                                     check("B", "not observed", blocked_by="A")])]

    def test_one_mistake_of_three_students_is_one_group_of_three(self):
        groups = reason_groups.failures(self.students())["process_pool"]
        self.assertEqual([(g.check_id, len(g.students)) for g in groups], [("A", 3), ("A", 1)])
        self.assertEqual(groups[0].pattern_en, "child # holds the write end of channel # (fd #)")

    def test_the_example_is_the_first_student_by_name_with_their_own_reason(self):
        group = reason_groups.failures(self.students())["process_pool"][0]
        self.assertEqual(group.students, ["amy", "kim", "zoe"])
        self.assertEqual(group.example_en, "child 8 holds the write end of channel 1 (fd 5)")

    def test_blocked_checks_are_no_failures_of_their_own(self):
        self.assertEqual({g.check_id for g in reason_groups.failures(self.students())["process_pool"]},
                         {"A"})
        blocked = reason_groups.failures(self.students(), blocked=True)["process_pool"]
        self.assertEqual([(g.check_id, g.students) for g in blocked], [("B", ["lee"])])


class EscapingTest(unittest.TestCase):
    def render(self, name, reason):
        student = class_report.Student(name, "fifo", 0, 10, [check("X", reason, "原因：" + reason)])
        return class_report.render([student], [("<img src=x>", "", "bad <input> & more")])

    def test_names_reasons_and_errors_are_escaped(self):
        page = self.render("<script>bad()</script>", "it said '<b>hi</b>' & left")
        self.assertNotIn("<script", page)
        self.assertNotIn("<b>hi", page)
        self.assertNotIn("<img", page)
        self.assertIn("&lt;script&gt;bad()&lt;/script&gt;", page)
        self.assertIn("bad &lt;input&gt; &amp; more", page)

    def test_links_are_url_quoted_and_chinese_is_kept(self):
        page = self.render("王 \"x\"", "程序以状态 1 退出")
        self.assertIn('href="%E7%8E%8B%20%22x%22/index.html"', page)
        self.assertIn(">王 &quot;x&quot;</a>", page)
        self.assertIn("原因：程序以状态 1 退出", page)


class ClassReportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.out = cls.tmp.name
        cls.scores = fixture.write_class(cls.out)
        cls.path = class_report.write(cls.out)
        with open(cls.path, encoding="utf-8") as f:
            cls.page = f.read()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_write_all_leaves_checks_json_and_a_page_per_student(self):
        with open(os.path.join(self.out, "s01", "checks.json"), encoding="utf-8") as f:
            checks = json.load(f)
        self.assertEqual(set(checks[0]), {"id", "points", "max_points", "passed", "blocked_by",
                                          "reason_en", "reason_zh", "statement_en",
                                          "statement_zh"})
        leak = next(c for c in checks if c["id"] == "PROG.POOL.NO_FOREIGN_WRITE_END")
        self.assertFalse(leak["passed"])
        self.assertIn("子进程 4100 持有通道 0 的写端", leak["reason_zh"])
        self.assertTrue(leak["statement_zh"])
        with open(os.path.join(self.out, "s01", "index.html"), encoding="utf-8") as f:
            student = f.read()
        self.assertIn(f"Score: {self.scores['s01'][1]}/100", student)
        self.assertIn("child 4100 holds the write end of channel 0 (fd 4)", student)
        self.assertNotIn("<script", student)

    def test_the_counts_are_k_of_the_students_graded_on_the_lab(self):
        self.assertIn(f"{fixture.FOREIGN_WRITE_END} of 12", self.page)
        self.assertIn(f"{fixture.QUOTED_ARGUMENT} of 12", self.page)
        self.assertIn(f"{fixture.FIFO_LEFT} of 4", self.page)
        self.assertIn("（12 人中 7 人）", self.page)

    def test_the_sections_are_there_in_order(self):
        at = [self.page.index(f'id="{s}"') for s in
              ("distribution", "pass-rates", "common-reasons", "students", "ungraded")]
        self.assertEqual(at, sorted(at))

    def test_what_could_not_be_graded_is_listed_with_why(self):
        for name, why in fixture.UNGRADED.items():
            self.assertIn(f"<td>{name}</td><td></td><td>{why}</td>", self.page)
        self.assertIn("zz_lost", self.page)
        self.assertIn("but its checks.json cannot be read", self.page)

    def test_every_graded_student_is_linked(self):
        for name in fixture.POOL + fixture.FIFO:
            self.assertIn(f">{class_report.esc(name)}</a>", self.page)
        self.assertNotIn('href="zz_lost/', self.page)

    def test_the_page_is_the_same_each_time(self):
        class_report.write(self.out)
        with open(self.path, encoding="utf-8") as f:
            self.assertEqual(f.read(), self.page)

    def test_nothing_is_loaded_and_nothing_runs(self):
        self.assertNotIn("<script", self.page)
        self.assertNotRegex(self.page, r"(src|href)=\"?(https?:|//)")


class CommandTest(unittest.TestCase):
    def run_main(self, argv):
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            status = class_report.main(argv)
        return status, err.getvalue()

    def test_bad_input_is_one_line_and_exit_2(self):
        with tempfile.TemporaryDirectory() as empty:
            for argv, says in (([], "usage"), ([os.path.join(empty, "nope")], "no such folder"),
                               ([empty], "scores.csv: not found")):
                status, err = self.run_main(argv)
                self.assertEqual(status, 2, err)
                self.assertIn(says, err)
                self.assertEqual(len(err.strip().splitlines()), 1, err)

    def test_a_csv_without_its_columns_is_refused(self):
        with tempfile.TemporaryDirectory() as out:
            with open(os.path.join(out, "scores.csv"), "w", encoding="utf-8") as f:
                f.write("name,points\nx,1\n")
            status, err = self.run_main([out])
            self.assertEqual(status, 2)
            self.assertIn("no column submission, lab, score, max_score, error", err)


if __name__ == "__main__":
    unittest_junit.main()
