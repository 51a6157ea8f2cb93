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

How a submission is read, built and told about its errors is in sources.py, build.py and
build_errors.py; this module is what the grader calls.
"""

import collections
import os
import tomllib

from build import build  # the grader calls submission.build and submission.build_failure
from build_errors import build_failure
from sources import NEEDS_TWO, SOURCE_SUFFIXES, WHAT_EACH_LAB_CALLS, Tree, show

__all__ = ["LABS", "MANIFEST", "SubmissionError", "build", "build_failure", "detect_lab", "load",
           "pick_binaries"]

LABS = ("process_pool", "fifo", "shm")  # as labs/labs.py defines them (checks_test compares)
MANIFEST = "grade.toml"


class SubmissionError(Exception):
    """A problem with the submission's folder or manifest: exit 2, one line."""


def _lab_of(folder, programs):
    labs = [lab for lab in LABS if any(p["lab"] == lab for p in programs.values())]
    if len(labs) > 1:
        words = {2: "two", 3: "three"}[len(labs)]
        which = "; ".join(
            f"{lab}: {', '.join(show(s) for s, p in programs.items() if p['lab'] == lab)}"
            for lab in labs)
        raise SubmissionError(
            f"{folder}: sources of {words} labs ({' and '.join(labs)}) and no {MANIFEST}: "
            f"add {MANIFEST} with lab = \"...\" ({which})")
    if not labs:
        if not programs:
            looked = "no source file has a main()"
        else:
            looked = (f"no program calls {WHAT_EACH_LAB_CALLS} in its sources and the local "
                      f"headers they include; programs: "
                      f"{', '.join(show(s) for s in list(programs)[:8])}"
                      f"{' ...' if len(programs) > 8 else ''}")
        raise SubmissionError(f"{folder}: cannot tell the lab ({looked}); "
                              f"add {MANIFEST} with lab = \"...\"")
    return labs[0]


def detect_lab(folder):
    """The lab of the programs in folder (each source with a main(), classified with the local
    headers it includes); raises SubmissionError for none or several."""
    return _lab_of(folder, Tree(folder).programs())


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
    tree = Tree(folder)
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
                f"graded: hand in the sources): {', '.join(show(c) for c in compiled[:6])}")
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
            f"{', '.join(show(n) for n in names) or 'nothing'}")

    if not names:
        raise SubmissionError("the build made no program")
    roles = NEEDS_TWO.get(lab, ("main",))
    for role in roles:
        if role in named:
            chosen[role] = find(role)
    if len(roles) == 2 and len(names) < 2:
        raise SubmissionError(
            f"the {lab} lab needs two programs (a server and a client); the build made only "
            f"{', '.join(show(n) for n in names)}")
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
