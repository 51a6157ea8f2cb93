"""Every sample submission (subjects/submissions) gets its expected verdict from the grader.

Also: bad input gives exit 2 and one line; the time warp changes no verdict (class TimeWarp,
the target //labs:samples_warp_test); nothing is left running, no System V object and no FIFO
remain after grading all samples. Run with a class name (SamplesTest, TimeWarp) to run one.
"""

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import unittest_junit  # noqa: E402  (cases counted one by one under Bazel)

SANDBOX = os.path.abspath("tools/grade/grade_sandbox")
OBSERVER = os.path.abspath("tools/grade/libgrade_observer.so")
GRADE = os.path.abspath("tools/grade/grade.py")
SAMPLES = os.path.abspath("subjects/submissions")
LABS = os.path.abspath("labs")


def grade(*args, warp=100):
    return subprocess.run(  # the reasons quote UTF-8 whatever the locale
        encoding="utf-8", args=
        [sys.executable, GRADE, "--sandbox", SANDBOX, "--observer", OBSERVER, "--labs",
         LABS, "--warp", str(warp), *args], capture_output=True, timeout=600)


def graders_left(tmp):
    """Processes whose folder is under `tmp`, where this test's grader makes every run folder.

    Only those: the grading uids (61000..64999) and folder names are shared with any other
    grader on the host (a parallel run of this test, someone grading by hand), whose processes
    are not this test's business.
    """
    left = []
    tmp = os.path.realpath(tmp) + "/"
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/status") as f:
                uid = int(next(l for l in f if l.startswith("Uid:")).split()[1])
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except (OSError, StopIteration, ValueError):
            continue
        if (cwd + "/").startswith(tmp):
            left.append(f"pid {pid} uid {uid} cwd {cwd}")
    return left


def sysv_rows():
    rows = []
    for kind in ("shm", "sem", "msg"):
        with open(f"/proc/sysvipc/{kind}") as f:
            rows += [f"{kind}: {l.strip()}" for l in f.readlines()[1:] if l.strip()]
    return rows


def fifos_under(folder):
    return [os.path.join(r, n) for r, ds, fs in os.walk(folder) for n in fs
            if os.path.exists(os.path.join(r, n)) and
            not os.path.isfile(os.path.join(r, n))]


class SamplesTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="samples-test-")
        os.chmod(cls.tmp, 0o755)  # the programs' own uids must reach their run folders
        os.environ["TMPDIR"] = cls.tmp  # every scratch folder of the grader is under it
        tempfile.tempdir = None
        cls.sysv_before = sysv_rows()
        cls.batch_in = os.path.join(cls.tmp, "in")
        shutil.copytree(SAMPLES, cls.batch_in)
        os.mkdir(os.path.join(cls.batch_in, "bad_empty"))
        cls.out = os.path.join(cls.tmp, "out")
        cls.batch = grade("--batch", cls.batch_in, "-j", "2", "--output", cls.out)
        with open(os.path.join(cls.out, "scores.csv"), encoding="utf-8") as f:
            cls.rows = {r["submission"]: r for r in csv.DictReader(f)}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_batch_grades_every_sample_as_expected(self):
        self.assertEqual(self.batch.returncode, 2, self.batch.stderr)  # bad_* rows are errors
        names = [n for n in os.listdir(SAMPLES) if os.path.isdir(os.path.join(SAMPLES, n))]
        self.assertGreaterEqual(len([n for n in names if not n.startswith("bad_")]), 40)
        for name in names:
            with self.subTest(sample=name):
                with open(os.path.join(SAMPLES, name, "expected.json")) as f:
                    expected = json.load(f)
                row = self.rows[name]
                if "error" in expected:
                    self.assertIn(expected["error"], row["error"])
                    continue
                self.assertEqual(row["error"], "")
                with open(os.path.join(self.out, name, "results.json")) as f:
                    got = json.load(f)
                verdicts = {t["name"]: t["status"] == "passed" for t in got["tests"]}
                reasons = {t["name"]: t["output"] for t in got["tests"]}
                for check, want in expected["checks"].items():
                    self.assertEqual(verdicts.get(check), want,
                                     f"{name} {check}: {reasons.get(check)}")
                self.assertEqual(sorted(verdicts), sorted(expected["checks"]))
                self.assertEqual(got["score"], expected["score"])
                if name.endswith("_ok"):
                    self.assertEqual(got["score"], sum(t["max_score"] for t in got["tests"]))

    def test_every_reason_is_in_english_and_chinese_and_utf8_is_kept(self):
        for name in os.listdir(self.out):
            path = os.path.join(self.out, name, "results.json")
            if not os.path.exists(path):
                continue
            with open(path, encoding="utf-8") as f:
                raw = f.read()
            with self.subTest(sample=name):
                self.assertNotIn("\\u00e", raw)  # UTF-8 read as Latin-1 shows as \u00e5...
                for t in json.loads(raw)["tests"]:
                    lines = t["output"].splitlines()
                    self.assertTrue(any(any("\u4e00" <= c <= "\u9fff" for c in l) for l in lines),
                                    t)  # the statement (and a failure's reason) in Chinese

    def test_lang_zh_prints_chinese_reasons(self):
        done = grade(os.path.join(SAMPLES, "pool_one_worker"), "--lang", "zh")
        self.assertEqual(done.returncode, 1, done.stderr)
        self.assertIn("全部 3 个任务都发给了通道 0", done.stdout)

    def test_course_settings_state_n_once_for_everyone(self):
        settings = os.path.join(self.tmp, "course.toml")
        with open(settings, "w") as f:
            f.write("children = 4\n")
        done = grade(os.path.join(SAMPLES, "pool_zh_fixed"), "--settings", settings)
        self.assertIn("run as 'PROG 4' it started 5 children", done.stdout)
        bad = os.path.join(self.tmp, "bad.toml")
        with open(bad, "w") as f:
            f.write("lab = \"fifo\"\n")
        done = grade(os.path.join(SAMPLES, "pool_zh_course"), "--settings", bad)
        self.assertEqual(done.returncode, 2)
        self.assertIn("unknown setting(s) lab", done.stderr)

    def test_empty_folder_is_a_row_with_its_reason(self):
        self.assertIn("the folder is empty", self.rows["bad_empty"]["error"])

    def test_nothing_is_left_after_grading_all_samples(self):
        self.assertEqual(graders_left(self.tmp), [])
        self.assertEqual(sysv_rows(), self.sysv_before)
        self.assertEqual(fifos_under(self.tmp), [])

    def test_bad_input_is_one_line_and_exit_2(self):
        empty = os.path.join(self.tmp, "empty")
        os.makedirs(empty, exist_ok=True)
        for folder, says in ((os.path.join(self.tmp, "missing"), "no such folder"),
                             (empty, "the folder is empty"),
                             (os.path.join(SAMPLES, "bad_two_labs"), "two labs"),
                             (os.path.join(SAMPLES, "bad_malformed_manifest"),
                              "malformed manifest")):
            with self.subTest(folder=folder):
                done = grade(folder)
                self.assertEqual(done.returncode, 2, done.stdout + done.stderr)
                self.assertEqual(len(done.stderr.strip().splitlines()), 1, done.stderr)
                self.assertIn(says, done.stderr)



class TimeWarp(unittest.TestCase):
    """Its own target (//labs:samples_warp_test): real-time grading is the slow part, and it
    runs beside the batch on the other core."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="samples-warp-test-")
        os.chmod(cls.tmp, 0o755)
        os.environ["TMPDIR"] = cls.tmp
        tempfile.tempdir = None

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_time_warp_changes_no_verdict(self):
        for name in ("pool_ok", "pool_one_worker", "fifo_ok", "shm_ok"):
            with self.subTest(sample=name):
                verdicts = []
                for warp in (0, 100):
                    path = os.path.join(self.tmp, f"{name}-{warp}.json")
                    grade(os.path.join(SAMPLES, name), "--json", path, warp=warp)
                    with open(path) as f:
                        verdicts.append([(t["name"], t["status"]) for t in json.load(f)["tests"]])
                self.assertEqual(verdicts[0], verdicts[1])


if __name__ == "__main__":
    unittest_junit.main()
