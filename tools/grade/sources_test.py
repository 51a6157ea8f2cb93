"""tools/grade/sources.py: the lab of each program of a tiny submission, from what its sources call.

A program is a source with a main() and the local headers it includes (quoted, found as
-I would); nothing is compiled or run here.

    python3 tools/grade/sources_test.py
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import unittest_junit  # noqa: E402  (cases counted one by one under Bazel)
import sources  # noqa: E402
from submission_testlib import (FIFO_CLIENT_C, FIFO_SERVER_C, POOL_C, SHM_CLIENT_C,  # noqa: E402
                                SHM_SERVER_C, Base)


class LabDetection(Base):
    """Each program (a source with a main() and the local headers it includes) has a lab."""

    def lab(self, files, name="alumno"):
        """The one lab of the folder's programs (what submission.detect_lab then says)."""
        programs = sources.Tree(self.submission(files, name=name)).programs()
        labs = {p["lab"] for p in programs.values()} - {None}
        self.assertEqual(len(labs), 1, programs)
        return labs.pop()

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


    def test_all_source_suffixes(self):
        for suffix in sources.SOURCE_SUFFIXES:
            with self.subTest(suffix=suffix):
                self.assertEqual(self.lab({"p" + suffix: POOL_C}, name="s" + suffix.strip(".+")
                                          + str(len(suffix))), "process_pool")


if __name__ == "__main__":
    unittest_junit.main()
