"""tools/grade/submission.py: the lab a submission is graded as, its manifest, its programs'
roles.

Each test writes a submission in a temporary folder, the way real ones look, and loads it;
nothing is built or run here.

    python3 tools/grade/submission_test.py
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import submission as S  # noqa: E402
from submission_testlib import FIFO_CLIENT_C, FIFO_SERVER_C, POOL_C, Base, compile_elf  # noqa: E402
import unittest_junit  # noqa: E402  (cases counted one by one under Bazel)


class LabOfTheSubmission(Base):
    """One lab, from the programs' (sources_test), or a SubmissionError that says what to do."""

    def lab(self, files, name="alumno"):
        return S.detect_lab(self.submission(files, name=name))

    def test_one_lab(self):
        self.assertEqual(self.lab({"servidor.c": FIFO_SERVER_C, "cliente.c": FIFO_CLIENT_C}),
                         "fifo")

    def test_two_labs(self):
        folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                              "subjects", "submissions", "bad_two_labs")
        if os.path.isdir(folder):
            with self.assertRaisesRegex(S.SubmissionError,
                                        r"sources of two labs \(fifo and shm\) and no grade\.toml"):
                S.load(folder)
        with self.assertRaisesRegex(
                S.SubmissionError, r"sources of two labs \(process_pool and fifo\) and no "
                                   r"grade\.toml: add grade\.toml with lab = \"\.\.\.\" "
                                   r"\(process_pool: pool\.c; fifo: servidor\.c\)$"):
            self.lab({"pool.c": POOL_C, "servidor.c": FIFO_SERVER_C})

    def test_cannot_tell_the_lab_says_what_it_looked_for(self):
        with self.assertRaisesRegex(
                S.SubmissionError, r"cannot tell the lab \(no program calls shmget \(shm\), "
                                   r"mkfifo or mknod \(fifo\), fork and pipe \(process_pool\) "
                                   r".*programs: hello\.c\)"):
            self.lab({"hello.c": "int main(void) { return 0; }\n"})

    def test_only_compiled_programs(self):
        folder = self.submission({"README.txt": "mi programa\n"})
        compile_elf(os.path.join(folder, "server"))
        with self.assertRaisesRegex(S.SubmissionError,
                                    r"no source files \(.*\) \(only compiled programs, which are "
                                    r"not graded: hand in the sources\): server$"):
            S.load(folder)


class PickBinaries(Base):
    """Every program, with a best guess of the roles; an error only for too few."""

    def made(self, *names):
        return {n: os.path.join("/build", n) for n in names}

    def pick(self, lab, *names, binaries=None, programs=None):
        manifest = {"lab": lab, "binaries": binaries or {}, "programs": programs or {}}
        bins = S.pick_binaries(manifest, self.made(*names))
        self.assertEqual(list(bins["programs"]), sorted(names))
        return {role: os.path.relpath(p, "/build") for role, p in bins.items()
                if role != "programs"}

    def test_names(self):
        for names, server, client in (
                (("servidor", "cliente"), "servidor", "cliente"),
                (("Server", "Client"), "Server", "Client"),
                (("srv", "cli"), "srv", "cli"),
                (("shm_s", "shm_c"), "shm_s", "shm_c"),
                (("reader", "writer"), "reader", "writer"),
                (("recv", "send"), "recv", "send"),
                (("a", "client"), "a", "client"),
                (("bin/server", "bin/other"), "bin/server", "bin/other"),
                (("server/main", "client/main"), "server/main", "client/main"),
                (("prog1", "prog2", "prog3"), "prog1", "prog2")):
            with self.subTest(names=names):
                self.assertEqual(self.pick("fifo", *names),
                                 {"server": server, "client": client})

    def test_the_fifo_creator_is_the_server_when_names_do_not_tell(self):
        programs = {"uno.c": {"lab": None, "calls": []},
                    "dos.c": {"lab": "fifo", "calls": ["mkfifo"]}}
        self.assertEqual(self.pick("fifo", "uno", "dos", programs=programs),
                         {"server": "dos", "client": "uno"})

    def test_manifest_names_win(self):
        self.assertEqual(self.pick("shm", "server", "client",
                                   binaries={"server": "client", "client": "server"}),
                         {"server": "client", "client": "server"})
        with self.assertRaisesRegex(S.SubmissionError, "names server program 'nope'"):
            self.pick("shm", "server", "client", binaries={"server": "nope"})

    def test_pool(self):
        self.assertEqual(self.pick("process_pool", "zzz"), {"main": "zzz"})
        self.assertEqual(self.pick("process_pool", "helper", "pool"), {"main": "pool"})
        self.assertEqual(self.pick("process_pool", "a", "main"), {"main": "main"})
        programs = {"b.c": {"lab": "process_pool", "calls": ["fork", "pipe"]},
                    "a.c": {"lab": None, "calls": []}}
        self.assertEqual(self.pick("process_pool", "a", "b", programs=programs), {"main": "b"})
        self.assertEqual(self.pick("process_pool", "a", "b"), {"main": "a"})

    def test_two_programs_needed(self):
        with self.assertRaisesRegex(S.SubmissionError,
                                    r"the shm lab needs two programs \(a server and a client\); "
                                    r"the build made only server"):
            self.pick("shm", "server")


class Manifest(Base):
    """grade.toml is optional and, when there, wins."""

    def test_manifest_lab_for_a_folder_of_two_labs(self):
        folder = self.submission({"pool.c": POOL_C, "servidor.c": FIFO_SERVER_C,
                                  "grade.toml": 'lab = "fifo"\n'})
        manifest = S.load(folder)
        self.assertEqual(manifest["lab"], "fifo")
        self.assertEqual(manifest["programs"]["pool.c"]["lab"], "process_pool")
        self.assertEqual(S.load(folder, "process_pool")["lab"], "process_pool")

    def test_malformed_manifest(self):
        folder = self.submission({"pool.c": POOL_C, "grade.toml": 'lab = "pool\n'})
        with self.assertRaisesRegex(S.SubmissionError, "malformed manifest"):
            S.load(folder)


class OddInput(Base):
    """Never a traceback: one SubmissionError line."""

    def test_missing_empty_and_not_a_folder(self):
        with self.assertRaisesRegex(S.SubmissionError, "no such folder"):
            S.load(os.path.join(self.tmp, "missing"))
        os.mkdir(os.path.join(self.tmp, "empty"))
        with self.assertRaisesRegex(S.SubmissionError, "the folder is empty"):
            S.load(os.path.join(self.tmp, "empty"))
        folder = self.submission({"notes.txt": "hola\n"})
        with self.assertRaisesRegex(S.SubmissionError, r"no source files \(\.c, .*\)$"):
            S.load(folder)


if __name__ == "__main__":
    unittest_junit.main()
