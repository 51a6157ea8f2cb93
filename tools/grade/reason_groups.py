"""The failure reasons of a class, grouped: the same mistake made by many students is one row.

Two reasons are the same mistake when they differ only in their particulars: pids, fds, channel
numbers, statuses, sizes, paths and file names, and quoted program output. `pattern()` replaces
those with placeholders ('#' a number, '‹path›' a path, '…' in quotes what was quoted), so
"child 812 holds the write end of channel 0 (fd 4)" and "child 90 holds the write end of
channel 1 (fd 5)" are both "child # holds the write end of channel # (fd #)".
"""

import dataclasses
import re
from typing import Dict, List, Tuple

NUMBER = "#"
PATH = "‹path›"
QUOTE = "'…'"

# A quote opens where no letter or digit precedes it ("worker's" is no quote; Chinese text may
# touch it) and closes before one: Python's repr() of program output, paths, arguments.
_QUOTED = re.compile(r"""(?<![A-Za-z0-9_])(?:'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")"""
                     r"(?![A-Za-z0-9_])")
_SOURCE = r"(?:c|cc|cpp|cxx|c\+\+|C|h|hh|hpp|hxx|o)"
_PATH = re.compile(r"(?<![A-Za-z0-9_.])(?:\.{0,2}/[\w.\-+/]+|[\w\-+]+(?:/[\w.\-+]+)*\."
                   + _SOURCE + r")(?![\w/])")
_RADIX = re.compile(r"(?<![A-Za-z0-9_])0[xXoObB][0-9a-fA-F]+")
_NUMBER = re.compile(r"(?<![A-Za-z_0-9])[-+]?\d+(?:\.\d+)?")
_SIZE = re.compile(r"# ?(?:bytes|B|KiB|MiB|GiB|KB|MB|GB)\b")
_LIST = re.compile(r"#(?:, ?#)+(?: ?(?:\.\.\.|…))?")  # "channels 0, 1, 2, 0 ..."


def pattern(text):
    """The reason with its particulars replaced by placeholders."""
    text = _QUOTED.sub(QUOTE, text or "")
    text = _PATH.sub(PATH, text)
    text = _RADIX.sub(NUMBER, text)
    text = _NUMBER.sub(NUMBER, text)
    text = _SIZE.sub(f"{NUMBER} KiB", text)
    text = _LIST.sub(f"{NUMBER}, {NUMBER}, …", text)
    return re.sub(r"\s+", " ", text).strip()


@dataclasses.dataclass
class Group:
    """One mistake of one check, and the students who made it."""
    lab: str
    check_id: str
    pattern_en: str
    pattern_zh: str
    statement_en: str
    statement_zh: str
    students: List[str]
    example_en: str  # the reason of the first student (by name), as it was
    example_zh: str

    @property
    def example(self):
        return self.students[0]


def failures(students, blocked=False):
    """{lab: [Group]} of the failed checks (blocked ones instead with blocked=True), each lab's
    groups most common first, then in the rubric's order. students: [(name, lab, checks)]."""
    found: Dict[Tuple[str, str, str], Group] = {}
    order: Dict[Tuple[str, str], int] = {}  # a check's place in its lab's rubric
    for name, lab, checks in sorted(students, key=lambda s: (s[1], s[0])):
        for place, c in enumerate(checks):
            order.setdefault((lab, c["id"]), place)
            if c.get("passed") or bool(c.get("blocked_by")) != blocked:
                continue
            key = (lab, c["id"], pattern(c.get("reason_en", "")))
            group = found.get(key)
            if group is None:
                group = found[key] = Group(lab, c["id"], key[2], pattern(c.get("reason_zh", "")),
                                           c.get("statement_en", ""), c.get("statement_zh", ""),
                                           [], c.get("reason_en", ""), c.get("reason_zh", ""))
            group.students.append(name)
    by_lab: Dict[str, List[Group]] = {}
    for group in found.values():
        by_lab.setdefault(group.lab, []).append(group)
    for groups in by_lab.values():
        groups.sort(key=lambda g: (-len(g.students), order[(g.lab, g.check_id)], g.pattern_en))
    return by_lab
