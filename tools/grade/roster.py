"""The submissions of a class as courses have them: a folder of submission folders, an archive
of such folders (.zip, .tar, .tar.gz, .tar.xz, .tar.bz2), or clones of the students'
repositories with each lab in some sub-folder.

Each is one or more Entry rows of scores.csv: the name, the folder graded, the lab when the
batch must name it (two labs in one folder of a clone), or why it cannot be graded. A
submission folder with the programs of one lab is graded whole, as always; a clone (a folder
with .git) and a folder with several labs are searched for each lab's folder, found by the
sources (sources.py: a main() and what its files call), .git and build output left out.
"""

import collections
import os
import re
import shutil
import stat
import tarfile
import zipfile

from sources import WHAT_EACH_LAB_CALLS, Tree, show
from submission import LABS, MANIFEST, SubmissionError

Entry = collections.namedtuple("Entry", "name folder lab error")
_Member = collections.namedtuple("_Member", "name kind target size executable read")

ARCHIVES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2")
MAX_UNPACKED = 1 << 30   # bytes an archive may unpack to: a class, not a zip bomb
MAX_MEMBERS = 200000
_MAKEFILE = re.compile(r"^(?:gnu)?makefile(?:\.\w+)?$", re.I)


def entries(source, scratch, only_lab=None):
    """The rows of a batch of `source` (a folder or an archive unpacked under scratch)."""
    rows = []
    if os.path.isdir(source):
        top = source
    elif os.path.isfile(source) and source.lower().endswith(ARCHIVES):
        top, rows = unpack(source, os.path.join(scratch, "unpacked"))
        if top is None:
            return rows
        top = _unwrapped(top)
    else:
        raise SubmissionError(f"{source}: no such folder or archive ({', '.join(ARCHIVES)})")
    refused = {r.name for r in rows}
    folders = sorted(d for d in os.listdir(top) if d not in refused and not d.startswith(".")
                     and os.path.isdir(os.path.join(top, d)))
    if not folders and not rows:
        raise SubmissionError(f"{source}: no submission folders in it (one folder per student)")
    for name in folders:
        rows += _labs_in(os.path.join(top, name), name, only_lab)
    return sorted(rows, key=lambda r: r.name)


def _unwrapped(top):
    """An archive often holds one folder of all submissions: that folder, when nothing is
    beside it and it holds only folders, two or more (one submission in a folder of its own
    would be a file or a single folder)."""
    for _ in range(8):
        names = [n for n in os.listdir(top) if not n.startswith(".") and n != "__MACOSX"]
        if len(names) != 1 or not os.path.isdir(os.path.join(top, names[0])):
            return top
        inner = os.path.join(top, names[0])
        inside = [n for n in os.listdir(inner) if not n.startswith(".")]
        if len(inside) < 2 or not all(os.path.isdir(os.path.join(inner, n)) for n in inside):
            return top
        top = inner
    return top


# ---------------------------------------------------------------------------------------------
# A lab's folder in a repository


def _labs_in(folder, name, only_lab):
    clone = os.path.exists(os.path.join(folder, ".git"))
    if os.path.exists(os.path.join(folder, MANIFEST)):
        return [Entry(name, folder, None, None)]  # its manifest says what to grade
    tree = Tree(folder)
    programs = tree.programs()
    by_lab = collections.OrderedDict()
    for main, info in programs.items():
        if info["lab"]:
            by_lab.setdefault(info["lab"], []).append(main)
    if only_lab:
        if only_lab not in by_lab and by_lab:
            found = "; ".join(f"{lab} in {_where(mains)}" for lab, mains in by_lab.items())
            return [Entry(name, None, None, f"no program of the {only_lab} lab (it has {found})")]
        by_lab = {lab: m for lab, m in by_lab.items() if lab == only_lab}
    if not by_lab:
        if clone:
            return [Entry(name, None, None, _nothing_found(tree, programs))]
        return [Entry(name, folder, only_lab, None)]  # grade_one says why (empty, no lab...)
    if len(by_lab) == 1 and not clone:
        return [Entry(name, folder, only_lab, None)]  # a submission folder, graded whole
    places = {lab: _lab_folder(folder, tree, mains, by_lab) for lab, mains in by_lab.items()}
    rows = []
    for lab, rel in places.items():
        row = f"{name}/{rel}" if rel else name
        shared = [other for other, where in places.items() if where == rel and other != lab]
        if shared and not clone:
            return [Entry(name, folder, only_lab, None)]  # grade_one: two labs, add a manifest
        rows.append(Entry(f"{row} ({lab})" if shared else row,
                          os.path.join(folder, rel) if rel else folder, lab, None))
    return rows


def _lab_folder(root, tree, mains, by_lab):
    """The folder (relative to root, "" for root) of a lab's programs: the common folder of
    their files (their sources and the local headers they include), or the nearest folder
    above with a Makefile when that holds no program of another lab."""
    files = [f for main in mains for f in tree.closure(main)]
    rel = os.path.commonpath([os.path.dirname(f) or "." for f in files])
    rel = "" if rel == "." else rel
    others = [m for lab, ms in by_lab.items() if ms is not mains for m in ms]

    def holds_other(folder):
        return any(not folder or m.startswith(folder + "/") for m in others)

    if holds_other(rel):
        return rel
    up = rel
    while not _has_makefile(os.path.join(root, up)) and up:
        up = os.path.dirname(up)
        if holds_other(up):
            return rel
    return up if _has_makefile(os.path.join(root, up)) else rel


def _has_makefile(folder):
    try:
        return any(_MAKEFILE.match(n) for n in os.listdir(folder))
    except OSError:
        return False


def _where(mains):
    folders = sorted({os.path.dirname(m) or "." for m in mains})
    return ", ".join(show(f) + "/" for f in folders[:3]) + (" ..." if len(folders) > 3 else "")


def _nothing_found(tree, programs):
    """What a TA can act on when a clone holds no lab."""
    if not tree.sources:
        others = sorted(tree.files)[:5]
        return (f"no lab found in the repository: no C or C++ source outside .git "
                f"({', '.join(show(o) for o in others) or 'no file at all'}"
                f"{' ...' if len(tree.files) > 5 else ''}); was the lab pushed (another branch, "
                f"an empty clone)?")
    if not programs:
        return (f"no lab found in the repository: {len(tree.sources)} source(s), none with a "
                f"main() ({', '.join(show(s) for s in tree.sources[:4])}); was the lab pushed?")
    return (f"no lab found in the repository: no program calls {WHAT_EACH_LAB_CALLS} "
            f"(programs: {_where(list(programs))}); if a lab is there, add {MANIFEST} with "
            f"lab = \"...\" (one of {', '.join(LABS)}) in its folder")


# ---------------------------------------------------------------------------------------------
# Archives, unpacked safely


class _Refused(Exception):
    pass


def unpack(archive, into):
    """(folder, rows): the archive unpacked under `into`, and an error row per submission it
    refuses (a member with an absolute path, a '..', a link pointing outside). A folder None:
    the whole archive is refused (unreadable, over MAX_UNPACKED bytes or MAX_MEMBERS
    members), and the one row says why."""
    base = os.path.basename(archive)
    os.makedirs(into, exist_ok=True)
    try:
        members = _members(archive)
        if len(members) > MAX_MEMBERS:
            raise _Refused(f"{len(members)} members, over the bound of {MAX_MEMBERS}")
        declared = sum(m.size for m in members)
        if declared > MAX_UNPACKED:
            raise _Refused(f"it unpacks to {declared >> 20} MiB, over the bound of "
                           f"{MAX_UNPACKED >> 20} MiB")
        bad = {}
        for m in members:
            name = m.name
            why = _unsafe(m.name, m.kind, m.target)
            if why:
                parts = _parts(name)
                top = parts[0] if parts and parts[0] != ".." and not _absolute(name) else None
                if top is None:
                    raise _Refused(f"member {show(name)!r} {why}")
                bad.setdefault(top, f"not unpacked, not graded: the archive's member "
                                    f"{show(name)!r} {why}")
        written = 0
        for m in members:
            parts = _parts(m.name)
            if not parts or parts[0] in bad or m.kind == "other":
                continue
            path = os.path.join(into, *parts)
            if m.kind == "dir":
                os.makedirs(path, mode=0o755, exist_ok=True)
                continue
            os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
            if os.path.lexists(path):
                continue  # a name twice in an archive: the first one
            if m.kind == "symlink":
                os.symlink(m.target, path)
            elif m.kind == "hardlink":
                source = os.path.join(into, *_parts(m.target))
                if os.path.isfile(source) and not os.path.islink(source):
                    shutil.copyfile(source, path)
            else:
                written += _copy(m.read, path, MAX_UNPACKED - written)
                os.chmod(path, 0o755 if m.executable else 0o644)
    except _Refused as e:
        shutil.rmtree(into, ignore_errors=True)
        return None, [Entry(base, None, None, f"archive refused, nothing graded: {e}")]
    except (OSError, EOFError, zipfile.BadZipFile, tarfile.TarError, RuntimeError) as e:
        shutil.rmtree(into, ignore_errors=True)
        return None, [Entry(base, None, None, f"cannot read the archive: {e}")]
    return into, [Entry(top, None, None, why) for top, why in bad.items()]


def _members(archive):
    """[_Member]: kind file, dir, symlink, hardlink or other (devices and FIFOs: never
    unpacked); read() opens a file's bytes."""
    found = []
    if archive.lower().endswith(".zip"):
        zf = zipfile.ZipFile(archive)
        for info in zf.infolist():
            mode = info.external_attr >> 16
            if info.is_dir():
                found.append(_Member(info.filename, "dir", None, 0, False, None))
            elif stat.S_ISLNK(mode):
                found.append(_Member(info.filename, "symlink",
                                     zf.read(info).decode("utf-8", "replace"), 0, False, None))
            else:
                found.append(_Member(info.filename, "file", None, info.file_size,
                                     bool(mode & 0o111), lambda info=info: zf.open(info)))
        return found
    tf = tarfile.open(archive, "r:*")
    for m in tf.getmembers():
        kind = ("dir" if m.isdir() else "file" if m.isfile() else "symlink" if m.issym()
                else "hardlink" if m.islnk() else "other")
        found.append(_Member(m.name, kind, m.linkname or None, m.size if kind == "file" else 0,
                             bool(m.mode & 0o111), lambda m=m: tf.extractfile(m)))
    return found


def _absolute(name):
    return name.startswith(("/", "\\")) or bool(re.match(r"^[A-Za-z]:", name))


def _parts(name):
    return [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]


def _unsafe(name, kind, target):
    if _absolute(name):
        return "has an absolute path"
    if ".." in _parts(name):
        return "leaves the folder (a path with '..')"
    if kind in ("symlink", "hardlink"):
        if not target or _absolute(target):
            return f"is a link to an absolute path ({show(target or '')})"
        # A link stays inside its submission (the archive's first folder), a hard link (named
        # from the archive's top) inside the archive.
        depth = len(_parts(name)) - 1 if kind == "symlink" else 0
        floor = 1 if kind == "symlink" and depth >= 1 else 0
        for p in _parts(target):
            depth += -1 if p == ".." else 1
            if depth < floor:
                return f"is a link pointing outside its folder ({show(target)})"
    return None


def _copy(read, path, room):
    """Copies a member's bytes, at most `room` of them (a member may lie about its size)."""
    written = 0
    with read() as src, open(path, "wb") as dst:
        while True:
            block = src.read(1 << 16)
            if not block:
                return written
            written += len(block)
            if written > room:
                raise _Refused(f"it unpacks to more than {MAX_UNPACKED >> 20} MiB")
            dst.write(block)
