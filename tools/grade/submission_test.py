"""tools/grade/submission.py: builds and lab detection on tiny submissions compiled with gcc/g++.

Each test writes a submission in a temporary folder, the way real ones look (committed
binaries, odd Makefile spellings, logic in headers...), then loads, builds and picks its
programs. Nothing built here is ever run.

    python3 tools/grade/submission_test.py
"""

import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import submission as S  # noqa: E402

POOL_C = r"""
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>
int main(int argc, char *argv[]) {
  int fd[2];
  if (pipe(fd) < 0) return 1;
  pid_t p = fork();
  if (p == 0) { close(fd[1]); return 0; }
  close(fd[0]); close(fd[1]);
  waitpid(p, NULL, 0);
  puts("BUILT_FROM_SOURCE");
  return 0;
}
"""

FIFO_SERVER_C = r"""
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
int main(int argc, char *argv[]) {
  mkfifo(argv[1], 0666);
  int fd = open(argv[1], O_RDONLY);
  char buf[128];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) fwrite(buf, 1, n, stdout);
  close(fd);
  unlink(argv[1]);
  return 0;
}
"""

FIFO_CLIENT_C = r"""
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char *argv[]) {
  int fd = open(argv[1], O_WRONLY);
  char line[128];
  while (fgets(line, sizeof line, stdin) && strcmp(line, "quit\n") != 0)
    write(fd, line, strlen(line));
  close(fd);
  return 0;
}
"""

SHM_SERVER_C = r"""
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/shm.h>
int main(void) {
  int id = shmget(ftok(".", 'a'), 4096, IPC_CREAT | IPC_EXCL | 0666);
  char *p = (char *)shmat(id, NULL, 0);
  if (fgets(p, 4096, stdin) == NULL) p[0] = 0;
  shmdt(p);
  return 0;
}
"""

SHM_CLIENT_C = r"""
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/shm.h>
int main(void) {
  int id = shmget(ftok(".", 'a'), 4096, 0);
  char *p = (char *)shmat(id, NULL, 0);
  fputs(p, stdout);
  shmdt(p);
  shmctl(id, IPC_RMID, NULL);
  return 0;
}
"""


def compile_elf(path, source=r'int main(void) { return 0; }', extra=()):
    """A real ELF file at path (a program, or what `extra` flags make), compiled here."""
    scratch = tempfile.mkdtemp()
    try:
        src = os.path.join(scratch, "x.c")
        with open(src, "w") as f:
            f.write(source)
        subprocess.run(["gcc", "-w", *extra, "-o", path, src], check=True)
    finally:
        shutil.rmtree(scratch)


class Base(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="submission-test-", dir=os.environ.get("TEST_TMPDIR"))
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.n = 0

    def submission(self, files, name="alumno"):
        """A submission folder from {relpath: text or bytes}."""
        folder = os.path.join(self.tmp, name)
        os.makedirs(folder, exist_ok=True)
        for rel, content in files.items():
            path = os.path.join(folder, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(content.encode() if isinstance(content, str) else content)
        return folder

    def build(self, folder, lab=None, manifest=None):
        """(manifest, ok, log, made) of a build of folder in a fresh build folder."""
        manifest = manifest or S.load(folder, lab)
        self.n += 1
        build_dir = os.path.join(self.tmp, f"build{self.n}", os.path.basename(folder))
        ok, log, made = S.build(folder, manifest, build_dir)
        self.build_dir = build_dir
        return manifest, ok, log, made

    def assertBuilds(self, folder, lab=None):
        manifest, ok, log, made = self.build(folder, lab)
        self.assertTrue(ok, log)
        return manifest, made, log


class CommittedBinaries(Base):
    """1. Compiled files the submission carries are removed from the copy, then rebuilt."""

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
    """2. Makefile, makefile, GNUmakefile: plain make; MakeFile, Makefile.txt: make -f;
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
    """3. No Makefile, or make failing for a reason that is not a compile error."""

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
        self.assertEqual(S.build_failure(log, made),
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


class BuildErrors(Base):
    """4 and 5. What the student is told when the build fails or makes no program."""

    def test_compile_error_shows_the_error_with_its_context_in_utf8(self):
        folder = self.submission({
            "pool.c": POOL_C,
            "otro.c": ('#include <stdio.h>\nint main(void) {\n'
                       '  puts("canción ñandú")\n  return 0;\n}\n'),
            "Makefile": "all: pool otro\npool: pool.c\n\tgcc -o pool pool.c\n"
                        "otro: otro.c\n\tgcc -o otro otro.c\n",
        })
        _, ok, log, made = self.build(folder)
        self.assertFalse(ok)  # a compile error: never graded, even though pool was made
        reason = S.build_failure(log, made)
        lines = reason.splitlines()
        self.assertRegex(lines[0], r"^does not compile: otro\.c: In function|"
                                   r"^does not compile: otro\.c:3:\d+: error: ")
        self.assertRegex(reason, r"otro\.c:3:\d+: error: expected ‘;’")
        self.assertIn('puts("canción ñandú")', reason)
        self.assertTrue(any(l.strip().startswith("|") and "^" in l for l in lines), reason)
        self.assertNotIn("\ufffd", reason)
        self.assertNotIn("made no program", reason)
        self.assertLessEqual(len(lines), S.ERROR_LINES)

    def test_link_error_shows_undefined_reference(self):
        folder = self.submission({
            "pool.c": POOL_C.replace('puts("BUILT_FROM_SOURCE");', "helper();").replace(
                "#include <stdio.h>", "#include <stdio.h>\nvoid helper(void);"),
        })
        _, ok, log, made = self.build(folder)
        self.assertFalse(ok)
        reason = S.build_failure(log, made)
        self.assertTrue(reason.startswith("does not compile: "), reason)
        self.assertIn("undefined reference to `helper'", reason)
        self.assertIn("in function `main'", reason)

    def test_make_error_shown_when_nothing_can_be_compiled(self):
        folder = self.submission({
            "helper.c": "int helper(void) { return 1; }\n",
            "pool.c": POOL_C,
            "Makefile": "pool: pool.c\n    gcc -o pool pool.c\n",
        })
        os.unlink(os.path.join(folder, "pool.c"))
        manifest = {"lab": "process_pool", "binaries": {}, "args": {}, "children": 3,
                    "fifo_path": "lab.fifo"}
        _, ok, log, made = self.build(folder, manifest=manifest)
        self.assertFalse(ok)
        self.assertEqual(S.build_failure(log, made),
                         "does not build: Makefile:2: *** missing separator.  Stop.")

    def test_made_no_program_says_what_the_build_printed(self):
        folder = self.submission({"pool.c": POOL_C, "Makefile": "all:\n"})
        _, ok, log, made = self.build(folder)
        self.assertFalse(ok)
        reason = S.build_failure(log, made)
        self.assertEqual(reason, "the build made no program; it printed: "
                                 "make: Nothing to be done for 'all'.")
        self.assertEqual(reason.zh, "编译没有生成任何程序；它输出了："
                                    "make: Nothing to be done for 'all'.")

    def test_reasons_in_chinese_quote_the_same_errors(self):
        folder = self.submission({"pool.c": POOL_C.replace("return 0;\n}", "return 0\n}")})
        _, ok, log, made = self.build(folder)
        self.assertFalse(ok)
        reason = S.build_failure(log, made)
        self.assertTrue(reason.startswith("does not compile: pool.c:"), reason)
        self.assertEqual(reason.zh, "无法编译：" + reason[len("does not compile: "):])

    def test_first_errors_is_bounded(self):
        log = "\n".join(f"x.c:{i}:1: error: bad thing {i}\n    {i} | code\n      | ^" for i in
                        range(1, 40))
        self.assertLessEqual(len(S.first_errors(log).splitlines()), S.ERROR_LINES)
        self.assertTrue(S.first_errors(log).startswith("x.c:1:1: error: bad thing 1"))

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
        saved, S.BUILD_TIMEOUT_S = S.BUILD_TIMEOUT_S, 2
        try:
            start = time.monotonic()
            _, ok, log, made = self.build(slow)
        finally:
            S.BUILD_TIMEOUT_S = saved
        self.assertLess(time.monotonic() - start, 20)
        self.assertFalse(ok)
        self.assertEqual(S.build_failure(log, made), "the build ran longer than 2 s")
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


class LabDetection(Base):
    """6. Each program (a source with a main() and the local headers it includes) has a lab."""

    def lab(self, files, name="alumno"):
        return S.detect_lab(self.submission(files, name=name))

    def test_logic_in_headers(self):
        for lab, header, code in (
                ("fifo", "Comm.hpp",
                 "#include <sys/stat.h>\ninline int Open(const char *p) "
                 "{ return mkfifo(p, 0666); }\n"),
                ("process_pool", "processpool.hpp",
                 '#include "task.hpp"\n#include <unistd.h>\n'
                 "inline void Start() { int fd[2]; pipe(fd); if (fork() == 0) Work(fd[0]); }\n"),
                ("shm", "shm.hh",
                 "#include <sys/shm.h>\ninline int Get() { return shmget(1, 4096, 0666); }\n")):
            with self.subTest(lab=lab):
                files = {
                    "src/main.cc": f'#include "{header}"\nint main() {{ return 0; }}\n',
                    f"include/{header}": code,  # reached as -Iinclude would
                    "include/task.hpp": "inline void Work(int fd) {}\n",
                }
                self.assertEqual(self.lab(files, name=lab), lab)

    def test_transitive_include_and_implementing_source(self):
        self.assertEqual(self.lab({
            "server.cpp": '#include "ipc/channel.h"\nint main() { return 0; }\n',
            "ipc/channel.h": '#include "segment.h"\n',
            "ipc/segment.h": "int Attach();\n",
            "ipc/segment.cpp": "#include <sys/shm.h>\nint Attach() { return shmget(1, 1, 0); }\n",
        }), "shm")

    def test_shm_with_a_fifo_for_data_ready_is_shm(self):
        self.assertEqual(self.lab({
            "shm_server.c": SHM_SERVER_C.replace("shmdt(p);", 'mkfifo("ready", 0600);shmdt(p);'),
            "shm_client.c": SHM_CLIENT_C.replace("shmdt(p);", 'open("ready", 0);shmdt(p);'),
        }), "shm")

    def test_fifo_client_with_only_open_does_not_count(self):
        self.assertEqual(self.lab({"servidor.c": FIFO_SERVER_C, "cliente.c": FIFO_CLIENT_C}),
                         "fifo")

    def test_comments_and_strings_do_not_count(self):
        self.assertEqual(self.lab({
            "pool.c": POOL_C.replace("return 0;\n}", '/* shmget( */ puts("mkfifo(");\n'
                                                      "  // mkfifo(x)\n  return 0;\n}"),
        }), "process_pool")

    def test_two_labs(self):
        folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                              "fixtures", "submissions", "bad_two_labs")
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

    def test_all_source_suffixes(self):
        for suffix in S.SOURCE_SUFFIXES:
            with self.subTest(suffix=suffix):
                self.assertEqual(self.lab({"p" + suffix: POOL_C}, name="s" + suffix.strip(".+")
                                          + str(len(suffix))), "process_pool")

    def test_only_compiled_programs(self):
        folder = self.submission({"README.txt": "mi programa\n"})
        compile_elf(os.path.join(folder, "server"))
        with self.assertRaisesRegex(S.SubmissionError,
                                    r"no source files \(.*\) \(only compiled programs, which are "
                                    r"not graded: hand in the sources\): server$"):
            S.load(folder)


class PickBinaries(Base):
    """7. Every program, with a best guess of the roles; an error only for too few."""

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
    """8. grade.toml is optional and, when there, wins."""

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
    """9. Never a traceback: one SubmissionError line, or a build that ignores the oddity."""

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
            f.truncate(S._COPY_LIMIT + 1)
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

    def test_junk_only_and_direct_compile_of_junk(self):
        folder = self.submission({"junk.c": b"\x00\x01int main(){\xff\xfe" * 1000})
        with self.assertRaisesRegex(S.SubmissionError, "cannot tell the lab"):
            S.load(folder)
        _, ok, log, made = self.build(folder, lab="fifo")
        self.assertFalse(ok)
        reason = S.build_failure(log, made)
        self.assertTrue(reason.startswith("does not compile: junk.c:1:"), reason)
        width = 200 + len("does not compile: ")
        self.assertLessEqual(max(len(l) for l in reason.splitlines()), width)

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
    unittest.main()
