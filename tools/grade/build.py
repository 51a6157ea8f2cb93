"""The build of a submission, in a copy.

Compiled files the submission carries (ELF programs, .o, .a, .so, also Mach-O and PE programs)
are removed from the copy first, so the programs graded are always built from the sources. Then
the manifest's `build` command, or `make` (a Makefile of any spelling, at the top or in
sub-folders), or, when there is none or make fails for a reason that is not a compile error,
each source with a main() compiled directly. The programs are the ELF executables found
anywhere in the copy afterwards. Nothing is executed to classify a file. As root, the build's
commands run as an unprivileged uid (build_user.py).
"""

import os
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import time

import runner
from build_errors import NO_MAIN, NO_PROGRAM, compiler_errors, last_lines, output_lines
from build_user import BuildUser
from sources import (HEADER_SUFFIXES, MAX_FILES, NEEDS_TWO, SKIPPED_DIRS, SOURCE_SUFFIXES, Tree,
                     built_programs, is_compiled, show, walk)

BUILD_TIMEOUT_S = 120

_COPY_LIMIT = 64 << 20  # a larger file is not copied into the build folder
_LOG_LIMIT = 1 << 20  # bytes of one build command's output kept
_C_SUFFIXES = (".c",)


def _copy(src, dst, log):
    os.makedirs(dst, exist_ok=True)
    for kind, rel, path, st in walk(src):
        target = os.path.join(dst, rel)
        try:
            if kind == "limit":
                log.note(f"not copied: the files after the first {MAX_FILES}")
            elif kind == "dir":
                os.makedirs(target, exist_ok=True)
            elif st.st_size > _COPY_LIMIT:
                log.note(f"not copied (larger than {_COPY_LIMIT >> 20} MiB): {show(rel)}")
            else:
                shutil.copyfile(path, target)
                shutil.copystat(path, target)
        except (OSError, shutil.Error) as e:
            log.note(f"not copied ({show(getattr(e, 'strerror', None) or e)}): {show(rel)}")


def _remove_compiled(build_dir):
    removed = []
    for root, dirs, names in os.walk(build_dir):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(root, name)
            rel = os.path.relpath(path, build_dir)
            try:
                if stat.S_ISREG(os.lstat(path).st_mode) and is_compiled(rel, path):
                    os.unlink(path)
                    removed.append(rel)
            except OSError:
                continue
    return removed


def _makefiles(build_dir):
    """[(folder, name)] of the Makefiles to run: the top folder's, else the top-most ones below.

    GNUmakefile, makefile and Makefile are what make reads by itself (name None: plain make);
    other spellings (MakeFile, MAKEFILE, Makefile.txt, makefile.mk...) are given with -f.
    """
    def rank(name):
        low = name.lower()
        if name.endswith(SOURCE_SUFFIXES + HEADER_SUFFIXES):
            return None
        if name in ("GNUmakefile", "makefile", "Makefile"):
            return 0
        if low in ("makefile", "gnumakefile"):
            return 1
        if re.fullmatch(r"(gnu)?makefile\.(txt|mk|make|mak|gnu|linux)", low):
            return 2
        if low.startswith(("makefile", "gnumakefile")) and not low.endswith(
                ("~", ".bak", ".old", ".orig", ".swp")):
            return 3
        return None

    found = {}
    for root, dirs, names in os.walk(build_dir):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
        rel = os.path.relpath(root, build_dir)
        best = min(((rank(n), n) for n in names
                    if rank(n) is not None and os.path.isfile(os.path.join(root, n))),
                   default=None)
        if best:
            found[rel] = None if best[0] == 0 else best[1]
    if "." in found:
        return [(".", found["."])]
    chosen = []
    for rel in sorted(found, key=lambda r: (r.count(os.sep), r)):
        if not any(rel.startswith(c + os.sep) for c, _ in chosen):
            chosen.append((rel, found[rel]))
    return chosen


class _Log:
    """What the build ran and printed, with the grader's notes (lines "[grade] ...")."""

    def __init__(self):
        self.parts = []

    def note(self, text):
        self.parts.append(f"[grade] {text}")

    def text(self):
        return "\n".join(self.parts) + "\n"


_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _run(command, cwd, deadline, log, shown, user):
    """Runs command (a list) in its own session, as user (a BuildUser, or None: as the grader);
    its output, stdout and stderr in order, goes to the log. Returns (exit status or None if it
    could not start or ran out of time, output). Whatever it left running is killed when it
    ends."""
    log.parts.append(f"$ {shown}")
    env = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8")
    for key in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEFILES", "GCC_COLORS"):
        env.pop(key, None)
    with tempfile.TemporaryFile() as out:
        try:
            child = runner.start(command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                                 stderr=subprocess.STDOUT,
                                 **(user.popen(env) if user else {"env": env}))
        except OSError as e:
            text = f"{show(command[0])}: cannot start: {e.strerror}"
            log.parts.append(text)
            return None, text
        status = None
        while True:  # waits without reaping, so the process group cannot be reused until killed
            try:
                info = os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            except ChildProcessError:
                info = True
            if info is not None or time.monotonic() > deadline or runner.interrupted.is_set():
                break
            time.sleep(0.01)
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except OSError:
            pass
        status = child.wait()
        runner.forget(child)
        if runner.interrupted.is_set():
            raise runner.Interrupted()
        if info is None:
            status = None
        out.seek(0)
        data = out.read(_LOG_LIMIT)
    text = _ANSI.sub("", data.decode("utf-8", "replace")).rstrip("\n")
    if text:
        log.parts.append(text)
    if info is None:
        log.note(f"stopped: the build ran longer than {BUILD_TIMEOUT_S} s")
    log.parts.append(f"[grade] exit status {status if status is not None else 'none'}")
    return status, text


def _compile_directly(build_dir, sources, deadline, log, user, taken):
    """Each source with a main() becomes a program named after it, next to it, with the other
    sources of its folder without a main(). Returns (all compiled, {relpath: path} made)."""
    tree = Tree(build_dir)
    mains = [m for m in tree.mains() if m in sources]
    ok, made = True, {}
    for main in mains:
        folder = os.path.dirname(main)
        parts = [main] + [s for s in tree.sources if s != main and os.path.dirname(s) == folder
                          and not tree.parsed(s).has_main]
        cxx = any(not p.endswith(_C_SUFFIXES) for p in parts)
        stem, suffix = os.path.splitext(main)
        out = stem
        if out in taken or os.path.lexists(os.path.join(build_dir, out)):
            out = f"{stem}_{suffix.lstrip('.').replace('+', 'x')}"
        taken.add(out)
        command = ["g++" if cxx else "gcc", "-O1", "-w"] + (["-std=gnu++17"] if cxx else [])
        command += (["-I", folder] if folder else []) + ["-I", ".", "-o", "./" + out if out.startswith("-") else out]
        for p in parts:  # "./" before a name that gcc would take for an option
            command += ["-x", "c" if p.endswith(_C_SUFFIXES) else "c++",
                        "./" + p if p.startswith("-") else p]
        command += ["-x", "none", "-lpthread"]
        status, _ = _run(command, build_dir, deadline, log, " ".join(show(c) for c in command),
                         user)
        if status != 0:
            ok = False
        elif os.path.isfile(os.path.join(build_dir, out)):
            made[out] = os.path.join(build_dir, out)
    return ok, made


def build(folder, manifest, build_dir):
    """Builds a copy of folder in build_dir.

    Returns (ok, log, made): ok when the build succeeded (or failed after making programs, for
    a reason that is not a compile error) and made at least one program; log, what it ran and
    printed (UTF-8, for first_errors and build_failure); made, {relpath in build_dir: absolute
    path} of every ELF program in the copy afterwards, sorted by relpath.
    """
    log = _Log()
    deadline = time.monotonic() + BUILD_TIMEOUT_S
    _copy(folder, build_dir, log)
    removed = _remove_compiled(build_dir)
    if removed:
        log.note(f"removed {len(removed)} compiled file(s) the submission carries, to build "
                 f"them from the sources: {', '.join(show(r) for r in removed[:10])}"
                 f"{' ...' if len(removed) > 10 else ''}")
    user = BuildUser(build_dir) if os.geteuid() == 0 else None
    try:
        outcome = _build_copy(build_dir, manifest, deadline, log, user)
    finally:
        if user:
            user.release(log)
    made = built_programs(build_dir)
    if outcome == "ok" and not made:
        outcome = "no-program"
        log.note(NO_PROGRAM + last_lines("\n".join(output_lines(log.text()))))
    _open_to_all(build_dir, made)
    log.note(f"outcome: {outcome}")
    return outcome == "ok", log.text(), dict(made)


def _build_copy(build_dir, manifest, deadline, log, user):
    """'ok', 'no-program' (with the reason in the log), or 'failed'."""
    if "build" in manifest:
        status, text = _run(["sh", "-c", manifest["build"]], build_dir, deadline, log,
                            manifest["build"], user)
        if status == 0 or (built_programs(build_dir) and status is not None and
                           not compiler_errors(text)):
            return "ok"
        return "failed"
    sources = Tree(build_dir).sources
    makefiles = _makefiles(build_dir)
    why_direct = "no Makefile"
    if makefiles:
        statuses, texts = [], []
        for rel, name in makefiles:
            command = ["make"] + (["-f", name] if name else [])
            where = "" if rel == "." else f"   (in {show(rel)}/)"
            status, text = _run(command, os.path.join(build_dir, rel), deadline, log,
                                " ".join(command) + where, user)
            statuses.append(status)
            texts.append(text)
            if time.monotonic() > deadline:
                return "failed"
        text = "\n".join(texts)
        made = built_programs(build_dir)
        if all(s == 0 for s in statuses):
            if not made:
                log.note(NO_PROGRAM + last_lines(text))
                return "no-program"
            return _complete(build_dir, manifest, sources, made, deadline, log, user)
        if compiler_errors(text):
            return "failed"
        if made:
            log.note("make failed, not compiling: the programs it made are graded")
            return _complete(build_dir, manifest, sources, made, deadline, log, user)
        if shutil.which("make") is None:
            why_direct = "make cannot start"
        else:
            why_direct = "make failed without a compile error"
    if not Tree(build_dir).mains():
        if makefiles:
            return "failed"  # make's own errors say why
        log.note(NO_PROGRAM + NO_MAIN)
        return "no-program"
    log.note(f"{why_direct}: compiling each source with a main() directly")
    ok, _ = _compile_directly(build_dir, sources, deadline, log, user, set())
    return "ok" if ok else "failed"


def _complete(build_dir, manifest, sources, made, deadline, log, user):
    """A lab of two programs whose make built fewer (a Makefile whose first target is one of
    them): the sources with a main() that have no program of their name are compiled directly."""
    if len(made) >= len(NEEDS_TWO.get(manifest.get("lab"), ())) or \
            time.monotonic() > deadline:
        return "ok"
    have = {os.path.basename(r) for r in made}
    tree = Tree(build_dir)
    missing = [m for m in tree.mains()
               if os.path.splitext(os.path.basename(m))[0] not in have]
    if not missing:
        return "ok"
    log.note(f"the {manifest['lab']} lab needs two programs and make made "
             f"{', '.join(show(m) for m in made)}: compiling "
             f"{', '.join(show(m) for m in missing)} directly")
    ok, _ = _compile_directly(build_dir, missing, deadline, log, user, set(made))
    return "ok" if ok else "failed"


def _open_to_all(build_dir, made):
    """The unprivileged runner must read every file and run the programs (never through a
    symbolic link the build made)."""
    programs = set(made.values())
    for root, dirs, files in os.walk(build_dir):
        for name in [""] + dirs + files if root == build_dir else dirs + files:
            p = os.path.join(root, name) if name else root
            try:
                st = os.lstat(p)
                if stat.S_ISLNK(st.st_mode):
                    continue
                execute = stat.S_ISDIR(st.st_mode) or p in programs or st.st_mode & stat.S_IXUSR
                os.chmod(p, stat.S_IMODE(st.st_mode) | 0o444 | (0o111 if execute else 0))
            except OSError:
                continue
