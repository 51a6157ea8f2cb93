"""The one reader of the assertion catalogs (conformance/*/assertions.catalog, labs/...).

The format: blocks of `key: value` lines separated by blank lines, `#` comment lines, indented
lines continuing the previous value; keys id, area, profile, source, statement (and optionally
statement_zh); profile is posix or linux.

The C++ test binaries do not parse catalogs: at build time `catalog.py --cc OUT CATALOG`
(harness/catalog.bzl) turns a catalog into a C++ table that registers its assertions, and
refuses a malformed catalog, naming the line, so the build fails instead of the tests.
"""

import dataclasses
import sys
from typing import Dict, List, Tuple

KEYS = ("id", "area", "profile", "source", "statement")
OPTIONAL_KEYS = ("statement_zh",)  # the statement in Chinese, for the course's students
PROFILES = ("posix", "linux")


@dataclasses.dataclass
class Assertion:
    id: str = ""
    area: str = ""
    profile: str = ""
    source: str = ""
    statement: str = ""
    statement_zh: str = ""
    origin: str = ""  # file:line of the block, for messages


def parse_catalog(text: str, origin: str) -> Tuple[List[Assertion], List[str]]:
    """Returns the assertions of one catalog text and its problems, each naming the line."""
    assertions: List[Assertion] = []
    errors: List[str] = []
    current = None
    last_key = None

    def finish():
        nonlocal current, last_key
        if current is None:
            return
        where = current.origin
        if not current.id:
            errors.append(f"{where}: block without an id")
        for key in KEYS[1:]:
            if not getattr(current, key):
                errors.append(f"{where}: {current.id or 'block'} has no {key}")
        if current.profile and current.profile not in PROFILES:
            errors.append(f"{where}: {current.id} has profile '{current.profile}' "
                          f"(must be posix or linux)")
        if current.id:
            assertions.append(current)
        current, last_key = None, None

    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            finish()
            continue
        if line.startswith("#"):
            continue
        if line[0] in " \t" and last_key:  # continuation of a long value
            setattr(current, last_key, getattr(current, last_key) + " " + line.strip())
            continue
        key, colon, value = line.partition(":")
        key = key.strip()
        if not colon:
            errors.append(f"{origin}:{number}: expected 'key: value', got '{line.strip()}'")
            continue
        if key not in KEYS + OPTIONAL_KEYS:
            errors.append(f"{origin}:{number}: unknown key '{key}'")
            continue
        if current is None:
            current = Assertion(origin=f"{origin}:{number}")
        setattr(current, key, value.strip())
        last_key = key
    finish()
    return assertions, errors


def load_catalogs(paths: List[str]) -> Tuple[Dict[str, Assertion], List[str]]:
    """Reads every catalog file; a file that cannot be read is a problem, not an exception."""
    by_id: Dict[str, Assertion] = {}
    errors: List[str] = []
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError) as e:
            errors.append(f"catalog {path}: cannot read it: {e}")
            continue
        assertions, problems = parse_catalog(text, path)
        errors.extend(problems)
        for a in assertions:
            if a.id in by_id:
                errors.append(f"{a.origin}: duplicate id {a.id} (first at {by_id[a.id].origin})")
                continue
            by_id[a.id] = a
    return by_id, errors


def _cc_string(text: str) -> str:
    """A C++ string literal of UTF-8 text (the catalog holds no control characters)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def cc_source(assertions: List[Assertion], origin: str) -> str:
    """The C++ source that registers `assertions` (harness/catalog.h) when the binary starts."""
    rows = [f"    {{{_cc_string(a.id)}, {_cc_string(a.area)}, {_cc_string(a.profile)},\n"
            f"     {_cc_string(a.source)},\n     {_cc_string(a.statement)}}},"
            for a in assertions]
    return "\n".join(
        [f"// Generated from {origin} by tools/report/catalog.py: do not edit.",
         '#include "harness/catalog.h"', "", "namespace {", "",
         "const ::ipcconf::Assertion kAssertions[] = {"] + rows +
        ["};", "",
         f"const bool kRegistered = ::ipcconf::RegisterCatalog({_cc_string(origin)}, kAssertions,",
         "                                                     sizeof kAssertions / "
         "sizeof kAssertions[0]);", "", "}  // namespace", ""])


def main(argv: List[str]) -> int:
    if len(argv) != 3 or argv[0] != "--cc":
        print("usage: catalog.py --cc OUT.cc CATALOG", file=sys.stderr)
        return 2
    out, path = argv[1], argv[2]
    by_id, errors = load_catalogs([path])
    if errors or not by_id:
        for error in errors or [f"{path}: no assertion in it"]:
            print(f"catalog.py: {error}", file=sys.stderr)
        return 1
    with open(out, "w", encoding="utf-8") as f:
        f.write(cc_source(list(by_id.values()), path))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
