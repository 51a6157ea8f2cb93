"""What the student is told when the build fails: its first real errors (compiler, linker,
make, shell), clipped, or that it made no program or ran too long; in English and Chinese."""

import re

ERROR_LINES = 12
NO_PROGRAM = "the build made no program; it printed: "
NO_MAIN = "no source file has a main()"

_DRIVER = re.compile(r"^(?:\S*/)?(?:gcc|g\+\+|cc|c\+\+|clang\S*|\S+-gcc(?:-\d+)?|"
                     r"\S+-g\+\+(?:-\d+)?|gcc-\d+|g\+\+-\d+|cc1\S*|collect2|ld|\S*/ld): "
                     r"(?:fatal )?error: ")
_MAKE_ERROR = re.compile(r"^(?:\S*make(?:\[\d+\])?: \*\*\* |[^\s:][^:\n]*:\d+: \*\*\* )")
_SHELL_ERROR = re.compile(r"^(?:/bin/sh|sh|bash|make(?:\[\d+\])?)(?:: \d+)?: .*"
                          r"(?:not found|No such file|cannot|Permission denied|"
                          r"Directory nonexistent)|^\S+: cannot (?:create|open|remove) ")
_CONTEXT = re.compile(r"^(?:\s|\s*\d+\s*\|)|: note: |^[^\s:][^:\n]*:\d+(?::\d+)?: note")
_LEAD = re.compile(r"^(?:In file included from |\s+from |[^\s:][^:\n]*: In (?:member )?"
                   r"(?:function|constructor|destructor|instantiation|lambda|static|"
                   r"substitution)|.*: in function [`'‘])")
_DIAGNOSTIC = re.compile(r"^[^\s:][^:\n]*:\d+(?::\d+)?: (?:fatal )?error: ", re.M)
_LINKER = re.compile(r"undefined reference to|multiple definition of|"
                     r"relocation [^\n]* against", re.M)


def compiler_errors(text):
    """Compiler and linker errors in text (what a Makefile cannot be blamed for)."""
    return bool(_DIAGNOSTIC.search(text) or _LINKER.search(text))


def output_lines(log):
    return [l for l in log.splitlines() if not l.startswith(("[grade] ", "$ "))]


def first_errors(log, lines=ERROR_LINES):
    """The first real errors of the build's output, at most `lines` lines: the compiler's
    `file:line:col: error:` lines with what follows them (source line, caret, notes), the
    linker's `undefined reference` lines, else make's own errors (`*** ...`), the driver's and
    the shell's; else the last lines printed."""
    text = output_lines(log)
    taken = []

    def take(index):
        start = index
        while start > 0 and _LEAD.match(text[start - 1]) and index - start < 3:
            start -= 1
        end = index + 1
        while end < len(text) and _CONTEXT.match(text[end]) and \
                not _DIAGNOSTIC.match(text[end]) and end - index <= 6:
            end += 1
        block = [i for i in range(start, end) if i not in taken]
        if not taken or len(taken) + len(block) <= lines:  # whole blocks after the first
            taken.extend(block)

    real = [i for i, l in enumerate(text) if _DIAGNOSTIC.match(l) or
            re.search(r"undefined reference to|multiple definition of", l)]
    if not real:
        real = [i for i, l in enumerate(text) if _DRIVER.match(l) and
                "ld returned" not in l] or \
               [i for i, l in enumerate(text) if _SHELL_ERROR.match(l) or
                re.search(r"cannot open output file|cannot find -l", l)] or \
               [i for i, l in enumerate(text) if _MAKE_ERROR.match(l)] or \
               [i for i, l in enumerate(text) if "error" in l.lower()]
    for i in real:
        if len(taken) >= lines:
            break
        take(i)
    shown = [text[i] for i in taken] or [l for l in text if l.strip()][-4:] or ["(no output)"]
    return "\n".join(_clip(l.rstrip()) for l in shown[:lines])


def _clip(line, width=200):
    return line if len(line) <= width else line[:width - 1] + "…"


def last_lines(text, n=3):
    lines = [_clip(l.strip()) for l in text.splitlines() if l.strip() and not l.startswith("$ ")]
    return " / ".join(lines[-n:]) if lines else "nothing"


def build_failure(log, made=None):
    """Why the build gets no marks, for the student, in English and Chinese (a text.T, which is
    a str): the errors, what a build that made no program printed, or that it ran too long."""
    from text import T
    notes = [l[len("[grade] "):] for l in log.splitlines() if l.startswith("[grade] ")]
    if notes and notes[-1] == "outcome: no-program":
        said = [n for n in notes if n.startswith(NO_PROGRAM)]
        said = said[-1][len(NO_PROGRAM):] if said else "nothing"
        said_zh = "没有任何源文件含有 main()" if said == NO_MAIN else said
        return T(f"{NO_PROGRAM}{said}", f"编译没有生成任何程序；它输出了：{said_zh}")
    for note in notes:
        found = re.fullmatch(r"stopped: the build ran longer than (\d+) s", note)
        if found:
            return T(f"the build ran longer than {found[1]} s", f"编译运行超过 {found[1]} 秒")
    errors = first_errors(log)
    if compiler_errors(errors):
        return T("does not compile: " + errors, "无法编译：" + errors)
    return T("does not build: " + errors, "无法构建：" + errors)
