"""A whole class in one command (grade --batch): archives unpacked safely (roster.unpack, in
process), repository clones with labs in sub-folders, rows reused when nothing changed, Ctrl-C
in the middle and the run after it, the progress lines when not on a terminal, the help.

The grader runs as a program with the built sandbox, as in //labs:samples_test; the
submissions are copies of the samples pool_ok, fifo_ok and shm_ok, or tiny ones written here.
"""

import csv
import io
import os
import select
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import unittest
import zipfile

import roster
import unittest_junit

SANDBOX = os.path.abspath("tools/grade/grade_sandbox")
OBSERVER = os.path.abspath("tools/grade/libgrade_observer.so")
GRADE = os.path.abspath("tools/grade/grade.py")
SAMPLES = os.path.abspath("subjects/submissions")
LABS = os.path.abspath("labs")
COMMAND = [sys.executable, GRADE, "--sandbox", SANDBOX, "--observer", OBSERVER, "--labs", LABS]


def grade(*args):
    return subprocess.run(COMMAND + list(args), encoding="utf-8", capture_output=True,
                          timeout=600)


def scores(output):
    with open(os.path.join(output, "scores.csv"), encoding="utf-8") as f:
        return {r["submission"]: r for r in csv.DictReader(f)}


def sysv_rows():
    rows = []
    for kind in ("shm", "sem", "msg"):
        with open(f"/proc/sysvipc/{kind}") as f:
            rows += [f"{kind}: {l.strip()}" for l in f.readlines()[1:] if l.strip()]
    return rows


def left_under(folder):
    """Processes whose working folder is under `folder` (every run and build folder of this
    test's grader is), and FIFOs there."""
    folder = os.path.realpath(folder) + "/"
    procs = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if (os.readlink(f"/proc/{pid}/cwd") + "/").startswith(folder):
                procs.append(pid)
        except OSError:
            continue
    fifos = [os.path.join(r, n) for r, _, names in os.walk(folder) for n in names
             if os.path.exists(os.path.join(r, n)) and not os.path.isfile(os.path.join(r, n))]
    return procs, fifos


class Base(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="batch-test-")
        os.chmod(cls.tmp, 0o755)  # the programs' own uids must reach their run folders
        os.environ["TMPDIR"] = cls.tmp  # every scratch folder of the grader is under it
        tempfile.tempdir = None
        cls.sysv_before = sysv_rows()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def folder(self, *parts, samples=(), files=None):
        """A folder under the test's, holding copies of samples and {relpath: text}."""
        path = os.path.join(self.tmp, *parts)
        os.makedirs(path, exist_ok=True)
        for sample, where in samples:
            shutil.copytree(os.path.join(SAMPLES, sample), os.path.join(path, where))
        for rel, text in (files or {}).items():
            os.makedirs(os.path.dirname(os.path.join(path, rel)), exist_ok=True)
            with open(os.path.join(path, rel), "w") as f:
                f.write(text)
        return path

    def assertNothingLeft(self):
        self.assertEqual(left_under(self.tmp), ([], []))
        self.assertEqual(sysv_rows(), self.sysv_before)


class ArchiveTest(unittest.TestCase):
    """roster.unpack and roster.entries on archives, in process: nothing is graded."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="archive-test-", dir=os.environ.get("TEST_TMPDIR"))
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)

    def zip(self, members):
        path = os.path.join(self.tmp, "class.zip")
        with zipfile.ZipFile(path, "w") as zf:
            for name, data in members.items():
                zf.writestr(name, data)
        return path

    def test_a_wrapper_folder_is_looked_through(self):
        path = self.zip({"class/ana/pool.c": "int main() { fork(); pipe(0); }",
                         "class/ben/pool.c": "int main() { fork(); pipe(0); }"})
        rows = roster.entries(path, os.path.join(self.tmp, "scratch"))
        self.assertEqual([(r.name, r.error) for r in rows], [("ana", None), ("ben", None)])

    def test_members_leaving_the_folder_are_refused_with_their_submission(self):
        path = self.zip({"ana/pool.c": "int main() {}", "ben/../../evil.c": "x",
                         "cam/pool.c": "int main() {}"})
        rows = {r.name: r for r in roster.entries(path, os.path.join(self.tmp, "s"))}
        self.assertEqual(sorted(rows), ["ana", "ben", "cam"])
        self.assertIn("'ben/../../evil.c' leaves the folder", rows["ben"].error)
        self.assertIsNone(rows["ana"].error)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "evil.c")))

    def test_an_absolute_member_refuses_the_archive_in_one_row(self):
        path = self.zip({"ana/pool.c": "int main() {}", "/etc/evil": "x"})
        rows = roster.entries(path, os.path.join(self.tmp, "s"))
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0].name, "class.zip")
        self.assertIn("'/etc/evil' has an absolute path", rows[0].error)

    def test_a_tar_link_pointing_outside_is_refused(self):
        path = os.path.join(self.tmp, "class.tar.gz")
        with tarfile.open(path, "w:gz") as tf:
            for name, kind, data in (("ana/pool.c", tarfile.REGTYPE, b"int main() {}"),
                                     ("ana/passwd", tarfile.SYMTYPE, b"../../../etc/passwd"),
                                     ("ben/pool.c", tarfile.REGTYPE, b"int main() {}"),
                                     ("ben/inc", tarfile.SYMTYPE, b"pool.c")):
                info = tarfile.TarInfo(name)
                info.type = kind
                if kind == tarfile.SYMTYPE:
                    info.linkname = data.decode()
                    tf.addfile(info)
                else:
                    info.size = len(data)
                    tf.addfile(info, io.BytesIO(data))
        rows = {r.name: r for r in roster.entries(path, os.path.join(self.tmp, "s"))}
        self.assertIn("is a link pointing outside its folder (../../../etc/passwd)",
                      rows["ana"].error)
        self.assertIsNone(rows["ben"].error)
        self.assertEqual(os.readlink(os.path.join(rows["ben"].folder, "inc")), "pool.c")

    def test_an_archive_over_the_bound_is_one_row(self):
        path = self.zip({"ana/pool.c": "int main() {}", "ana/big.bin": b"\0" * 4096})
        bound, roster.MAX_UNPACKED = roster.MAX_UNPACKED, 1024
        self.addCleanup(setattr, roster, "MAX_UNPACKED", bound)
        rows = roster.entries(path, os.path.join(self.tmp, "s"))
        self.assertEqual([r.name for r in rows], ["class.zip"])
        self.assertIn("archive refused, nothing graded: it unpacks to 0 MiB, over the bound",
                      rows[0].error)

    def test_not_an_archive(self):
        bad = os.path.join(self.tmp, "class.zip")
        with open(bad, "w") as f:
            f.write("not a zip")
        rows = roster.entries(bad, os.path.join(self.tmp, "s"))
        self.assertIn("cannot read the archive", rows[0].error)


class SourcesTest(Base):
    """Archives and clones graded end to end."""

    def test_zip_and_tar_gz_of_submission_folders(self):
        folder = self.folder("class", samples=[("pool_ok", "ana"), ("fifo_ok", "ben")])
        zipped = shutil.make_archive(os.path.join(self.tmp, "class"), "zip", folder)
        tarred = shutil.make_archive(os.path.join(self.tmp, "class"), "gztar", self.tmp, "class")
        for archive in (zipped, tarred):
            with self.subTest(archive=os.path.basename(archive)):
                out = os.path.join(self.tmp, "out-" + os.path.basename(archive))
                done = grade("--batch", archive, "--output", out, "-j", "2")
                self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
                rows = scores(out)
                self.assertEqual({n: (r["lab"], r["score"]) for n, r in rows.items()},
                                 {"ana": ("process_pool", "100"), "ben": ("fifo", "100")})
                self.assertTrue(os.path.exists(os.path.join(out, "ben", "results.json")))
        self.assertNothingLeft()

    def test_clones_with_labs_in_sub_folders(self):
        clones = self.folder("clones")
        self.folder("clones", "ana", samples=[("pool_ok", "so/lab2")], files={
            ".git/HEAD": "ref: refs/heads/main\n", "README.md": "labs\n",
            "lab0/hello.c": "int main(void) { return 0; }\n"})
        self.folder("clones", "ben", samples=[("pool_ok", "pool"), ("shm_ok", "shm")],
                    files={".git/HEAD": "ref: refs/heads/main\n"})
        self.folder("clones", "cam", files={".git/HEAD": "x\n", "README.md": "todo\n"})
        out = os.path.join(self.tmp, "out-clones")
        done = grade("--batch", clones, "--output", out)
        rows = scores(out)
        self.assertEqual(sorted(rows), ["ana/so/lab2", "ben/pool", "ben/shm", "cam"])
        self.assertEqual(rows["ana/so/lab2"]["score"], "100", rows)
        self.assertEqual((rows["ben/pool"]["lab"], rows["ben/shm"]["lab"]),
                         ("process_pool", "shm"))
        self.assertIn("no lab found in the repository: no C or C++ source outside .git "
                      "(README.md); was the lab pushed", rows["cam"]["error"])
        self.assertEqual(done.returncode, 2)  # cam's row is an error
        self.assertTrue(os.path.exists(os.path.join(out, "ben", "shm", "results.json")))
        only = grade("--batch", clones, "--output", out, "--lab", "shm")
        rows = scores(out)
        self.assertEqual(sorted(rows), ["ana", "ben/shm", "cam"], only.stdout)
        self.assertIn("no program of the shm lab (it has process_pool in so/lab2/)",
                      rows["ana"]["error"])
        self.assertIn("[2/3] ben/shm: 100/100 (reused)", only.stdout)
        self.assertNothingLeft()


class ResumeTest(Base):

    def test_an_unchanged_class_is_not_graded_again_and_a_change_is(self):
        folder = self.folder("resume", samples=[("pool_ok", "ana"), ("shm_ok", "ben")],
                             files={"cam/notes.txt": "no sources\n"})
        out = os.path.join(self.tmp, "out-resume")
        first = grade("--batch", folder, "--output", out)
        self.assertEqual(first.returncode, 2, first.stdout + first.stderr)  # cam: no sources
        # Not a terminal: a line per submission with done/total, the rate and the time left.
        lines = [l for l in first.stdout.splitlines() if l.startswith("[")]
        self.assertEqual(len(lines), 3, first.stdout)
        self.assertRegex(lines[0], r"^\[1/3\] ana: 100/100 \(\d+\.\d s\); [\d.]+ per minute, "
                                   r"about .* left$")
        self.assertRegex(lines[2], r"^\[3/3\] cam: error: cam: no source files .*; "
                                   r"[\d.]+ per minute$")
        self.assertIn("3 submissions in", first.stdout.splitlines()[-1])
        graded = scores(out)
        second = grade("--batch", folder, "--output", out)
        self.assertIn(": 3 reused, 0 graded;", second.stdout)
        self.assertEqual(scores(out), graded)
        with open(os.path.join(folder, "ben", "shm_client.cpp"), "a") as f:
            f.write("\n// a late fix\n")
        third = grade("--batch", folder, "--output", out)
        self.assertIn("1 of 3 submission(s) to grade", third.stdout)
        self.assertIn(": 2 reused, 1 graded;", third.stdout)
        self.assertIn("ben: 100/100 (", third.stdout)
        self.assertNothingLeft()


# The slow ones wait for a gate file: m_spin's program spins (never asleep, so its run is not
# ended early) inside the sandbox, z_gated's Makefile loops in the build. /dev/shm: outside the
# run's private /tmp.
SPIN_POOL = r"""
#include <unistd.h>
#include <sys/wait.h>
int main(int argc, char **argv) {
  while (access("GATE", F_OK) != 0) {}
  int fd[2];
  if (argc < 2 || pipe(fd) < 0) return 1;
  if (fork() == 0) { close(fd[1]); char c; while (read(fd[0], &c, 1) > 0) {} return 0; }
  close(fd[0]); close(fd[1]); wait(0);
  return 0;
}
"""
GATED_MAKEFILE = "pool: pool.c\n\twhile [ ! -e GATE ]; do sleep 0.05; done\n\tgcc -o pool pool.c\n"


class InterruptTest(Base):

    def test_sigint_keeps_what_is_done_and_the_next_run_goes_on(self):
        gates = tempfile.mkdtemp(prefix="ipcconf-batch-test-", dir="/dev/shm")
        self.addCleanup(shutil.rmtree, gates, ignore_errors=True)
        os.chmod(gates, 0o755)
        gate = os.path.join(gates, "open")
        spin = SPIN_POOL.replace("GATE", gate)
        folder = self.folder("interrupt", samples=[("pool_ok", "a_done")], files={
            "m_spin/pool.c": spin,
            "z_gated/pool.c": spin, "z_gated/Makefile": GATED_MAKEFILE.replace("GATE", gate)})
        out = os.path.join(self.tmp, "out-interrupt")
        # -j 3: when the first is done, the other two are in flight (one run, one build).
        batch = subprocess.Popen(COMMAND + ["--batch", folder, "--output", out, "-j", "3"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            seen = self.read_until(batch.stdout, "[1/3] a_done: 100/100", timeout=120)
            running = left_under(self.tmp)[0]  # m_spin's run and z_gated's make, held by the gate
            self.assertGreaterEqual(len(running), 2, "nothing in flight to interrupt")
            batch.send_signal(signal.SIGINT)
            _, err = batch.communicate(timeout=180)
            err = err.decode("utf-8", "replace")
        finally:
            if batch.poll() is None:
                batch.kill()
                batch.communicate()
        self.assertEqual(batch.returncode, 130, seen + err)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn("interrupted: 1 of 3 submissions done", err)
        self.assertIn("run the same command again to grade the 2 other(s)", err)
        self.assertEqual(list(scores(out)), ["a_done"])
        self.assertNothingLeft()
        kept = os.stat(os.path.join(out, "a_done", "grading.json")).st_mtime_ns
        open(gate, "w").close()
        again = grade("--batch", folder, "--output", out, "-j", "2")
        self.assertIn("[1/3] a_done: 100/100 (reused)", again.stdout)
        self.assertIn(": 1 reused, 2 graded;", again.stdout)
        self.assertEqual(os.stat(os.path.join(out, "a_done", "grading.json")).st_mtime_ns, kept)
        self.assertEqual(sorted(scores(out)), ["a_done", "m_spin", "z_gated"])
        self.assertNothingLeft()

    def read_until(self, stream, text, timeout):
        """What the stream printed until a line holding text (bounded by timeout)."""
        seen, deadline = b"", time.monotonic() + timeout
        while text.encode() not in seen:
            left = deadline - time.monotonic()
            self.assertGreater(left, 0, f"no {text!r} within {timeout} s: {seen}")
            ready, _, _ = select.select([stream], [], [], left)
            if ready:
                chunk = os.read(stream.fileno(), 65536)
                self.assertTrue(chunk, f"the batch ended before {text!r}: {seen}")
                seen += chunk
        return seen.decode("utf-8", "replace")


class HelpTest(unittest.TestCase):

    def test_every_option_is_explained_with_its_default_and_no_sandbox_is_needed(self):
        done = subprocess.run([sys.executable, GRADE, "--help"], encoding="utf-8",
                              capture_output=True, timeout=60, env={"PATH": "/usr/bin:/bin"})
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertTrue(done.stdout.startswith("usage: ipcconf grade"), done.stdout)
        entries, entry = {}, None  # each option's lines: "  --x ..." and the indented rest
        for line in done.stdout.split("options:", 1)[1].splitlines():
            if line.startswith("  -") or line.startswith("  SUBMISSION"):
                entry = line.split()[0].rstrip(",")
                entries[entry] = line
            elif line.startswith("    ") and entry:
                entries[entry] += " " + line.strip()
            else:
                entry = None
        for option in ("SUBMISSION", "--json", "--junit", "--markdown", "--batch", "-j",
                       "--output", "--lab", "--warp", "--bound-ms", "--lang", "--settings",
                       "--labs", "--sandbox", "--observer"):
            with self.subTest(option=option):
                self.assertIn(option, entries, done.stdout)
                if option != "SUBMISSION":
                    self.assertIn("(default", entries[option])


if __name__ == "__main__":
    unittest_junit.main()
