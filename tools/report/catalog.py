"""Reads the assertion catalogs (conformance/*/assertions.catalog).

The format is the one harness/catalog.cc reads: blocks of `key: value` lines separated by blank
lines, `#` comment lines, indented lines continuing the previous value; keys id, area, profile,
source, statement; profile is posix or linux.
"""

import dataclasses
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
