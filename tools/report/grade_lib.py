#!/usr/bin/env python3
"""Grades a student's process pool library (ipc/pool/process_pool.h) in one command.

  grade_lib.py DIR [-- BAZEL_FLAGS...]       a student's folder (BUILD with a cc_library "ipc")
  grade_lib.py //LABEL [-- BAZEL_FLAGS...]   a library of this repository (the examples in
                                              subjects/pool/, e.g. //subjects/pool/pool_correct:ipc)

Builds //conformance/pool:pool_test against the library (never from Bazel's cache), then prints
which library was tested, one line per pool assertion (passed, failed with the reason, blocked)
and the score: the assertions that hold, of all. A library that does not build is explained in
a TA's words. Run by `tools/ipcconf grade-lib`, from the repository's root.

Exit status: 0 every assertion holds; 1 some do not, or the library does not build; 2 bad input.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
from typing import List, Optional, Tuple

from build_events import read_build_events
from catalog import load_catalogs
from results import BLOCKED, FAILED, PASSED, Results
from render import first_failure_line
from verdict import Verdicts, judge

EXIT_PASSED, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
CATALOG = "conformance/pool/assertions.catalog"
TARGET = "//conformance/pool:pool_test"
SUBMISSION_LABEL = "@submission//:ipc"
BUILD_EXAMPLE = """cc_library(
    name = "ipc",
    srcs = ["process_pool.cc"],
    visibility = ["//visibility:public"],
    deps = ["@ipcconf//ipc/pool:process_pool_header"],
)"""

# (pattern in Bazel's or the compiler's output, what it means for the student). The first that
# matches a line is said once; compiler errors are quoted after it.
_DIAGNOSES = [
    (r"BUILD file not found in (directory '' of )?external repository @submission|"
     r"no such package '@submission//'",
     "{dir} has no BUILD file. The library is a Bazel package: a file named BUILD beside your "
     "sources, holding:\n" + BUILD_EXAMPLE),
    (r"no such target '@submission//:ipc'",
     "{dir}/BUILD declares no target named \"ipc\": the pool tests link the library "
     "@submission//:ipc, so name your cc_library \"ipc\" (name = \"ipc\")."),
    (r"target '@submission//:ipc' is not visible",
     "the library \"ipc\" in {dir}/BUILD is not visible to the tests: add "
     "visibility = [\"//visibility:public\"] to it."),
    (r"ipc/pool/process_pool\.h: No such file or directory",
     "the compiler cannot find ipc/pool/process_pool.h: the library \"ipc\" in {dir}/BUILD must "
     "depend on the course's header: deps = [\"@ipcconf//ipc/pool:process_pool_header\"]."),
    (r"'(ProcessPool|TaskCode|TaskRegistry|Delivery|WorkerExit)' (does not name a type|"
     r"was not declared|has not been declared)|expected class-name before",
     "the course's types are used without their namespace: the header declares them in "
     "namespace ipc (write ipc::ProcessPool, ipc::TaskCode..., or put your code in namespace "
     "ipc); the errors that follow are its consequences."),
    (r"undefined reference to [`']ipc::CreateProcessPool",
     "nothing defines ipc::CreateProcessPool: define it in namespace ipc, with the header's "
     "exact signature (is it in another namespace, misspelled, or with other parameters? is its "
     "source file listed in srcs?)."),
    (r"cannot allocate an object of abstract type|invalid new-expression of abstract class",
     "your pool class does not implement every method of ipc::ProcessPool (the compiler "
     "names the missing ones below): implement each with the header's exact signature."),
    (r"marked '?override'?, but does not override|marked .override., but does not override",
     "a method marked override has not the signature of ipc::ProcessPool's (see below): copy "
     "the declaration from ipc/pool/process_pool.h."),
]


def explain_build_failure(output: str, directory: str) -> List[str]:
    """What is wrong with a library that did not build, for the student: the diagnoses of what
    Bazel and the compiler printed (each once), then the compiler's first error lines, with the
    paths of the student's folder."""
    lines = output.splitlines()
    said: List[str] = []
    for pattern, meaning in _DIAGNOSES:
        if any(re.search(pattern, line) for line in lines):
            said.append(meaning.format(dir=directory))
    errors = [re.sub(r"(\S*/)?external/submission/", directory.rstrip("/") + "/", line)
              for line in lines if re.search(r"(error|undefined reference)", line)
              and not line.startswith(("ERROR: Build did NOT", "FAILED: Build", "INFO:"))]
    if not said:
        said.append("the library did not build; the first errors:" if errors else
                    "the library did not build, and Bazel said nothing more (its output below).")
    quoted = errors[:12] or lines[-15:]
    return said + ["", "  " + "\n  ".join(quoted)] if quoted else said


def assertion_lines(verdicts: Verdicts) -> Tuple[List[str], int, int]:
    """One line per assertion of the pool catalog, with the reason of each failure; the number
    of assertions that hold and of all."""
    out = []
    held = 0
    for assertion_id, verdict in sorted(verdicts.by_id.items()):
        status = verdict.status
        held += status == PASSED
        mark = {PASSED: "ok", FAILED: "FAILED", BLOCKED: "blocked"}.get(status, status)
        out.append(f"{mark:8} {assertion_id}: {verdict.assertion.statement}")
        if status == FAILED and verdict.failed_cases:
            case = verdict.failed_cases[0]
            out.append(f"         {case.full_name}: {first_failure_line(case)}")
        elif status == BLOCKED:
            out.append(f"         not shown: its tests rely on {', '.join(verdict.blockers)}, "
                       f"which failed")
    return out, held, len(verdicts.by_id)


def tested_implementation(log_dir: str) -> Optional[str]:
    """The library the pool tests say they were linked with (their first line of output)."""
    for root, _, files in os.walk(log_dir):
        for name in files:
            if name != "test.log":
                continue
            with open(os.path.join(root, name), encoding="utf-8", errors="replace") as f:
                for line in f:
                    m = re.match(r"pool implementation under test: (\S+)", line)
                    if m:
                        return m.group(1)
    return None


def _copy_submission(directory: str, into: str) -> List[str]:
    """Copies the student's folder (never changed) and adds what Bazel needs and the course does
    not ask for; returns what was added, to say so."""
    shutil.copytree(directory, into, symlinks=True,
                    ignore=shutil.ignore_patterns("bazel-*", ".git"))
    added = []
    if not any(os.path.exists(os.path.join(into, n)) for n in ("WORKSPACE", "WORKSPACE.bazel")):
        with open(os.path.join(into, "WORKSPACE"), "w", encoding="utf-8") as f:
            f.write('workspace(name = "submission")\n')
        added.append("an empty WORKSPACE file")
    return added


def main(argv: List[str]) -> int:
    if "-h" in argv[:1] or "--help" in argv[:1]:
        print(__doc__.strip())
        return EXIT_PASSED
    bazel_flags: List[str] = []
    if "--" in argv:
        bazel_flags = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    if len(argv) != 1 or argv[0].startswith("-") and argv[0] != "-":
        print("grade-lib: give one student folder (or a //label of this repository); "
              f"got {argv or 'nothing'}", file=sys.stderr)
        return EXIT_BAD_INPUT
    what = argv[0]
    flags = ["--nocache_test_results", "--keep_going", "--noshow_progress",
             "--test_output=summary"]
    shown = what
    with tempfile.TemporaryDirectory(prefix="ipcconf-grade-lib-") as tmp:
        if what.startswith("//"):
            label = what
        else:
            directory = os.path.abspath(what)
            if not os.path.isdir(directory):
                print(f"grade-lib: {what} is not a folder (a student's library is a folder with "
                      "a BUILD file and its sources)", file=sys.stderr)
                return EXIT_BAD_INPUT
            copy = os.path.join(tmp, "submission")
            try:
                added = _copy_submission(directory, copy)
            except OSError as e:
                print(f"grade-lib: cannot copy {directory}: {e}", file=sys.stderr)
                return EXIT_BAD_INPUT
            for thing in added:
                print(f"note: {what} has no WORKSPACE file; the copy graded got {thing}")
            label = SUBMISSION_LABEL
            flags.append(f"--override_repository=submission={copy}")
            shown = directory
        events = os.path.join(tmp, "events.json")
        command = (["bazel", "test", f"--//ipc/pool:impl={label}",
                    f"--build_event_json_file={events}"] + flags + bazel_flags + ["--", TARGET])
        print(f"grading the process pool library {shown} (bazel test {TARGET} "
              f"--//ipc/pool:impl={label}) ...", flush=True)
        run = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, errors="replace", check=False)
        results = Results()
        events_ok = os.path.exists(events) and read_build_events(events, results)
        if run.returncode == 2:
            print(f"grade-lib: bazel refused the command (exit status 2):\n{run.stdout[-3000:]}",
                  file=sys.stderr)
            return EXIT_BAD_INPUT
        if not [case for case in results.cases if not case.whole_target]:
            print(f"\nThe library {shown} could not be tested: it does not build.")
            print("\n".join(explain_build_failure(run.stdout, shown)))
            print("\nscore: 0 (the library does not build)")
            return EXIT_FAILED
        tested = tested_implementation(os.path.join("bazel-testlogs", "conformance", "pool",
                                                    "pool_test"))
        catalog, errors = load_catalogs([CATALOG])
        if errors or not events_ok:
            print("grade-lib: " + "; ".join(errors or ["the build events are unusable"]),
                  file=sys.stderr)
            return EXIT_BAD_INPUT
        print(f"library tested: {tested or '(the tests did not say: rebuilt before they ran?)'}")
        if tested != label:
            print(f"grade-lib: the tests ran against {tested}, not {label}: no grade",
                  file=sys.stderr)
            return EXIT_FAILED
        lines, held, total = assertion_lines(judge(catalog, results, None))
        print("\n".join([""] + lines + [""]))
        print(f"score: {held} of {total} assertions hold ({round(100 * held / total)} %); "
              f"test cases: {results.count(PASSED)} passed, {results.count_not_passing()} not")
        return EXIT_PASSED if held == total else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
