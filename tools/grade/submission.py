"""A student's submission: its lab (detected, or named in a manifest), and its build in a copy.

Nothing here needs a manifest. An optional `grade.toml` in the submission folder may say:

    lab = "process_pool"          # or "fifo", "shm"
    build = "make"                # a shell command run in the copy (no fallback when it fails)
    children = 4                  # pool: N given as the argument
    fifo_path = "canal.fifo"      # fifo: where the server makes its FIFO (relative: run folder)
    [binaries]                    # pool: main; fifo and shm: server, client (name or path)
    server = "servidor"
    client = "cliente"
    [args]                        # "{fifo}" stands for fifo_path, "{n}" for children
    server = ["{fifo}"]

The build (`build`) runs in a copy. Compiled files the submission carries (ELF programs, .o,
.a, .so, also Mach-O and PE programs) are removed from the copy first, so the programs graded
are always built from the sources. Then `make` (a Makefile of any spelling, at the top or in
sub-folders), or, when there is none or make fails for a reason that is not a compile error,
each source with a main() compiled directly. The programs are the ELF executables found
anywhere in the copy afterwards. Nothing is executed to classify a file.
"""

import collections
import os
import re
import shutil
import signal
import stat
import struct
import subprocess
import tempfile
import time
import tomllib

LABS = ("process_pool", "fifo", "shm")  # as labs/labs.py defines them (checks_test compares)
SOURCE_SUFFIXES = (".c", ".cc", ".cpp", ".cxx", ".c++", ".C")
HEADER_SUFFIXES = (".h", ".hpp", ".hh", ".hxx")
BUILD_TIMEOUT_S = 120
MANIFEST = "grade.toml"
ERROR_LINES = 12

_READ_LIMIT = 1 << 20  # bytes of a source or header read for detection
_COPY_LIMIT = 64 << 20  # a larger file is not copied into the build folder
_LOG_LIMIT = 1 << 20  # bytes of one build command's output kept
_MAX_FILES = 20000  # files of a submission looked at and copied
_SKIPPED_DIRS = {".git", ".svn", ".hg", "__MACOSX"}
_C_SUFFIXES = (".c",)
_NEEDS_TWO = {"fifo": ("server", "client"), "shm": ("server", "client")}
_NO_PROGRAM = "the build made no program; it printed: "
_NO_MAIN = "no source file has a main()"


class SubmissionError(Exception):
    """A problem with the submission's folder or manifest: exit 2, one line."""


def _show(text):
    """A name or text as printable UTF-8 (file names may hold any bytes)."""
    return os.fsencode(text).decode("utf-8", "replace") if isinstance(text, str) else str(text)


# ---------------------------------------------------------------------------------------------
# The submission's files


def _walk(root):
    """(kind, relpath, path, stat) for each entry under root, sorted; kind "dir" or "file".

    Symbolic links are followed when they point inside the submission, or to a file outside
    that anybody may read (the sample shm_reference links into the repository); never to a
    folder outside, never twice to the same folder. Dangling links, FIFOs, sockets, devices,
    unreadable folders, version-control folders, __MACOSX and its "._" files are left out.
    After _MAX_FILES files, kind "limit" ends the walk.
    """
    try:
        top = os.path.realpath(root)
    except OSError:
        return
    seen = {top}

    def allowed(entry, st):
        if not entry.is_symlink():
            return True
        try:
            real = os.path.realpath(entry.path)
        except OSError:
            return False
        if real == top or real.startswith(top + os.sep):
            return True
        return stat.S_ISREG(st.st_mode) and st.st_mode & stat.S_IROTH

    stack = [("", root, 0)]
    count = 0
    while stack:
        rel, path, depth = stack.pop()
        try:
            with os.scandir(path) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        subdirs = []
        for entry in entries:
            name = entry.name
            if name in _SKIPPED_DIRS or name.startswith("._"):
                continue
            child_rel = os.path.join(rel, name) if rel else name
            try:
                st = os.stat(entry.path)  # follows a symbolic link
            except (OSError, ValueError):
                continue
            if not allowed(entry, st):
                continue
            if stat.S_ISDIR(st.st_mode):
                try:
                    real = os.path.realpath(entry.path)
                except OSError:
                    continue
                if real in seen or depth >= 30:
                    continue
                seen.add(real)
                subdirs.append((child_rel, entry.path, st))
            elif stat.S_ISREG(st.st_mode):
                count += 1
                if count > _MAX_FILES:
                    yield "limit", child_rel, entry.path, st
                    return
                yield "file", child_rel, entry.path, st
        for child_rel, child, st in subdirs:
            yield "dir", child_rel, child, st
        stack.extend((r, p, depth + 1) for r, p, _ in reversed(subdirs))


def _files(root):
    return {rel: (path, st) for kind, rel, path, st in _walk(root) if kind == "file"}


def _read_head(path, limit=_READ_LIMIT):
    try:
        with open(path, "rb") as f:
            return f.read(limit)
    except OSError:
        return b""


_MAGICS = (b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xfe\xed\xfa\xcf",
           b"\xfe\xed\xfa\xce")


def _is_compiled(rel, path):
    """A build output a submission may carry: ELF (any name, any mode), .o, .a, .so, Mach-O,
    a Windows .exe."""
    name = os.path.basename(rel)
    if name.endswith((".o", ".a", ".so", ".obj", ".gch")) or re.search(r"\.so\.\d", name):
        return True
    head = _read_head(path, 4)
    return head in _MAGICS or (name.lower().endswith(".exe") and head[:2] == b"MZ")


def _is_program(path):
    """An ELF executable (ET_EXEC, or ET_DYN with an interpreter or marked executable and not
    named like a library), read from its headers: never run."""
    name = os.path.basename(path)
    if name.endswith((".o", ".a", ".so", ".ko")) or re.search(r"\.so\.\d", name):
        return False
    try:
        with open(path, "rb") as f:
            head = f.read(64)
            if len(head) < 52 or head[:4] != b"\x7fELF" or head[4] not in (1, 2) or \
                    head[5] not in (1, 2):
                return False
            wide, end = head[4] == 2, "<" if head[5] == 1 else ">"
            (e_type,) = struct.unpack_from(end + "H", head, 16)
            if e_type == 2:
                return True
            if e_type != 3:
                return False
            if wide:
                (phoff,) = struct.unpack_from(end + "Q", head, 32)
                phentsize, phnum = struct.unpack_from(end + "HH", head, 54)
            else:
                (phoff,) = struct.unpack_from(end + "I", head, 28)
                phentsize, phnum = struct.unpack_from(end + "HH", head, 42)
            if 4 <= phentsize <= 256 and phnum <= 256:
                f.seek(phoff)
                table = f.read(phentsize * phnum)
                for i in range(len(table) // phentsize):
                    if struct.unpack_from(end + "I", table, i * phentsize)[0] == 3:  # PT_INTERP
                        return True
            return os.access(path, os.X_OK)
    except (OSError, struct.error):
        return False


def _programs(build_dir):
    """{relpath: path} of every ELF program under build_dir (not following links), sorted."""
    found = []
    for root, dirs, names in os.walk(build_dir):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS)
        for name in names:
            path = os.path.join(root, name)
            try:
                if stat.S_ISREG(os.lstat(path).st_mode) and _is_program(path):
                    found.append((os.path.relpath(path, build_dir), path))
            except OSError:
                continue
    return collections.OrderedDict(sorted(found))


# ---------------------------------------------------------------------------------------------
# What the sources call

_CODE_TOKENS = re.compile(r'//[^\n]*|/\*.*?(?:\*/|\Z)|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'',
                          re.S)
_INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*"([^"\n]+)"', re.M)
_MAIN = re.compile(r'(?<![\w.>:$])main\s*\([^;{}()]*(?:\([^;{}()]*\)[^;{}()]*)*\)\s*\{')
_SIGNS = {
    "shmget": re.compile(r"\bshmget\s*\("),
    "ipc_creat": re.compile(r"\bIPC_CREAT\b"),
    "mkfifo": re.compile(r"\b(?:mkfifo|mkfifoat|mknod|mknodat)\s*\("),
    "fork": re.compile(r"\bfork\s*\("),
    "pipe": re.compile(r"\bpipe2?\s*\("),
}
_WHAT_EACH_LAB_CALLS = ("shmget (shm), mkfifo or mknod (fifo), fork and pipe (process_pool)")


class _Source:
    """One source or header: its quoted includes and what its code (not comments or string
    literals) calls."""

    def __init__(self, path):
        text = _read_head(path).decode("utf-8", "replace")
        no_comments = _CODE_TOKENS.sub(lambda m: m[0] if m[0][0] in "\"'" else " ", text)
        self.includes = _INCLUDE.findall(no_comments)
        code = _CODE_TOKENS.sub(lambda m: '""' if m[0][0] in "\"'" else " ", text)
        self.has_main = bool(_MAIN.search(code))
        self.signs = {sign for sign, pattern in _SIGNS.items() if pattern.search(code)}


def _kind(signs):
    """A program's lab from what its sources call: shm before fifo (a shm lab may use a FIFO
    to say "data ready"), fifo before the pool."""
    if "shmget" in signs:
        return "shm"
    if "mkfifo" in signs:
        return "fifo"
    if "fork" in signs and "pipe" in signs:
        return "process_pool"
    return None


class _Tree:
    """The sources and headers of a folder, and the programs they make."""

    def __init__(self, folder):
        self.files = _files(folder)
        self.sources = sorted(r for r in self.files if r.endswith(SOURCE_SUFFIXES))
        self.headers = sorted(r for r in self.files if r.endswith(HEADER_SUFFIXES))
        self._paths = {r: self.files[r][0] for r in self.sources + self.headers}
        self._parsed = {}
        self._by_name = collections.defaultdict(list)
        for r in self.sources + self.headers:
            self._by_name[os.path.basename(r)].append(r)

    def compiled(self):
        """The compiled files (programs, objects, libraries) among the files."""
        return sorted(r for r, (path, _) in self.files.items()
                      if r not in self._paths and _is_compiled(r, path))

    def parsed(self, rel):
        if rel not in self._parsed:
            self._parsed[rel] = _Source(self._paths[rel])
        return self._parsed[rel]

    def mains(self):
        return [r for r in self.sources if self.parsed(r).has_main]

    def _resolve(self, includer, name):
        name = name.replace("\\", "/")
        folder = os.path.dirname(includer)
        tried = [os.path.normpath(os.path.join(folder, name)), os.path.normpath(name)]
        while folder:
            folder = os.path.dirname(folder)
            tried.append(os.path.normpath(os.path.join(folder, name)))
        for rel in tried:
            if rel in self._paths:
                return rel
        same = self._by_name.get(os.path.basename(name), [])  # found through an -I folder
        ending = [r for r in same if r.endswith("/" + name)]
        return (ending or same or [None])[0]

    def closure(self, main):
        """The files of the program whose main() is in `main`: it, the other sources of its
        folder without a main() (what a direct compile links in), the local headers they
        include (quoted, transitively) and the sources that implement those headers (x.h: x.c,
        x.cc, ...)."""
        folder = os.path.dirname(main)
        todo = [main] + [r for r in self.sources if r != main and
                         os.path.dirname(r) == folder and not self.parsed(r).has_main]
        done = []
        while todo:
            rel = todo.pop(0)
            if rel in done:
                continue
            done.append(rel)
            for name in self.parsed(rel).includes:
                header = self._resolve(rel, name)
                if header and header not in done:
                    todo.append(header)
                    stem = os.path.splitext(header)[0]
                    todo += [stem + s for s in SOURCE_SUFFIXES
                             if stem + s in self._paths and not self.parsed(stem + s).has_main]
        return done

    def programs(self):
        """{main source: {"lab": lab or None, "calls": sorted signs}} of every main()."""
        found = collections.OrderedDict()
        for main in self.mains():
            signs = set()
            for rel in self.closure(main):
                signs |= self.parsed(rel).signs
            found[main] = {"lab": _kind(signs), "calls": sorted(signs)}
        return found


def _lab_of(folder, programs):
    labs = [lab for lab in LABS if any(p["lab"] == lab for p in programs.values())]
    if len(labs) > 1:
        words = {2: "two", 3: "three"}[len(labs)]
        which = "; ".join(
            f"{lab}: {', '.join(_show(s) for s, p in programs.items() if p['lab'] == lab)}"
            for lab in labs)
        raise SubmissionError(
            f"{folder}: sources of {words} labs ({' and '.join(labs)}) and no {MANIFEST}: "
            f"add {MANIFEST} with lab = \"...\" ({which})")
    if not labs:
        if not programs:
            looked = "no source file has a main()"
        else:
            looked = (f"no program calls {_WHAT_EACH_LAB_CALLS} in its sources and the local "
                      f"headers they include; programs: "
                      f"{', '.join(_show(s) for s in list(programs)[:8])}"
                      f"{' ...' if len(programs) > 8 else ''}")
        raise SubmissionError(f"{folder}: cannot tell the lab ({looked}); "
                              f"add {MANIFEST} with lab = \"...\"")
    return labs[0]


def detect_lab(folder):
    """The lab of the programs in folder (each source with a main(), classified with the local
    headers it includes); raises SubmissionError for none or several."""
    return _lab_of(folder, _Tree(folder).programs())


# ---------------------------------------------------------------------------------------------
# The manifest


def load(folder, lab_override=None):
    """The submission's settings: the manifest's (if any), completed by detection.

    Keys: lab, children, fifo_path, binaries, args (as in the manifest), build (only when the
    manifest has one), programs ({main source relpath: {"lab": lab or None, "calls": [...]}}).
    """
    if not os.path.isdir(folder):
        raise SubmissionError(f"{folder}: no such folder")
    try:
        entries = [e for e in os.listdir(folder) if not e.startswith(".")]
    except OSError as e:
        raise SubmissionError(f"{folder}: cannot read the folder: {e.strerror}") from None
    if not entries:
        raise SubmissionError(f"{folder}: the folder is empty")
    manifest = {}
    tree = _Tree(folder)
    path = os.path.join(folder, MANIFEST)
    if MANIFEST in tree.files:  # not a link to a file outside that only the grader may read
        try:
            with open(path, "rb") as f:
                manifest = tomllib.load(f)
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise SubmissionError(f"{path}: malformed manifest: {e}") from None
        except OSError as e:
            raise SubmissionError(f"{path}: cannot read the manifest: {e.strerror}") from None
        lab = manifest.get("lab")
        if lab is not None and lab not in LABS:
            raise SubmissionError(
                f"{path}: malformed manifest: lab = {lab!r}, expected one of {', '.join(LABS)}")
        for key, kind in (("binaries", dict), ("args", dict), ("build", str),
                          ("children", int), ("fifo_path", str)):
            if key in manifest and not isinstance(manifest[key], kind):
                raise SubmissionError(
                    f"{path}: malformed manifest: {key} must be a {kind.__name__}")
    if not tree.sources and "build" not in manifest:
        kinds = ", ".join(SOURCE_SUFFIXES)
        compiled = tree.compiled()
        if compiled:
            raise SubmissionError(
                f"{folder}: no source files ({kinds}) (only compiled programs, which are not "
                f"graded: hand in the sources): {', '.join(_show(c) for c in compiled[:6])}")
        raise SubmissionError(f"{folder}: no source files ({kinds})")
    programs = tree.programs()
    manifest["lab"] = lab_override or manifest.get("lab") or _lab_of(folder, programs)
    manifest["programs"] = programs
    manifest.setdefault("children", 3)
    manifest.setdefault("fifo_path", "lab.fifo")
    manifest.setdefault("binaries", {})
    manifest.setdefault("args", {})
    return manifest


# ---------------------------------------------------------------------------------------------
# The build


def _copy(src, dst, log):
    os.makedirs(dst, exist_ok=True)
    for kind, rel, path, st in _walk(src):
        target = os.path.join(dst, rel)
        try:
            if kind == "limit":
                log.note(f"not copied: the files after the first {_MAX_FILES}")
            elif kind == "dir":
                os.makedirs(target, exist_ok=True)
            elif st.st_size > _COPY_LIMIT:
                log.note(f"not copied (larger than {_COPY_LIMIT >> 20} MiB): {_show(rel)}")
            else:
                shutil.copyfile(path, target)
                shutil.copystat(path, target)
        except (OSError, shutil.Error) as e:
            log.note(f"not copied ({_show(getattr(e, 'strerror', None) or e)}): {_show(rel)}")


def _remove_compiled(build_dir):
    removed = []
    for root, dirs, names in os.walk(build_dir):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(root, name)
            rel = os.path.relpath(path, build_dir)
            try:
                if stat.S_ISREG(os.lstat(path).st_mode) and _is_compiled(rel, path):
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
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS)
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


def _run(command, cwd, deadline, log, shown):
    """Runs command (a list) in its own session; its output, stdout and stderr in order, goes
    to the log. Returns (exit status or None if it could not start or ran out of time, output).
    Whatever it left running is killed when it ends."""
    log.parts.append(f"$ {shown}")
    env = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8")
    for key in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEFILES", "GCC_COLORS"):
        env.pop(key, None)
    with tempfile.TemporaryFile() as out:
        try:
            child = subprocess.Popen(command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                                     stderr=subprocess.STDOUT, env=env, start_new_session=True)
        except OSError as e:
            text = f"{_show(command[0])}: cannot start: {e.strerror}"
            log.parts.append(text)
            return None, text
        status = None
        while True:  # waits without reaping, so the process group cannot be reused until killed
            try:
                info = os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            except ChildProcessError:
                info = True
            if info is not None or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except OSError:
            pass
        status = child.wait()
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


def _compiler_errors(text):
    """Compiler and linker errors in text (what a Makefile cannot be blamed for)."""
    return bool(_DIAGNOSTIC.search(text) or _LINKER.search(text))


_DIAGNOSTIC = re.compile(r"^[^\s:][^:\n]*:\d+(?::\d+)?: (?:fatal )?error: ", re.M)
_LINKER = re.compile(r"undefined reference to|multiple definition of|"
                     r"relocation [^\n]* against", re.M)


def _compile_directly(build_dir, sources, deadline, log, taken):
    """Each source with a main() becomes a program named after it, next to it, with the other
    sources of its folder without a main(). Returns (all compiled, {relpath: path} made)."""
    tree = _Tree(build_dir)
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
        status, _ = _run(command, build_dir, deadline, log, " ".join(_show(c) for c in command))
        if status != 0:
            ok = False
        elif os.path.isfile(os.path.join(build_dir, out)):
            made[out] = os.path.join(build_dir, out)
    return ok, made


def _last_lines(text, n=3):
    lines = [_clip(l.strip()) for l in text.splitlines() if l.strip() and not l.startswith("$ ")]
    return " / ".join(lines[-n:]) if lines else "nothing"


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
                 f"them from the sources: {', '.join(_show(r) for r in removed[:10])}"
                 f"{' ...' if len(removed) > 10 else ''}")
    outcome = _build_copy(build_dir, manifest, deadline, log)
    made = _programs(build_dir)
    if outcome == "ok" and not made:
        outcome = "no-program"
        log.note(_NO_PROGRAM + _last_lines("\n".join(_output_lines(log.text()))))
    _open_to_all(build_dir, made)
    log.note(f"outcome: {outcome}")
    return outcome == "ok", log.text(), dict(made)


def _build_copy(build_dir, manifest, deadline, log):
    """'ok', 'no-program' (with the reason in the log), or 'failed'."""
    if "build" in manifest:
        status, text = _run(["sh", "-c", manifest["build"]], build_dir, deadline, log,
                            manifest["build"])
        if status == 0 or (_programs(build_dir) and status is not None and
                           not _compiler_errors(text)):
            return "ok"
        return "failed"
    sources = _Tree(build_dir).sources
    makefiles = _makefiles(build_dir)
    why_direct = "no Makefile"
    if makefiles:
        statuses, texts = [], []
        for rel, name in makefiles:
            command = ["make"] + (["-f", name] if name else [])
            where = "" if rel == "." else f"   (in {_show(rel)}/)"
            status, text = _run(command, os.path.join(build_dir, rel), deadline, log,
                                " ".join(command) + where)
            statuses.append(status)
            texts.append(text)
            if time.monotonic() > deadline:
                return "failed"
        text = "\n".join(texts)
        made = _programs(build_dir)
        if all(s == 0 for s in statuses):
            if not made:
                log.note(_NO_PROGRAM + _last_lines(text))
                return "no-program"
            return _complete(build_dir, manifest, sources, made, deadline, log)
        if _compiler_errors(text):
            return "failed"
        if made:
            log.note("make failed, not compiling: the programs it made are graded")
            return _complete(build_dir, manifest, sources, made, deadline, log)
        if shutil.which("make") is None:
            why_direct = "make cannot start"
        else:
            why_direct = "make failed without a compile error"
    if not _Tree(build_dir).mains():
        if makefiles:
            return "failed"  # make's own errors say why
        log.note(_NO_PROGRAM + _NO_MAIN)
        return "no-program"
    log.note(f"{why_direct}: compiling each source with a main() directly")
    ok, _ = _compile_directly(build_dir, sources, deadline, log, set())
    return "ok" if ok else "failed"


def _complete(build_dir, manifest, sources, made, deadline, log):
    """A lab of two programs whose make built fewer (a Makefile whose first target is one of
    them): the sources with a main() that have no program of their name are compiled directly."""
    if len(made) >= len(_NEEDS_TWO.get(manifest.get("lab"), ())) or \
            time.monotonic() > deadline:
        return "ok"
    have = {os.path.basename(r) for r in made}
    tree = _Tree(build_dir)
    missing = [m for m in tree.mains()
               if os.path.splitext(os.path.basename(m))[0] not in have]
    if not missing:
        return "ok"
    log.note(f"the {manifest['lab']} lab needs two programs and make made "
             f"{', '.join(_show(m) for m in made)}: compiling "
             f"{', '.join(_show(m) for m in missing)} directly")
    ok, _ = _compile_directly(build_dir, missing, deadline, log, set(made))
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


# ---------------------------------------------------------------------------------------------
# What the student is told


_DRIVER = re.compile(r"^(?:\S*/)?(?:gcc|g\+\+|cc|c\+\+|clang\S*|\S+-gcc(?:-\d+)?|"
                     r"\S+-g\+\+(?:-\d+)?|gcc-\d+|g\+\+-\d+|cc1\S*|collect2|ld|\S*/ld): "
                     r"(?:fatal )?error: ")
_MAKE_ERROR = re.compile(r"^(?:\S*make(?:\[\d+\])?: \*\*\* |[^\s:][^:\n]*:\d+: \*\*\* )")
_SHELL_ERROR = re.compile(r"^(?:/bin/sh|sh|bash|make(?:\[\d+\])?)(?:: \d+)?: .*"
                          r"(?:not found|No such file|cannot|Permission denied|"
                          r"Directory nonexistent)|^\S+: cannot (?:create|open|remove) ")
_CONTEXT = re.compile(r"^(?:\s|\s*\d+\s*\|)|: note: |^[^\s:][^:\n]*:\d+(?::\d+)?: note")
_LEAD = re.compile(r"^(?:In file included from |\s+from |[^\s:][^:\n]*: In (?:member )?"
                   r"(?:function|constructor|destructor|instantiation|lambda|static|"
                   r"substitution)|.*: in function [`'‘])")


def _output_lines(log):
    return [l for l in log.splitlines() if not l.startswith(("[grade] ", "$ "))]


def first_errors(log, lines=ERROR_LINES):
    """The first real errors of the build's output, at most `lines` lines: the compiler's
    `file:line:col: error:` lines with what follows them (source line, caret, notes), the
    linker's `undefined reference` lines, else make's own errors (`*** ...`), the driver's and
    the shell's; else the last lines printed."""
    text = _output_lines(log)
    taken = []

    def take(index):
        start = index
        while start > 0 and _LEAD.match(text[start - 1]) and index - start < 3:
            start -= 1
        end = index + 1
        while end < len(text) and _CONTEXT.match(text[end]) and \
                not _DIAGNOSTIC.match(text[end]) and end - index <= 6:
            end += 1
        block = [i for i in range(start, end) if i not in taken]
        if not taken or len(taken) + len(block) <= lines:  # whole blocks after the first
            taken.extend(block)

    real = [i for i, l in enumerate(text) if _DIAGNOSTIC.match(l) or
            re.search(r"undefined reference to|multiple definition of", l)]
    if not real:
        real = [i for i, l in enumerate(text) if _DRIVER.match(l) and
                "ld returned" not in l] or \
               [i for i, l in enumerate(text) if _SHELL_ERROR.match(l) or
                re.search(r"cannot open output file|cannot find -l", l)] or \
               [i for i, l in enumerate(text) if _MAKE_ERROR.match(l)] or \
               [i for i, l in enumerate(text) if "error" in l.lower()]
    for i in real:
        if len(taken) >= lines:
            break
        take(i)
    shown = [text[i] for i in taken] or [l for l in text if l.strip()][-4:] or ["(no output)"]
    return "\n".join(_clip(l.rstrip()) for l in shown[:lines])


def _clip(line, width=200):
    return line if len(line) <= width else line[:width - 1] + "…"


def build_failure(log, made=None):
    """Why the build gets no marks, for the student, in English and Chinese (a text.T, which is
    a str): the errors, what a build that made no program printed, or that it ran too long."""
    from text import T
    notes = [l[len("[grade] "):] for l in log.splitlines() if l.startswith("[grade] ")]
    if notes and notes[-1] == "outcome: no-program":
        said = [n for n in notes if n.startswith(_NO_PROGRAM)]
        said = said[-1][len(_NO_PROGRAM):] if said else "nothing"
        said_zh = "没有任何源文件含有 main()" if said == _NO_MAIN else said
        return T(f"{_NO_PROGRAM}{said}", f"编译没有生成任何程序；它输出了：{said_zh}")
    for note in notes:
        found = re.fullmatch(r"stopped: the build ran longer than (\d+) s", note)
        if found:
            return T(f"the build ran longer than {found[1]} s", f"编译运行超过 {found[1]} 秒")
    errors = first_errors(log)
    if _compiler_errors(errors):
        return T("does not compile: " + errors, "无法编译：" + errors)
    return T("does not build: " + errors, "无法构建：" + errors)


# ---------------------------------------------------------------------------------------------
# The programs of the lab

# Strong hints, then weak ones (reader and writer are the fifo lab's server and client).
_SERVER_HINTS = (("serv", "srv"), ("shm_s", "ser", "read", "recv", "receiv", "lector", "recept"))
_CLIENT_HINTS = (("cli",), ("write", "send", "escrit", "emisor"))
_MAIN_HINTS = ("pool", "process", "proceso", "main", "master", "padre")


def _score(name, hints):
    base, low = os.path.basename(name).lower(), name.lower()
    for weight, words in zip((4, 2), hints):
        if any(w in base for w in words):
            return weight
    for weight, words in zip((3, 1), hints):
        if any(w in low for w in words):
            return weight
    return 0


def _source_of(manifest, program):
    """What the source with a main() of the program's name calls, if there is one."""
    stem = os.path.basename(program)
    for source, info in manifest.get("programs", {}).items():
        if os.path.splitext(os.path.basename(source))[0] == stem:
            return info
    return {"lab": None, "calls": []}


def pick_binaries(manifest, made):
    """The programs of the lab, from what the build made ({relpath: path}).

    Returns {"programs": {relpath: path, ...} (all, sorted), and the best guess of the roles:
    "main" (process_pool) or "server" and "client" (fifo, shm)}. The manifest's [binaries]
    (a name or a relpath) win; then names (serv/srv/cli/read/write...), then what the source
    of the same name calls (the FIFO or segment creator is the server), then sorted order.
    Raises SubmissionError only for a manifest naming a program that was not made, or a lab
    of two programs with fewer made.
    """
    programs = collections.OrderedDict(sorted(made.items()))
    names = list(programs)
    lab = manifest["lab"]
    named = manifest.get("binaries", {})
    chosen = {}

    def find(role):
        want = str(named[role])
        for n in names:
            if n == want or os.path.basename(n) == want or n == os.path.normpath(want):
                return n
        raise SubmissionError(
            f"the manifest names {role} program {want!r}, the build made "
            f"{', '.join(_show(n) for n in names) or 'nothing'}")

    if not names:
        raise SubmissionError("the build made no program")
    roles = _NEEDS_TWO.get(lab, ("main",))
    for role in roles:
        if role in named:
            chosen[role] = find(role)
    if len(roles) == 2 and len(names) < 2:
        raise SubmissionError(
            f"the {lab} lab needs two programs (a server and a client); the build made only "
            f"{', '.join(_show(n) for n in names)}")
    if roles == ("main",) and "main" not in chosen:
        hinted = [n for n in names if any(h in os.path.basename(n).lower() for h in _MAIN_HINTS)]
        forks = [n for n in names if "fork" in _source_of(manifest, n)["calls"]]
        chosen["main"] = (names if len(names) == 1 else hinted or forks or names)[0]
    if len(roles) == 2:
        creator = "mkfifo" if lab == "fifo" else "ipc_creat"
        hints = {"server": _SERVER_HINTS, "client": _CLIENT_HINTS}

        def order(role, n):  # best first: its role's name, not the other's, creates, sorted
            other = "client" if role == "server" else "server"
            creates = creator in _source_of(manifest, n)["calls"]
            return (-_score(n, hints[role]), _score(n, hints[other]),
                    -(creates == (role == "server")), names.index(n))

        def best(role):
            return min((n for n in names if n not in chosen.values()),
                       key=lambda n: order(role, n))

        first = ("client" if "server" in chosen or "client" not in chosen and
                 _score(best("client"), _CLIENT_HINTS) > _score(best("server"), _SERVER_HINTS)
                 else "server")
        for role in (first, "client" if first == "server" else "server"):
            if role not in chosen:
                chosen[role] = best(role)
    result = {"programs": programs}
    result.update((role, programs[n]) for role, n in chosen.items())
    return result
