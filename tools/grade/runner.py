"""Runs one scenario of a lab in grade_sandbox and returns what it observed.

Each run gets a fresh copy of the build folder as its working directory, a log file for the
observing preload library, and (as root) its own unprivileged uid. FIFOs a run leaves behind
are reported and removed.
"""

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field


@dataclass
class Tools:
    sandbox: str
    observer: str
    warp: int = 100          # sleeps divided by this (0: real time)
    bound_ms: int = 4000     # how long something that should happen may take


@dataclass
class Run:
    report: dict
    log: list                # the preload's lines, split in fields
    leftover_fifos: list = field(default_factory=list)

    def program(self, role):
        for p in self.report.get("programs", []):
            if p["role"] == role:
                return p
        return {"role": role, "ended": False, "stdout": "", "stderr": "", "hang": "never started"}

    @property
    def scenario(self):
        return self.report.get("scenario", {})


class Interrupted(Exception):
    """The grading was interrupted (Ctrl-C in a batch): what ran was killed, and nothing the
    submission did is judged from it."""


# Set by interrupt(); every program the grader starts goes through start() and is killed then.
interrupted = threading.Event()
_live = set()
_live_lock = threading.Lock()


def start(command, **popen):
    """A process of the grader's (the sandbox, a build command) in a session of its own: a
    terminal's Ctrl-C reaches the grader alone, which kills it through interrupt()."""
    with _live_lock:
        if interrupted.is_set():
            raise Interrupted()
        child = subprocess.Popen(command, start_new_session=True, **popen)
        _live.add(child)
    return child


def forget(child):
    with _live_lock:
        _live.discard(child)


def interrupt():
    """Stops the grading: every live process group of start() gets SIGKILL. A sandbox killed
    ends its PID namespace (its init dies with it) and so its IPC namespace and private /tmp;
    its run folder is removed by its caller."""
    with _live_lock:
        interrupted.set()
        for child in _live:
            try:
                os.killpg(child.pid, signal.SIGKILL)
            except OSError:
                pass


# How the last run was contained (the same for every run of a machine): said in the report.
last_containment = ""


UID_BASE, UID_PAIRS = 61000, 2000


def _claim_uid():
    """(uid, claim): a uid no other run holds until claim is closed.

    RLIMIT_NPROC counts per uid: runs sharing one (batch threads, two graders) would let a
    fork bomb in one stop the forks of another. The claim is an abstract Unix socket named
    after the uid: exclusive on the machine, gone when its holder ends, no file left.
    Even numbers; the shm client runs as uid + 1.
    """
    start = (os.getpid() * 7 + threading.get_ident()) % UID_PAIRS
    for i in range(UID_PAIRS):
        uid = UID_BASE + 2 * ((start + i) % UID_PAIRS)
        claim = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            claim.bind(f"\0ipcconf-grade-uid-{uid}")
            return uid, claim
        except OSError:
            claim.close()
    raise RuntimeError(f"all {UID_PAIRS} grading uids are in use")


def run_scenario(tools, build_dir, scenario, main, args=(), client=None, client_args=(),
                 stdin_text=None, lines=None, eof=False, client_other_uid=False, children=None,
                 tasks=None, bound_ms=None):
    """Runs `scenario` of grade_sandbox (run, pool, pair) on a fresh copy of build_dir."""
    scratch = tempfile.mkdtemp(prefix="grade-run-")
    claim = None
    try:
        workdir = os.path.join(scratch, "run")
        shutil.copytree(build_dir, workdir, symlinks=True)
        log = os.path.join(scratch, "observer.log")
        open(log, "w").close()
        os.chmod(log, 0o666)
        # The unprivileged uid cannot reach a library in the builder's home: a readable copy.
        observer = shutil.copy(tools.observer, os.path.join(scratch, "observer.so"))
        os.chmod(observer, 0o755)
        os.chmod(scratch, 0o755)
        command = [tools.sandbox, "--scenario", scenario, "--workdir", workdir,
                   "--report", os.path.join(scratch, "report.json"), "--log", log,
                   "--preload", observer, "--warp", str(tools.warp),
                   "--bound", str(bound_ms or tools.bound_ms), "--main", _inside(main, build_dir, workdir)]
        if os.geteuid() == 0:
            uid, claim = _claim_uid()
            command += ["--uid", str(uid)]
            for root, dirs, files in os.walk(workdir):
                for name in dirs + files + ["."]:
                    os.lchown(os.path.join(root, name), uid, uid)
            os.chmod(workdir, 0o777)
        for a in args:
            command += ["--arg", a]
        if client:
            command += ["--client", _inside(client, build_dir, workdir)]
            for a in client_args:
                command += ["--client-arg", a]
            if client_other_uid:
                command += ["--client-other-uid", "1"]
        for flag, text in (("--stdin", stdin_text), ("--lines", lines)):
            if text is not None:
                path = os.path.join(scratch, flag.strip("-") + ".txt")
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
                os.chmod(path, 0o644)
                command += [flag, path]
        if eof:
            command += ["--eof", "1"]
        if children is not None:
            command += ["--children", str(children)]
        if tasks:
            command += ["--tasks", ",".join(str(t) for t in tasks)]
        # Above the sandbox's own wall bound (20 bounds on a loaded machine, see main.cc).
        child = start(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                      stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace")
        try:
            _, stderr = child.communicate(timeout=60 + tools.bound_ms * 25 // 1000)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.communicate()
            raise
        finally:
            forget(child)
        if interrupted.is_set():
            raise Interrupted()
        try:
            with open(os.path.join(scratch, "report.json"), encoding="utf-8") as f:
                report = json.load(f)
        except (OSError, ValueError):
            report = {"error": f"the sandbox failed (exit {child.returncode}): {stderr.strip()}"}
        with open(log, encoding="utf-8", errors="replace") as f:
            lines_ = [line.split(" ", 6) for line in f.read().splitlines() if line]
        # Only root can give the second program a uid of its own; otherwise both run as the
        # grader's user, and a check that needs "another user" must not pretend it had one.
        report["client_other_uid"] = bool(client_other_uid and os.geteuid() == 0)
        for p in report.get("programs", []):  # which file each role ran, for the reasons
            p["path"] = client if p.get("role") == "client" else main
        leftovers = _remove_fifos(workdir)
        global last_containment
        last_containment = report.get("containment", last_containment)
        return Run(report, lines_, leftovers)
    finally:
        if claim:
            claim.close()
        shutil.rmtree(scratch, ignore_errors=True)


def _inside(program, build_dir, workdir):
    """The path of a built program in the run's copy of the build folder."""
    return os.path.join(workdir, os.path.relpath(program, build_dir))


def _remove_fifos(workdir):
    """FIFOs left under the run folder: reported, then removed. (/tmp is the run's own.)"""
    found = []
    candidates = [os.path.join(root, n) for root, dirs, files in os.walk(workdir)
                  for n in files + dirs]
    for path in candidates:
        try:
            if stat.S_ISFIFO(os.lstat(path).st_mode):
                found.append(os.path.relpath(path, workdir) if path.startswith(workdir) else path)
                os.unlink(path)
        except OSError:
            pass
    return found
