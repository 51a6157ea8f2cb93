"""Tests of tools/port without a port: the runner (port_init) run natively on plans of small
programs, the framing read back (progress, outputs, endings, files), a target that cannot start,
the probes found by their first line, the initramfs written for qemu-system, and the targets'
packages. (The ports themselves run by `tools/ipcconf port`; BENCHMARKS.md and the expectation
files record those runs.)"""

import io
import os
import stat
import subprocess
import sys
import tempfile
import time
import unittest

import unittest_junit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import port  # noqa: E402
import targets  # noqa: E402

INIT = os.path.abspath("tools/port/port_init")
HERE = os.path.dirname(os.path.abspath(__file__))


def script(path, text):
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + text)
    os.chmod(path, 0o755)


class RunnerTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(dir=os.environ.get("TEST_TMPDIR"))
        self.tmp = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def stage(self, binary_text, probes):
        binary = os.path.join(self.tmp, "binary")
        script(binary, binary_text)
        probes_dir = os.path.join(self.tmp, "built-probes")
        os.mkdir(probes_dir)
        for name, text in probes.items():
            script(os.path.join(probes_dir, name), text)
        folder = os.path.join(self.tmp, "stage")
        names = port.stage(binary, INIT, probes_dir, folder, [], folder)
        return folder, names

    def test_outputs_endings_files_and_progress_come_back_framed(self):
        folder, names = self.stage(
            'echo "[       OK ] A.B (1 ms)"\necho "[  FAILED  ] A.C (2 ms)"\n'
            'printf \'{"tests": [], "machine": "\\344\\270\\255"}\' > results.json\nexit 1\n',
            {"shows_it": 'echo "expected: 1; saw: 0"\nexit 1\n'})
        self.assertEqual(names, ["shows_it"])
        out = io.StringIO()
        sys.stdout, saved = out, sys.stdout
        try:
            session = port.run(targets.launch("native", folder, None, [], False), folder, 60, 2,
                               "native")
        finally:
            sys.stdout = saved
        self.assertTrue(session.started and session.done)
        self.assertEqual(session.endings["ipcconf_portable"], "exited with status 1")
        self.assertEqual(session.endings["probe:shows_it"], "exited with status 1")
        self.assertEqual(session.outputs["probe:shows_it"], ["expected: 1; saw: 0"])
        self.assertEqual(session.files["results.json"].decode(),
                         '{"tests": [], "machine": "中"}')
        self.assertIn("native: 2/2 test cases, 1 failed", out.getvalue())

    def test_a_wrapper_that_does_not_exist_does_not_start(self):
        folder, _ = self.stage("exit 0\n", {})
        session = port.run(targets.launch("wrapper", folder, None, ["/no/such/wrapper"], False),
                           folder, 60, 1, "wrapper")
        self.assertFalse(session.started)
        self.assertIn("cannot start /no/such/wrapper", session.other[-1])

    def test_a_target_that_says_nothing_is_stopped_not_waited_on(self):
        folder, _ = self.stage("exit 0\n", {})
        saved = port.START_BOUND_SECONDS
        port.START_BOUND_SECONDS = 1
        try:
            began = time.monotonic()
            session = port.run(targets.Launch(["/bin/sleep", "600"], {}, "a hung port"),
                               folder, 60, 1, "x")
        finally:
            port.START_BOUND_SECONDS = saved
        self.assertLess(time.monotonic() - began, 30)
        self.assertFalse(session.started)
        self.assertIn("no sign of the runner within 1 s", session.other[-1])

    def test_lines_that_are_not_the_runners_are_kept_for_the_diagnosis(self):
        folder, _ = self.stage("exit 0\n", {})
        launch = targets.Launch(["/bin/sh", "-c", "echo kernel panic; exit 1"], {}, "a port")
        session = port.run(launch, folder, 60, 1, "x")
        self.assertFalse(session.started)
        self.assertEqual(session.other, ["kernel panic"])


class ProbesAndTargetsTest(unittest.TestCase):
    def test_probes_are_found_by_the_assertions_on_their_first_line(self):
        probes = port.probe_assertions(os.path.join("conformance", "probes"))
        self.assertIn("SYSV.SEM.UNDO_ON_EXIT", probes["sem_undo"][0])
        self.assertIn("SYSV.SEM.UNDO_ON_KILL", probes["sem_undo"][0])
        for name, (ids, what) in probes.items():
            self.assertTrue(ids and what, name)

    def test_deviating_assertions(self):
        results = {"tests": [
            {"status": "passed", "assertions": ["A.ONE"]},
            {"status": "failed", "assertions": ["A.TWO"]},
            {"status": "unsupported", "assertions": ["A.THREE"]}]}
        self.assertEqual(port.deviating_assertions(results),
                         {"A.TWO": "failed", "A.THREE": "unsupported"})

    def test_initramfs_holds_the_stage_as_newc(self):
        with tempfile.TemporaryDirectory(dir=os.environ.get("TEST_TMPDIR")) as tmp:
            stage = os.path.join(tmp, "stage")
            os.makedirs(os.path.join(stage, "probes"))
            script(os.path.join(stage, "port_init"), "exit 0\n")
            out = os.path.join(tmp, "initrd")
            targets._cpio_newc(stage, out)
            with open(out, "rb") as f:
                data = f.read()
        entries, at = {}, 0
        while True:
            header = data[at:at + 110].decode()
            self.assertEqual(header[:6], "070701")
            mode, size, namesize = (int(header[14:22], 16), int(header[54:62], 16),
                                    int(header[94:102], 16))
            name = data[at + 110:at + 110 + namesize - 1].decode()
            at += 110 + namesize
            at += -at % 4
            if name == "TRAILER!!!":
                break
            entries[name] = (mode, data[at:at + size])
            at += size + (-size % 4)
        self.assertTrue(stat.S_ISDIR(entries["probes"][0]))
        self.assertEqual(entries["port_init"][1], b"#!/bin/sh\nexit 0\n")
        self.assertEqual(entries["port_init"][0] & 0o777, 0o755)

    def test_unknown_target_is_one_line_and_exit_2(self):
        done = subprocess.run([sys.executable, os.path.join(HERE, "targets.py"), "packages",
                               "bogus"], capture_output=True, text=True)
        self.assertEqual(done.returncode, 2)
        self.assertEqual(len(done.stderr.strip().splitlines()), 1)
        self.assertIn("unknown target 'bogus'", done.stderr)
        with self.assertRaises(targets.TargetError):
            targets.check("qemu-system", "/no/such/kernel")

    def test_packages_of_each_target(self):
        self.assertEqual(targets.PACKAGES["runsc"], ["runsc"])
        self.assertEqual(targets.PACKAGES["qemu-system"], ["qemu-system-x86",
                                                           "linux-image-amd64"])


if __name__ == "__main__":
    unittest_junit.main()
