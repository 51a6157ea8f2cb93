"""A submission's files, read and never run: the walk of its folder, which files are compiled
(programs, objects, libraries), the ELF programs a build made, and what each program's sources
call, from which its lab is told.

A program is a source with a main(); its files are that source, the other sources of its folder
without a main(), the local headers they include (quoted, transitively) and the sources that
implement those headers. Its lab: shmget (shm), else mkfifo or mknod (fifo), else fork and pipe
(process_pool), in its code (not comments or string literals).
"""

import collections
import os
import re
import stat
import struct

SOURCE_SUFFIXES = (".c", ".cc", ".cpp", ".cxx", ".c++", ".C")
HEADER_SUFFIXES = (".h", ".hpp", ".hh", ".hxx")
MAX_FILES = 20000  # files of a submission looked at and copied
SKIPPED_DIRS = {".git", ".svn", ".hg", "__MACOSX"}
NEEDS_TWO = {"fifo": ("server", "client"), "shm": ("server", "client")}  # the labs' two roles

_READ_LIMIT = 1 << 20  # bytes of a source or header read for detection


def show(text):
    """A name or text as printable UTF-8 (file names may hold any bytes)."""
    return os.fsencode(text).decode("utf-8", "replace") if isinstance(text, str) else str(text)


# ---------------------------------------------------------------------------------------------
# The submission's files


def walk(root):
    """(kind, relpath, path, stat) for each entry under root, sorted; kind "dir" or "file".

    Symbolic links are followed when they point inside the submission, or to a file outside
    that anybody may read (the sample shm_reference links into the repository); never to a
    folder outside, never twice to the same folder. Dangling links, FIFOs, sockets, devices,
    unreadable folders, version-control folders, __MACOSX and its "._" files are left out.
    After MAX_FILES files, kind "limit" ends the walk.
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
            if name in SKIPPED_DIRS or name.startswith("._"):
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
                if count > MAX_FILES:
                    yield "limit", child_rel, entry.path, st
                    return
                yield "file", child_rel, entry.path, st
        for child_rel, child, st in subdirs:
            yield "dir", child_rel, child, st
        stack.extend((r, p, depth + 1) for r, p, _ in reversed(subdirs))


def _files(root):
    return {rel: (path, st) for kind, rel, path, st in walk(root) if kind == "file"}


def _read_head(path, limit=_READ_LIMIT):
    try:
        with open(path, "rb") as f:
            return f.read(limit)
    except OSError:
        return b""


_MAGICS = (b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xfe\xed\xfa\xcf",
           b"\xfe\xed\xfa\xce")


def is_compiled(rel, path):
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


def built_programs(build_dir):
    """{relpath: path} of every ELF program under build_dir (not following links), sorted."""
    found = []
    for root, dirs, names in os.walk(build_dir):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
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
WHAT_EACH_LAB_CALLS = ("shmget (shm), mkfifo or mknod (fifo), fork and pipe (process_pool)")


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


class Tree:
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
                      if r not in self._paths and is_compiled(r, path))

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
