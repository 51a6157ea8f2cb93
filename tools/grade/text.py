"""Text of the grader's reasons, in English and Chinese (the course's students read Chinese).

A T is a str (its English text) that also carries its Chinese text in `.zh`. Program output is
quoted as UTF-8, cut to a few lines and characters, never decoded as anything else.
"""


class T(str):
    """English text with its Chinese translation: str(t) is English, t.zh Chinese."""

    def __new__(cls, en, zh=None):
        obj = super().__new__(cls, en)
        obj.zh = en if zh is None else zh
        return obj

    @property
    def en(self):
        return str(self)

    def lang(self, lang):
        return self.zh if lang == "zh" else str(self)


def join(items, sep_en, sep_zh):
    return T(sep_en.join(i.en for i in items), sep_zh.join(i.zh for i in items))


def excerpt(text, lines=3, chars=160, tail=False):
    """A short quote of a program's output: its first (or last) non-empty lines, as they are."""
    rows = [r.strip() for r in (text or "").splitlines() if r.strip()]
    if tail:
        rows = rows[-(lines + 1):-1] or rows[-1:]  # the very last line may be cut by the cap
    else:
        rows = rows[:lines]
    quoted = " | ".join(rows)
    if len(quoted) > chars:
        quoted = quoted[:chars] + "…"
    return repr(quoted) if quoted else "(nothing)"
