"""A student's submission: its manifest (or what detection finds), and its build in a copy.

The manifest is an optional `grade.toml` in the submission folder:

    lab = "process_pool"          # or "fifo", "shm"
    build = "make"                # a shell command run in the copy (default: make, or g++)
    children = 4                  # pool: N given as the argument
    fifo_path = "canal.fifo"      # fifo: where the server makes its FIFO (relative: run folder)
    [binaries]                    # pool: main; fifo and shm: server, client
    server = "servidor"
    client = "cliente"
    [args]                        # "{fifo}" stands for fifo_path, "{n}" for children
    server = ["{fifo}"]
"""

import os
import re
import shutil
import stat
import subprocess
import tomllib

LABS = ("process_pool", "fifo", "shm")
SOURCE_SUFFIXES = (".c", ".cc", ".cpp", ".cxx", ".C")
BUILD_TIMEOUT_S = 120
MANIFEST = "grade.toml"


class SubmissionError(Exception):
    """A problem with the submission's folder or manifest: exit 2, one line."""


# What a lab's sources call; a folder whose sources match two labs needs a manifest.
_LAB_SIGNS = {
    "process_pool": re.compile(r"\bfork\s*\(.*|\bpipe\s*\("),
    "fifo": re.compile(r"\bmkfifo\s*\("),
    "shm": re.compile(r"\bshmget\s*\("),
}


def _sources(folder):
    return sorted(
        os.path.join(root, name)
        for root, _, names in os.walk(folder)
        for name in names
        if name.endswith(SOURCE_SUFFIXES))


def detect_lab(folder):
    text = ""
    for path in _sources(folder):
        with open(path, encoding="utf-8", errors="replace") as f:
            text += f.read()
    labs = [lab for lab in ("fifo", "shm") if _LAB_SIGNS[lab].search(text)]
    if not labs and re.search(r"\bfork\s*\(", text) and re.search(r"\bpipe\s*\(", text):
        labs = ["process_pool"]
    if len(labs) > 1:
        raise SubmissionError(
            f"{folder}: sources of two labs ({' and '.join(labs)}) and no {MANIFEST}: "
            f"add {MANIFEST} with lab = \"...\"")
    if not labs:
        raise SubmissionError(
            f"{folder}: cannot tell the lab (no fork+pipe, mkfifo or shmget in the sources); "
            f"add {MANIFEST} with lab = \"...\"")
    return labs[0]


def load(folder, lab_override=None):
    """The submission's settings: the manifest's, completed by detection."""
    if not os.path.isdir(folder):
        raise SubmissionError(f"{folder}: no such folder")
    entries = [e for e in os.listdir(folder) if not e.startswith(".")]
    if not entries:
        raise SubmissionError(f"{folder}: the folder is empty")
    manifest = {}
    path = os.path.join(folder, MANIFEST)
    if os.path.exists(path):
        try:
            with open(path, "rb") as f:
                manifest = tomllib.load(f)
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise SubmissionError(f"{path}: malformed manifest: {e}") from None
        lab = manifest.get("lab")
        if lab is not None and lab not in LABS:
            raise SubmissionError(
                f"{path}: malformed manifest: lab = {lab!r}, expected one of {', '.join(LABS)}")
        for key, kind in (("binaries", dict), ("args", dict), ("build", str),
                          ("children", int), ("fifo_path", str)):
            if key in manifest and not isinstance(manifest[key], kind):
                raise SubmissionError(
                    f"{path}: malformed manifest: {key} must be a {kind.__name__}")
    if not _sources(folder) and not os.path.exists(os.path.join(folder, "Makefile")):
        raise SubmissionError(f"{folder}: no source files (.c, .cc, .cpp) and no Makefile")
    manifest["lab"] = lab_override or manifest.get("lab") or detect_lab(folder)
    manifest.setdefault("children", 3)
    manifest.setdefault("fifo_path", "lab.fifo")
    manifest.setdefault("binaries", {})
    manifest.setdefault("args", {})
    return manifest


def _copy(src, dst):
    def ignore(folder, names):  # FIFOs, sockets, devices: never opened, never copied
        return [n for n in names
                if not (os.path.isdir(os.path.join(folder, n)) or
                        os.path.isfile(os.path.join(folder, n)))]
    shutil.copytree(src, dst, symlinks=False, ignore=ignore)


def _executables(folder):
    found = {}
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if os.path.isfile(path) and os.access(path, os.X_OK) and not name.endswith(
                SOURCE_SUFFIXES + (".sh", ".py", ".o")):
            found[name] = path
    return found


def build(folder, manifest, build_dir):
    """Builds a copy in build_dir. Returns (ok, log, {name: path of each new executable})."""
    _copy(folder, build_dir)
    before = set(_executables(build_dir))
    if "build" in manifest:
        command = ["sh", "-c", manifest["build"]]
    elif any(os.path.exists(os.path.join(build_dir, m)) for m in ("Makefile", "makefile")):
        command = ["make"]
    else:
        sources = [s for s in _sources(build_dir)]
        # No Makefile: each source with a main() becomes a program named after it.
        command = ["sh", "-c", " && ".join(
            f"g++ -O1 -o '{os.path.splitext(os.path.basename(s))[0]}' '{s}'"
            for s in sources if re.search(r"\bmain\s*\(", open(s, errors="replace").read()))
            or "false"]
    try:
        done = subprocess.run(command, cwd=build_dir, capture_output=True, text=True,
                              errors="replace", timeout=BUILD_TIMEOUT_S)
        ok, log = done.returncode == 0, done.stdout + done.stderr
    except subprocess.TimeoutExpired:
        ok, log = False, f"the build ran longer than {BUILD_TIMEOUT_S} s"
    made = {n: p for n, p in _executables(build_dir).items() if n not in before}
    for root, dirs, files in os.walk(build_dir):  # the unprivileged runner must read and run it
        for name in dirs + files:
            p = os.path.join(root, name)
            os.chmod(p, os.stat(p).st_mode | stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH |
                     (0o111 if os.path.isdir(p) or os.access(p, os.X_OK) else 0))
    return ok and bool(made), log, made


def build_failure(log, made):
    """Why the build failed, for the student."""
    from text import T
    if not made and "error" not in log.lower():
        return T("the build made no program: " + first_errors(log),
                 "编译没有生成任何程序：" + first_errors(log))
    return T("does not compile: " + first_errors(log), "无法编译：" + first_errors(log))


def first_errors(log, lines=4):
    """The compiler's first error lines, for the report."""
    errors = [l for l in log.splitlines() if "error" in l.lower()]
    return "\n".join((errors or log.splitlines() or ["(no output)"])[:lines])


def pick_binaries(manifest, made):
    """Roles of the lab -> paths. Names come from the manifest, else from what the build made."""
    named = manifest["binaries"]
    roles = ("main",) if manifest["lab"] == "process_pool" else ("server", "client")
    chosen = {}
    for role in roles:
        if role in named:
            if named[role] not in made:
                raise SubmissionError(
                    f"the manifest names {role} binary {named[role]!r}, the build made "
                    f"{', '.join(sorted(made)) or 'nothing'}")
            chosen[role] = made[named[role]]
    if len(roles) == 1 and "main" not in chosen:
        chosen["main"] = made[sorted(made)[0]]
    for role, hints in (("server", ("serv", "srv")), ("client", ("cli", "cl"))):
        if role in roles and role not in chosen:
            matches = [n for n in sorted(made) if any(h in n.lower() for h in hints)]
            if not matches:
                raise SubmissionError(
                    f"cannot tell which binary is the {role} among {', '.join(sorted(made))}; "
                    f"add [binaries] to {MANIFEST}")
            chosen[role] = made[matches[0]]
    return chosen
