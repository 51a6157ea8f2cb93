"""Reads Bazel's --build_event_json_file: which test targets this build had, and the fresh
test.xml of each one that ran.

Only the build events say which test.xml belongs to this run: after a target fails to build,
its old test.xml stays in bazel-testlogs, so nothing here looks there. A test target without a
fresh test.xml (failed to build or analyse, stopped by the build, no file) is one failed case
named after the target; so is a package whose BUILD file has errors (its tests are unknown).
"""

import dataclasses
import json
import os
import re
import urllib.parse
from typing import Dict, List, Tuple

from results import Results, read_xml, whole_target_failure


@dataclasses.dataclass
class _Target:
    label: str
    build_failure: str = ""  # why it did not build
    attempts: Dict[Tuple[int, int], Tuple[int, str, str]] = dataclasses.field(
        default_factory=dict)  # (run, shard) -> (attempt, status, test.xml path)


def _path_of(uri: str) -> str:
    if uri.startswith("file:"):
        return urllib.parse.unquote(urllib.parse.urlparse(uri).path)
    return uri


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


class _Reader:
    def __init__(self, results: Results):
        self.results = results
        self.targets: Dict[str, _Target] = {}
        self.aborted_labels: Dict[str, str] = {}  # dependency that failed -> why
        self.aborted_targets: Dict[str, Tuple[str, List[str]]] = {}  # reason, its children
        self.stderr: List[str] = []  # bazel's messages, in pieces

    def event(self, event: dict) -> None:
        kind, key = next(iter(event["id"].items()))
        label = key.get("label", "") if isinstance(key, dict) else ""
        if kind == "targetConfigured" and "testSize" in event.get("configured", {}):
            self.targets.setdefault(label, _Target(label))
        elif kind in ("configuredLabel", "unconfiguredLabel") and "aborted" in event:
            self.aborted_labels[label] = _first_line(event["aborted"].get("description", ""))
        elif kind == "targetCompleted":
            self._completed(label, event)
        elif kind == "testResult" and "testResult" in event:
            self._test_result(label, key, event["testResult"])
        elif kind == "progress":
            self.stderr.append(event.get("progress", {}).get("stderr", ""))
        elif kind == "buildFinished":
            code = event.get("finished", {}).get("exitCode", {})
            self.results.bazel_exit = (code.get("name", "SUCCESS"), int(code.get("code", 0)))

    def _completed(self, label: str, event: dict) -> None:
        if "aborted" in event:
            children = [next(iter(c.values())).get("label", "") for c in event.get("children", [])]
            reason = event["aborted"].get("description") or event["aborted"].get("reason", "")
            self.aborted_targets[label] = (_first_line(reason), children)
        elif not event.get("completed", {}).get("success") and label in self.targets:
            detail = _first_line(event["completed"].get("failureDetail", {}).get("message", ""))
            self.targets[label].build_failure = detail or "failed"

    def _test_result(self, label: str, key: dict, result: dict) -> None:
        if label not in self.targets:
            return
        outputs = {o.get("name"): o.get("uri", "") for o in result.get("testActionOutput", [])}
        where = (key.get("run", 1), key.get("shard", 1))
        attempt = key.get("attempt", 1)
        previous = self.targets[label].attempts.get(where)
        if previous is None or previous[0] <= attempt:  # a retry replaces a flaky attempt
            self.targets[label].attempts[where] = (
                attempt, result.get("status", "NO_STATUS"), _path_of(outputs.get("test.xml", "")))

    def finish(self) -> None:
        for label, (reason, children) in self.aborted_targets.items():
            if label in self.targets:
                causes = [f"{c}: {self.aborted_labels[c]}" for c in children
                          if self.aborted_labels.get(c)]
                self.targets[label].build_failure = "; ".join([reason] + causes)
        for label in sorted(self.targets):
            _add_target(self.targets[label], self.results)
        self._broken_packages()

    def _broken_packages(self) -> None:
        """A BUILD file with errors hides its tests from the build: one failed case each."""
        text = re.sub(r"\x1b\[[0-9;]*m", "", "".join(self.stderr))  # without colours
        errors = [line for line in text.splitlines() if line.startswith("ERROR: ")]
        packages = []
        for line in errors:
            m = re.match(r"ERROR: package contains errors: (\S+)", line)
            if m and m.group(1) not in packages:
                packages.append(m.group(1))
        for package in packages:
            detail = next((e for e in errors if f"/{package}/BUILD" in e),
                          f"ERROR: package contains errors: {package}")
            self.results.cases.append(whole_target_failure(
                f"//{package}", f"its BUILD file has errors, so its tests did not run: "
                                f"{detail[len('ERROR: '):]}"))


def read_build_events(path: str, results: Results) -> bool:
    """Adds the cases of every test target in a build events file. False if unreadable."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.readlines()
    except (OSError, UnicodeDecodeError) as e:
        results.problems.append(f"build events {path}: cannot read them: {e}")
        return False
    reader = _Reader(results)
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            reader.event(json.loads(line))
        except (ValueError, KeyError, StopIteration, AttributeError, TypeError) as e:
            results.problems.append(f"build events {path}:{number}: not a build event ({e})")
    reader.finish()
    return True


def _add_target(target: _Target, results: Results) -> None:
    if not target.attempts:
        why = (f"it did not build: {target.build_failure}; see bazel's output"
               if target.build_failure else "it did not run (the build stopped before it)")
        results.cases.append(whole_target_failure(target.label, why))
        return
    shards = len({shard for _, shard in target.attempts})
    for (_, shard), (_, status, xml) in sorted(target.attempts.items()):
        where = f"shard {shard} of {shards}: " if shards > 1 else ""
        if not xml or not os.path.exists(xml):
            results.cases.append(whole_target_failure(
                target.label, f"{where}{status}, and it left no test.xml"
                              f"{f' (no {xml})' if xml else ''}"))
            continue
        failed_before = results.count_not_passing()
        read_xml(xml, target.label, results)
        if status not in ("PASSED", "FLAKY") and results.count_not_passing() == failed_before:
            # The binary exited non-zero although its cases passed (e.g. a crash at exit).
            results.cases.append(whole_target_failure(
                target.label, f"{where}Bazel says {status} although no test case in "
                              f"{xml} failed; see its test.log"))
