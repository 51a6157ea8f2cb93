"""What the tests of a submission's build and detection share: tiny submissions written the way
real ones look (committed binaries, odd Makefile spellings, logic in headers...), compiled with
gcc/g++ from the host, and a TestCase that writes, loads and builds them. Nothing built by the
tests is ever run.
"""

import os
import shutil
import subprocess
import tempfile
import unittest

import build as B
import submission as S

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
        ok, log, made = B.build(folder, manifest, build_dir)
        self.build_dir = build_dir
        return manifest, ok, log, made

    def assertBuilds(self, folder, lab=None):
        manifest, ok, log, made = self.build(folder, lab)
        self.assertTrue(ok, log)
        return manifest, made, log
