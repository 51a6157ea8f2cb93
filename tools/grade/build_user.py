"""Who runs a build's commands: as root, never root.

A student's Makefile (or the manifest's `build`) is a program like any other. When the grader
runs as root, every command of the build (make, a direct gcc/g++, the manifest's command) runs
as an unprivileged uid of the runs' scheme (runner._claim_uid: 61000 + 2k, held by no other
build or run while claimed), with no supplementary groups, RLIMIT_NPROC, RLIMIT_FSIZE and
RLIMIT_CPU, HOME the build folder and a TMPDIR of its own. The copy belongs to that uid while it
builds; afterwards every process of the uid is killed (a `setsid` does not escape) and the copy
is taken back by the grader, so what runs as root later (finding the programs, opening them to
the runs) never meets a process of the build. When the grader is not root, it builds as itself.
"""

import os
import resource
import shutil
import stat
import subprocess
import tempfile
import time

import runner
from sources import show

_LIMITS = ((resource.RLIMIT_NPROC, 256), (resource.RLIMIT_FSIZE, 256 << 20),
           (resource.RLIMIT_CPU, 120))


def _limits():
    """In the child, after it became the uid: the build's limits (never above the grader's)."""
    for what, value in _LIMITS:
        hard = resource.getrlimit(what)[1]
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(what, (value, value))


def _reachable(path):
    """Whether every folder from / to path lets other users through."""
    path = os.path.realpath(path)
    while True:
        try:
            if not os.stat(path).st_mode & stat.S_IXOTH:
                return False
        except OSError:
            return False
        if path == os.path.dirname(path):
            return True
        path = os.path.dirname(path)


def _running(uid):
    """The processes whose real uid is uid, zombies aside."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/status", encoding="utf-8", errors="replace") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
        except OSError:
            continue
        if fields.get("Uid", "").split()[:1] == [str(uid)] and \
                not fields.get("State", "").strip().startswith("Z"):
            found.append(int(pid))
    return found


class BuildUser:
    """The unprivileged uid of one build, claimed and given the copy (raises RuntimeError when
    it cannot be: no free uid, or the uid does not exist here, as in a user namespace that maps
    root alone). Call release() when the build is over."""

    def __init__(self, build_dir):
        self.build_dir = build_dir
        self.uid, self._claim = runner._claim_uid()
        self.tmp = None
        try:
            base = tempfile.gettempdir()
            self.tmp = tempfile.mkdtemp(prefix="grade-build-tmp-",
                                        dir=base if _reachable(base) else "/tmp")
            self._give(self.tmp)  # first: when the uid does not exist here, nothing else moved
            self._give(build_dir)
        except OSError as e:
            self._take_back(None, remove=False)
            self._free()
            raise RuntimeError(f"cannot build as uid {self.uid}: {e}") from None

    def _give(self, top):
        """top and all in it owned by the uid, which may read and write it as root could."""
        for root, dirs, files in os.walk(top):
            for name in dirs + files + ([""] if root == top else []):
                path = os.path.join(root, name) if name else root
                st = os.lstat(path)
                os.lchown(path, self.uid, self.uid)
                if stat.S_ISDIR(st.st_mode):
                    os.chmod(path, stat.S_IMODE(st.st_mode) | 0o700)
                elif stat.S_ISREG(st.st_mode):
                    os.chmod(path, stat.S_IMODE(st.st_mode) | 0o600)

    def popen(self, env):
        """What subprocess.Popen needs to start a command of the build as the uid."""
        env = dict(env, HOME=os.path.abspath(self.build_dir), TMPDIR=self.tmp)
        return {"env": env, "user": self.uid, "group": self.uid, "extra_groups": [],
                "preexec_fn": _limits}

    def release(self, log):
        """Kills what the uid still runs, takes the copy back, frees the uid."""
        for _ in range(50):  # kill(-1) as the uid: every process of it but the killer
            if not _running(self.uid):
                break
            subprocess.run(["/bin/sh", "-c", "kill -9 -1"], user=self.uid, group=self.uid,
                           extra_groups=[], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=False)
            time.sleep(0.02)
        self._take_back(log)
        self._free()

    def _free(self):
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
        self._claim.close()

    def _take_back(self, log, remove=True):
        """The copy owned by the grader again; what the build left there that is not the uid's
        (a hard link to another user's file) is removed."""
        top = self.build_dir
        for root, dirs, files in os.walk(top):
            for name in dirs + files + ([""] if root == top else []):
                path = os.path.join(root, name) if name else root
                try:
                    st = os.lstat(path)
                    if remove and st.st_uid != self.uid and not stat.S_ISDIR(st.st_mode):
                        os.unlink(path)
                        log.note(f"removed {show(os.path.relpath(path, top))}: a link to a "
                                 f"file the build does not own")
                        continue
                    os.lchown(path, os.geteuid(), os.getegid())
                except OSError:
                    continue
