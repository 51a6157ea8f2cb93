#!/usr/bin/env python3
"""Grades student submissions of the IPC labs as black boxes (tools/ipcconf grade).

  grade.py SUBMISSION [--lab LAB] [--json F] [--junit F] [--markdown F]
  grade.py --batch FOLDER|ARCHIVE [-j N] [--output DIR] [--lab LAB]   (batch.py)

Exit status: 0 full marks, 1 graded with failed checks, 2 bad input (one line on stderr).
Batch: 0 when every submission was graded, 2 when some could not be (their CSV row says why),
130 when interrupted (the same command again goes on).
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
import tomllib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "labs"))

import batch  # noqa: E402
import labs  # noqa: E402
import reports  # noqa: E402
import runner  # noqa: E402
import submission  # noqa: E402
from runner import Tools  # noqa: E402
from text import T  # noqa: E402

def _tools(args):
    for path, what in ((args.sandbox, "--sandbox"), (args.observer, "--observer")):
        if not path or not os.path.exists(path):
            raise submission.SubmissionError(f"{what}: {path!r} does not exist (build "
                                             f"//tools/grade first)")
    return Tools(os.path.abspath(args.sandbox), os.path.abspath(args.observer),
                 warp=args.warp, bound_ms=args.bound_ms)


def _settings(path):
    if not path:
        return {}
    try:
        with open(path, "rb") as f:
            settings = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise submission.SubmissionError(f"{path}: cannot read the settings: {e}") from None
    unknown = sorted(set(settings) - {"children", "build"})
    if unknown:
        raise submission.SubmissionError(f"{path}: unknown setting(s) {', '.join(unknown)} "
                                         f"(known: children, build; the lab is told from each "
                                         f"submission's sources, or --lab)")
    return settings


def grade_one(folder, tools, labs_dir, lab=None, settings=None):
    """(name, lab, rows, notes, catalog); raises SubmissionError for bad input."""
    manifest = submission.load(folder, lab)
    lab = manifest["lab"]
    own = {}
    try:  # a submission's own grade.toml (optional) wins over the course's conventions
        with open(os.path.join(folder, submission.MANIFEST), "rb") as f:
            own = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        pass
    for key, value in (settings or {}).items():
        if key not in own:
            manifest[key] = value
    try:
        catalog = reports.load_catalog(labs.LABS[lab].catalogs(labs_dir))
        rubric = reports.load_rubric(labs.LABS[lab].rubric(labs_dir), catalog)
        build_id = reports.build_id(rubric)
    except reports.RubricError as e:
        raise submission.SubmissionError(str(e)) from None
    name = os.path.basename(os.path.normpath(folder))
    scratch = tempfile.mkdtemp(prefix="grade-build-")
    if os.geteuid() == 0:  # the build's unprivileged uid reaches its copy by absolute paths too
        os.chmod(scratch, 0o711)
    try:
        build_dir = os.path.join(scratch, name)
        ok, log, made = submission.build(folder, manifest, build_dir)
        if not ok:
            why = submission.build_failure(log, made)
            verdicts = [(build_id, False, why, None)] + [
                (i, False, T("not run: the submission does not build", "未运行：提交无法编译"),
                 build_id) for i, _ in rubric if i != build_id]
            return name, lab, reports.score(rubric, verdicts), [], catalog
        bins = submission.pick_binaries(manifest, made)
        verdicts = [(build_id, True, T("ok", "通过"), None)] + \
            labs.LABS[lab].check(tools, build_dir, bins, manifest)
        notes = [f"contained by {runner.last_containment}"]
        if runner.last_containment.startswith("weak"):
            notes.append("containment is weaker here: a program that escapes its process tree "
                         "or keeps System V objects may outlive the grading")
        return name, lab, reports.score(rubric, verdicts), notes, catalog
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _single(args, tools):
    start = time.monotonic()
    name, lab, rows, notes, catalog = grade_one(args.submission, tools, args.labs, args.lab,
                                                args.settings)
    notes.append(f"graded in {time.monotonic() - start:.1f} s (time warp "
                 f"{'x' + str(tools.warp) if tools.warp else 'off'})")
    print(reports.terminal(name, lab, rows, notes, args.lang, catalog))
    reports.write_all(rows, name, lab, notes, args.json, args.junit, args.markdown, args.lang,
                      catalog)
    got, best = reports.totals(rows)
    return 0 if got == best else 1


def main(argv):
    for stream in (sys.stdout, sys.stderr):  # reasons quote Chinese output, whatever LANG says
        stream.reconfigure(encoding="utf-8", errors="replace")
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(
        prog="ipcconf grade", description=__doc__.split("\n")[0],
        epilog="Exit status: 0 full marks (batch: every submission graded), 1 graded with "
               "failed checks, 2 bad input (batch: some submission could not be graded, its "
               "row says why), 130 a batch interrupted (run it again to go on). "
               "More: tools/grade/README.md")
    one = parser.add_argument_group("one submission")
    one.add_argument("submission", nargs="?", metavar="SUBMISSION",
                     help="the folder of one submission (its sources; grade.toml optional)")
    one.add_argument("--json", metavar="FILE",
                     help="write Gradescope results.json there (default: not written)")
    one.add_argument("--junit", metavar="FILE",
                     help="write JUnit XML there (default: not written)")
    one.add_argument("--markdown", metavar="FILE",
                     help="write a Markdown report there (default: not written)")
    many = parser.add_argument_group("a whole class")
    many.add_argument("--batch", metavar="SOURCE",
                      help="grade a class: a folder of submission folders, a .zip or "
                           ".tar(.gz/.xz/.bz2) of them, or a folder of repository clones (each "
                           "lab found in its sub-folder); unchanged submissions are reused "
                           "(default: none, grade one SUBMISSION)")
    many.add_argument("-j", "--jobs", type=int, default=1, metavar="N",
                      help="submissions graded at once (default: %(default)s)")
    many.add_argument("--output", default="grades", metavar="DIR",
                      help="where scores.csv and NAME/results.json, junit.xml, REPORT.md go; "
                           "also what a rerun reuses (default: %(default)s)")
    both = parser.add_argument_group("both")
    both.add_argument("--lab", choices=submission.LABS,
                      help="the lab to grade; in a batch, only that lab's folders "
                           "(default: told from the sources)")
    both.add_argument("--warp", type=int, default=100, metavar="N",
                      help="the students' sleeps are divided by N; 0: real time "
                           "(default: %(default)s)")
    both.add_argument("--bound-ms", type=int, default=4000, metavar="MS",
                      help="how long something that should happen may take; time the programs "
                           "got no CPU does not count (default: %(default)s)")
    both.add_argument("--lang", choices=("en", "zh"), default="en",
                      help="language of the reasons in the terminal, JUnit and Markdown; "
                           "results.json always has both (default: %(default)s)")
    both.add_argument("--settings", metavar="TOML",
                      help="a course-wide TOML file of conventions for every submission "
                           "(children = 3, build = \"...\"); no per-student file is ever needed "
                           "(default: none)")
    both.add_argument("--labs", default=os.path.normpath(os.path.join(here, "..", "..", "labs")),
                      metavar="DIR",
                      help="the labs' folder: LAB/LAB.rubric and the catalogs (a course may "
                           "point at its own copy to change points) (default: %(default)s)")
    both.add_argument("--sandbox", default=os.environ.get("IPCCONF_GRADE_SANDBOX"),
                      metavar="PROGRAM",
                      help="the grade_sandbox program (default: $IPCCONF_GRADE_SANDBOX, set by "
                           "tools/ipcconf: %(default)s)")
    both.add_argument("--observer", default=os.environ.get("IPCCONF_GRADE_OBSERVER"),
                      metavar="LIBRARY",
                      help="libgrade_observer.so (default: $IPCCONF_GRADE_OBSERVER, set by "
                           "tools/ipcconf: %(default)s)")
    args = parser.parse_args(argv)
    if bool(args.submission) == bool(args.batch):
        print("ipcconf grade: give one SUBMISSION folder or --batch SOURCE (--help: the "
              "options)", file=sys.stderr)
        return 2
    try:
        args.settings = _settings(args.settings)
        tools = _tools(args)
        return batch.run(args, tools, grade_one) if args.batch else _single(args, tools)
    except submission.SubmissionError as e:
        print(f"ipcconf grade: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
