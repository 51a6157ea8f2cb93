"""Reads the JSON results a conformance binary writes with --ipcconf_results_json (the portable
binary on a port; see harness/results_json.h). The file carries the catalog the binary was built
with, so it can be rendered on a host without the port's tree.
"""

import dataclasses
import json
from typing import Dict, List, Tuple

from catalog import Assertion
from results import (BLOCKED, BROKEN, FAILED, PASSED, SKIPPED, UNSUPPORTED, Results, TestCase,
                     blocked_message)

FORMAT = "ipcconf-results"
VERSION = 1
STATUSES = (PASSED, FAILED, SKIPPED, UNSUPPORTED, BROKEN, BLOCKED)


class ResultsFileError(Exception):
    """A results file that cannot be used at all; the message is one line naming the file."""


@dataclasses.dataclass
class Run:
    path: str
    machine: str
    complete: bool
    results: Results
    catalog: Dict[str, Assertion]


def _field(obj: dict, key: str, kind, path: str, where: str):
    value = obj.get(key)
    if not isinstance(value, kind):
        raise ResultsFileError(f"{path}: {where} has no valid '{key}'")
    return value


def read_results_json(path: str) -> Run:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except OSError as e:
        raise ResultsFileError(f"{path}: cannot read it: {e.strerror or e}") from e
    except (ValueError, UnicodeDecodeError) as e:
        raise ResultsFileError(f"{path}: not a JSON results file ({e})") from e
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ResultsFileError(f"{path}: not an ipcconf results file (no \"format\": "
                               f"\"{FORMAT}\")")
    version = data.get("version")
    if version != VERSION:
        raise ResultsFileError(f"{path}: results format version {version!r}, but this report "
                               f"tool reads version {VERSION}: render it with the tools/ of the "
                               f"checkout the binary was built from")
    catalog: Dict[str, Assertion] = {}
    for i, entry in enumerate(_field(data, "catalog", list, path, "the file")):
        where = f"catalog entry {i + 1}"
        if not isinstance(entry, dict):
            raise ResultsFileError(f"{path}: {where} is not an object")
        a = Assertion(*(_field(entry, k, str, path, where)
                        for k in ("id", "area", "profile", "source", "statement")),
                      origin=f"{path} (catalog of the binary)")
        catalog[a.id] = a
    results = Results()
    results.problems.extend(str(p) for p in data.get("problems", []))
    binary = str(data.get("binary", path))
    for i, test in enumerate(_field(data, "tests", list, path, "the file")):
        where = f"test {i + 1}"
        if not isinstance(test, dict):
            raise ResultsFileError(f"{path}: {where} is not an object")
        name = _field(test, "name", str, path, where)
        status = _field(test, "status", str, path, where)
        if status not in STATUSES:
            raise ResultsFileError(f"{path}: {where} ({name}) has unknown status '{status}'")
        suite, _, rest = name.partition(".")
        message = str(test.get("message", ""))
        if status == BLOCKED:  # what failed after the block is its consequence: the root is news
            message = blocked_message(str(test.get("blocked_by", "?")), str(test.get("probe", "")))
        results.cases.append(TestCase(
            binary, suite, rest, status, [str(a) for a in test.get("assertions", [])],
            message, float(test.get("time_ms", 0)) / 1000.0,
            probe=str(test.get("probe", "")), blocked_by=str(test.get("blocked_by", ""))))
    complete = bool(data.get("complete", False))
    if not complete:
        results.problems.append(f"{path}: the run did not complete (the binary was stopped); "
                                f"these are the results it had")
    return Run(path, str(data.get("machine", "unknown machine")), complete, results, catalog)


def merged_catalog(runs: List[Run]) -> Tuple[Dict[str, Assertion], List[str]]:
    """The union of the runs' catalogs; an id whose statement differs is named once."""
    merged: Dict[str, Assertion] = {}
    notes: List[str] = []
    for run in runs:
        for i, a in run.catalog.items():
            if i in merged and merged[i].statement != a.statement:
                notes.append(f"{i}: the statement differs between the binaries' catalogs")
            merged.setdefault(i, a)
    return merged, notes
