"""tools/grade/build.py: builds of tiny submissions compiled with gcc/g++ from the host.

Committed binaries removed, Makefiles of every spelling, direct compiles, the deadline, odd
files in the folder, and (as root) the unprivileged uid the build runs as. Nothing built here is
ever run.

    python3 tools/grade/build_test.py
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import unittest_junit  # noqa: E402  (cases counted one by one under Bazel)
import build as B  # noqa: E402
import build_user  # noqa: E402
import runner  # noqa: E402
import submission as S  # noqa: E402
from build_errors import build_failure  # noqa: E402
from submission_testlib import (FIFO_CLIENT_C, FIFO_SERVER_C, POOL_C, Base,  # noqa: E402
                                compile_elf)


class CommittedBinaries(Base):
    """Compiled files the submission carries are removed from the copy, then rebuilt."""

    def test_stale_committed_binary_is_removed_and_rebuilt(self):
        folder = self.submission({
            "pool.c": POOL_C,
            "Makefile": "pool: pool.c\n\tgcc -o pool pool.c\n",
        })
        old = os.path.join(folder, "pool")
        compile_elf(old, r'#include <stdio.h>' '\nint main(void) { puts("OLD_COMMITTED"); }')
        future = time.time() + 3600  # newer than pool.c: make would say "up to date"
        os.utime(old, (future, future))
        compile_elf(os.path.join(folder, "helper.o"), extra=["-c"])
        os.chmod(os.path.join(folder, "helper.o"), 0o644)
        compile_elf(os.path.join(folder, "odd_name.bin"))
        os.chmod(os.path.join(folder, "odd_name.bin"), 0o644)
        with open(old, "rb") as f:
            committed = f.read()
        manifest, made, log = self.assertBuilds(folder)
        self.assertEqual(list(made), ["pool"])
        with open(made["pool"], "rb") as f:
            built = f.read()
        self.assertIn(b"BUILT_FROM_SOURCE", built)
        self.assertNotIn(b"OLD_COMMITTED", built)
        self.assertIn("removed 3 compiled file(s)", log)
        for gone in ("helper.o", "odd_name.bin"):
            self.assertFalse(os.path.exists(os.path.join(self.build_dir, gone)))
        with open(old, "rb") as f:  # the submission itself is never written
            self.assertEqual(f.read(), committed)
        self.assertTrue(os.path.exists(os.path.join(folder, "helper.o")))

    def test_programs_anywhere_in_the_build_folder_and_not_objects_or_libraries(self):
        folder = self.submission({
            "server.c": FIFO_SERVER_C,
            "client.c": FIFO_CLIENT_C,
            "lib.c": "int twice(int x) { return 2 * x; }\n",
            "Makefile": ("all:\n\tmkdir -p bin build\n"
                         "\tgcc -o bin/server server.c\n\tgcc -o build/client client.c\n"
                         "\tgcc -c -o build/lib.o lib.c\n"
                         "\tgcc -shared -fPIC -o build/libtwice.so lib.c\n"),
        })
        manifest, made, _ = self.assertBuilds(folder)
        self.assertEqual(list(made), ["bin/server", "build/client"])
        self.assertEqual(made["bin/server"], os.path.join(self.build_dir, "bin", "server"))
        bins = S.pick_binaries(manifest, made)
        self.assertEqual(bins["server"], made["bin/server"])
        self.assertEqual(bins["client"], made["build/client"])
        mode = os.stat(made["bin/server"]).st_mode
        self.assertEqual(mode & 0o555, 0o555)  # the unprivileged runner reads and runs it


class MakefileSpellings(Base):
    """Makefile, makefile, GNUmakefile: plain make; MakeFile, Makefile.txt: make -f;
    src/Makefile: make there."""

    def check(self, makefile, where=""):
        folder = self.submission({
            where + "pool.c": POOL_C,
            where + makefile: "all: pool_by_make\npool_by_make: pool.c\n\tgcc -o $@ pool.c\n",
        }, name=makefile.replace(".", "_"))
        _, made, log = self.assertBuilds(folder)
        self.assertEqual(list(made), [where + "pool_by_make"], log)
        return log

    def test_makefile_read_by_make(self):
        for name in ("Makefile", "makefile", "GNUmakefile"):
            with self.subTest(makefile=name):
                self.assertIn("$ make\n", self.check(name))

    def test_other_spellings_given_with_f(self):
        for name in ("MakeFile", "MAKEFILE", "makeFile", "Makefile.txt"):
            with self.subTest(makefile=name):
                self.assertIn(f"$ make -f {name}\n", self.check(name))

    def test_makefile_in_a_sub_folder(self):
        self.assertIn("(in src/)", self.check("Makefile", where="src/"))

    def test_makefiles_in_two_sub_folders(self):
        folder = self.submission({
            "servidor/servidor.c": FIFO_SERVER_C,
            "servidor/Makefile": "servidor: servidor.c\n\tgcc -o servidor servidor.c\n",
            "cliente/cliente.c": FIFO_CLIENT_C,
            "cliente/makefile": "cliente: cliente.c\n\tgcc -o cliente cliente.c\n",
        })
        manifest, made, _ = self.assertBuilds(folder)
        self.assertEqual(list(made), ["cliente/cliente", "servidor/servidor"])
        bins = S.pick_binaries(manifest, made)
        self.assertEqual((bins["server"], bins["client"]),
                         (made["servidor/servidor"], made["cliente/cliente"]))


class DirectCompile(Base):
    """No Makefile, or make failing for a reason that is not a compile error."""

    def test_no_makefile_c_and_cpp_with_helpers_and_headers(self):
        folder = self.submission({
            "server.cpp": '#include "common.hpp"\nint main() { return make_fifo("x"); }\n',
            "common.hpp": "int make_fifo(const char *path);\n",
            "common.cpp": ('#include <sys/stat.h>\n#include "common.hpp"\n'
                           "int make_fifo(const char *p) { return mkfifo(p, 0666); }\n"),
            "client/client.c": FIFO_CLIENT_C,
        })
        manifest, made, log = self.assertBuilds(folder)
        self.assertEqual(manifest["lab"], "fifo")
        self.assertEqual(list(made), ["client/client", "server"])
        self.assertIn("no Makefile: compiling each source with a main() directly", log)
        self.assertIn("g++ -O1 -w -std=gnu++17", log)
        self.assertIn("gcc -O1 -w -I client -I . -o client/client -x c client/client.c", log)

    def test_make_syntax_error_falls_back(self):
        for name, makefile, says in (
                ("separator", "pool: pool.c\n    gcc -o pool pool.c\n", "missing separator"),
                ("pattern", "pool: pool.c: x\n\tgcc -o pool pool.c\n",
                 "target pattern contains no '%'")):
            with self.subTest(error=name):
                folder = self.submission({"pool.c": POOL_C, "Makefile": makefile}, name=name)
                _, made, log = self.assertBuilds(folder)
                self.assertIn(says, log)
                self.assertIn("make failed without a compile error", log)
                self.assertEqual(list(made), ["pool"])

    def test_recipe_writing_into_a_missing_bin_folder_falls_back(self):
        folder = self.submission({
            "pool.c": POOL_C,
            "Makefile": "bin/pool: pool.c\n\tgcc -o bin/pool pool.c\n",
        })
        _, made, log = self.assertBuilds(folder)
        self.assertIn("cannot open output file bin/pool", log)
        self.assertEqual(list(made), ["pool"])

    def test_make_failing_after_the_compile_keeps_its_programs(self):
        folder = self.submission({
            "pool.c": POOL_C,
            "log": "a file where the Makefile wants a folder\n",
            "Makefile": ("all: pool_by_make\n\tmkdir log\n"
                         "pool_by_make: pool.c\n\tgcc -o $@ pool.c\n"),
        })
        _, made, log = self.assertBuilds(folder)
        self.assertEqual(list(made), ["pool_by_make"])  # no direct compile: make's program
        self.assertIn("mkdir: cannot create directory", log)

    def test_make_that_cannot_start_falls_back(self):
        folder = self.submission({
            "pool.c": POOL_C,
            "Makefile": "CC = no-such-compiler-here\npool: pool.c\n\t$(CC) -o pool pool.c\n",
        })
        _, made, _ = self.assertBuilds(folder)
        self.assertEqual(list(made), ["pool"])

    def test_zero_byte_source(self):
        folder = self.submission({"pool.c": POOL_C, "empty.c": "", "vacio.cpp": ""})
        _, made, _ = self.assertBuilds(folder)
        self.assertEqual(list(made), ["pool"])
        only = self.submission({"empty.c": ""}, name="only_empty")
        with self.assertRaisesRegex(S.SubmissionError, r"cannot tell the lab \(no source file "
                                                       r"has a main\(\)\)"):
            S.load(only)
        _, ok, log, made = self.build(only, lab="process_pool")
        self.assertFalse(ok)
        self.assertEqual(made, {})
        self.assertEqual(build_failure(log, made),
                         "the build made no program; it printed: no source file has a main()")

    def test_make_building_one_of_two_programs_gets_the_other_compiled(self):
        folder = self.submission({
            "server.c": FIFO_SERVER_C,
            "client.c": FIFO_CLIENT_C,
            "Makefile": "server: server.c\n\tgcc -o server server.c\n"
                        "client: client.c\n\tgcc -o client client.c\n",
        })
        manifest, made, log = self.assertBuilds(folder)
        self.assertEqual(list(made), ["client", "server"])
        self.assertIn("needs two programs and make made server", log)

    def test_manifest_build_command(self):
        folder = self.submission({
            "pool.c": POOL_C,
            "grade.toml": 'build = "mkdir out && gcc -o out/p pool.c"\n',
        })
        _, made, log = self.assertBuilds(folder)
        self.assertEqual(list(made), ["out/p"])


class Deadline(Base):
    """A build that runs too long is stopped, with whatever it left running."""

    def test_build_that_runs_too_long_is_stopped_with_what_it_left_running(self):
        marker = "73.25"  # sleep's argument: how this test finds the processes it started
        folder = self.submission({
            "pool.c": POOL_C,
            "Makefile": f"pool: pool.c\n\tgcc -o pool pool.c\n\tsleep {marker} &\n",
        })
        start = time.monotonic()
        _, made, _ = self.assertBuilds(folder)  # make ends; its background sleep is killed
        self.assertLess(time.monotonic() - start, 20)
        self.assertEqual(self.sleepers(marker), [])
        slow = self.submission({"pool.c": POOL_C, "Makefile": f"pool:\n\tsleep {marker}\n"},
                               name="slow")
        saved, B.BUILD_TIMEOUT_S = B.BUILD_TIMEOUT_S, 2
        try:
            start = time.monotonic()
            _, ok, log, made = self.build(slow)
        finally:
            B.BUILD_TIMEOUT_S = saved
        self.assertLess(time.monotonic() - start, 20)
        self.assertFalse(ok)
        self.assertEqual(build_failure(log, made), "the build ran longer than 2 s")
        self.assertEqual(self.sleepers(marker), [])

    @staticmethod
    def sleepers(marker):
        """The sleeps of this test still running, a few seconds after the build (SIGKILL takes
        effect when the killed process is next scheduled)."""
        for _ in range(50):
            found = []
            for pid in filter(str.isdigit, os.listdir("/proc")):
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        if f.read().split(b"\0")[:2] == [b"sleep", marker.encode()]:
                            found.append(pid)
                except OSError:
                    continue
            if not found:
                break
            time.sleep(0.1)
        return found


class NotAsRoot(Base):
    """As root, the build's commands run as an unprivileged uid: what they write, kill or leave
    running is that uid's."""

    def setUp(self):
        super().setUp()
        if os.geteuid() != 0:
            self.skipTest("not root: the build runs as the grader's own user, as it always did")

    def read(self, name):
        with open(os.path.join(self.build_dir, name)) as f:
            return f.read()

    def test_the_build_runs_as_an_unprivileged_uid_with_limits(self):
        folder = self.submission({
            "pool.c": POOL_C,
            "Makefile": ("pool: pool.c\n\tid -u > uid.txt\n\tid -G > groups.txt\n"
                         "\techo \"$$HOME\" > home.txt\n\tcat /proc/self/limits > limits.txt\n"
                         "\tgcc -o pool pool.c\n"),
        })
        _, made, log = self.assertBuilds(folder)
        uid = int(self.read("uid.txt"))
        self.assertNotEqual(uid, 0)
        self.assertGreaterEqual(uid, runner.UID_BASE)
        self.assertEqual(self.read("groups.txt").split(), [str(uid)])  # no supplementary group
        self.assertEqual(self.read("home.txt").strip(), os.path.abspath(self.build_dir))
        limits = self.read("limits.txt")
        for row in (r"Max processes +256 +256", r"Max file size +268435456 +268435456",
                    r"Max cpu time +120 +120"):
            self.assertRegex(limits, row)
        st = os.stat(made["pool"])  # taken back by the grader, open to the runs
        self.assertEqual((st.st_uid, st.st_mode & 0o555), (0, 0o555))

    def test_what_the_build_leaves_running_in_a_session_of_its_own_is_killed(self):
        marker = "73.75"
        folder = self.submission({
            "pool.c": POOL_C,
            "Makefile": (f"pool: pool.c\n\tgcc -o pool pool.c\n"
                         f"\tsetsid sleep {marker} > /dev/null 2>&1 &\n"),
        })
        self.assertBuilds(folder)
        self.assertEqual(Deadline.sleepers(marker), [])

    def test_absolute_paths_into_the_copy_when_the_folders_above_let_others_through(self):
        os.chmod(self.tmp, 0o711)  # as grade.py makes its build folder's parent
        if not build_user._reachable(self.tmp):
            self.skipTest(f"{self.tmp}: a folder above does not let other users through")
        makefile = "pool: pool.c\n\tgcc -o $(CURDIR)/pool $(CURDIR)/pool.c\n"
        made = self.assertBuilds(self.submission({"pool.c": POOL_C, "Makefile": makefile}))[1]
        self.assertEqual(list(made), ["pool"])


class OutsideItsFolder(Base):
    """A build cannot write outside its folder (as root: not even where root could)."""

    PROBE = "/etc/ipcconf_build_probe"

    def test_the_build_cannot_write_outside_its_folder(self):
        def remove_probe():
            if os.path.lexists(self.PROBE):
                os.unlink(self.PROBE)
        remove_probe()
        self.addCleanup(remove_probe)
        folder = self.submission({"pool.c": POOL_C})
        with open(os.path.join(folder, "Makefile"), "w") as f:
            f.write(f"pool: pool.c\n\t-touch {self.PROBE}\n\t-touch {folder}/written\n"
                    "\tgcc -o pool pool.c\n")
        _, made, log = self.assertBuilds(folder)
        exists = os.path.lexists(self.PROBE)
        remove_probe()
        self.assertFalse(exists, log)
        self.assertIn(f"touch: cannot touch '{self.PROBE}': Permission denied", log)
        if os.geteuid() == 0:  # as another user, the grader's own folders are out of reach too
            self.assertFalse(os.path.lexists(os.path.join(folder, "written")), log)


class OddFiles(Base):
    """Never a traceback: a build that ignores the oddity."""

    def test_odd_files_in_the_folder(self):
        folder = self.submission({
            "pool.c": POOL_C,
            "junk.c": bytes(range(256)) * 64,
            "junk.h": b"\xff\xfe\x00#include \"junk.h\"\n" * 100,
            "Makefile": "pool: pool.c\n\tgcc -o pool pool.c\n",
        })
        os.symlink("does-not-exist.c", os.path.join(folder, "dangling.c"))
        os.symlink(".", os.path.join(folder, "loop"))
        os.mkfifo(os.path.join(folder, "canal.fifo"))
        with open(os.path.join(folder, "big.dat"), "wb") as f:
            f.truncate(B._COPY_LIMIT + 1)
        with open(os.path.join(os.fsencode(folder), b"caf\xe9.c"), "w") as f:
            f.write("int cafe(void) { return 0; }\n")
        os.chmod(os.path.join(folder, "Makefile"), 0o644)
        secret = os.path.join(self.tmp, "secret.txt")
        with open(secret, "w") as f:
            f.write("not for students\n")
        os.chmod(secret, 0o600)
        os.symlink(secret, os.path.join(folder, "secret.txt"))
        unreadable = os.path.join(folder, "unreadable.c")
        with open(unreadable, "w") as f:
            f.write("int x;\n")
        os.chmod(unreadable, 0)
        manifest, made, log = self.assertBuilds(folder)
        self.assertEqual(manifest["lab"], "process_pool")
        self.assertEqual(list(made), ["pool"])
        for absent in ("canal.fifo", "big.dat", "secret.txt", "dangling.c"):
            self.assertFalse(os.path.lexists(os.path.join(self.build_dir, absent)), absent)
        self.assertIn("not copied (larger than", log)
        self.assertFalse(os.path.lexists(os.path.join(self.build_dir, "loop", "loop")))


if __name__ == "__main__":
    unittest_junit.main()
