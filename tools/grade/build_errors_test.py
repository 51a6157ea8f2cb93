"""tools/grade/build_errors.py: what the student is told when a build fails or makes no program.

Each test builds a tiny broken submission (gcc, g++ and make from the host) and reads the
reason, in English and Chinese. Nothing built here is ever run.

    python3 tools/grade/build_errors_test.py
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import build_errors as E  # noqa: E402
import submission as S  # noqa: E402
from submission_testlib import POOL_C, Base  # noqa: E402
import unittest_junit  # noqa: E402  (cases counted one by one under Bazel)


class BuildErrors(Base):
    """What the student is told when the build fails or makes no program."""

    def test_compile_error_shows_the_error_with_its_context_in_utf8(self):
        folder = self.submission({
            "pool.c": POOL_C,
            "otro.c": ('#include <stdio.h>\nint main(void) {\n'
                       '  puts("canción ñandú")\n  return 0;\n}\n'),
            "Makefile": "all: pool otro\npool: pool.c\n\tgcc -o pool pool.c\n"
                        "otro: otro.c\n\tgcc -o otro otro.c\n",
        })
        _, ok, log, made = self.build(folder)
        self.assertFalse(ok)  # a compile error: never graded, even though pool was made
        reason = E.build_failure(log, made)
        lines = reason.splitlines()
        self.assertRegex(lines[0], r"^does not compile: otro\.c: In function|"
                                   r"^does not compile: otro\.c:3:\d+: error: ")
        self.assertRegex(reason, r"otro\.c:3:\d+: error: expected ‘;’")
        self.assertIn('puts("canción ñandú")', reason)
        self.assertTrue(any(l.strip().startswith("|") and "^" in l for l in lines), reason)
        self.assertNotIn("\ufffd", reason)
        self.assertNotIn("made no program", reason)
        self.assertLessEqual(len(lines), E.ERROR_LINES)

    def test_link_error_shows_undefined_reference(self):
        folder = self.submission({
            "pool.c": POOL_C.replace('puts("BUILT_FROM_SOURCE");', "helper();").replace(
                "#include <stdio.h>", "#include <stdio.h>\nvoid helper(void);"),
        })
        _, ok, log, made = self.build(folder)
        self.assertFalse(ok)
        reason = E.build_failure(log, made)
        self.assertTrue(reason.startswith("does not compile: "), reason)
        self.assertIn("undefined reference to `helper'", reason)
        self.assertIn("in function `main'", reason)

    def test_make_error_shown_when_nothing_can_be_compiled(self):
        folder = self.submission({
            "helper.c": "int helper(void) { return 1; }\n",
            "pool.c": POOL_C,
            "Makefile": "pool: pool.c\n    gcc -o pool pool.c\n",
        })
        os.unlink(os.path.join(folder, "pool.c"))
        manifest = {"lab": "process_pool", "binaries": {}, "args": {}, "children": 3,
                    "fifo_path": "lab.fifo"}
        _, ok, log, made = self.build(folder, manifest=manifest)
        self.assertFalse(ok)
        self.assertEqual(E.build_failure(log, made),
                         "does not build: Makefile:2: *** missing separator.  Stop.")

    def test_made_no_program_says_what_the_build_printed(self):
        folder = self.submission({"pool.c": POOL_C, "Makefile": "all:\n"})
        _, ok, log, made = self.build(folder)
        self.assertFalse(ok)
        reason = E.build_failure(log, made)
        self.assertEqual(reason, "the build made no program; it printed: "
                                 "make: Nothing to be done for 'all'.")
        self.assertEqual(reason.zh, "编译没有生成任何程序；它输出了："
                                    "make: Nothing to be done for 'all'.")

    def test_reasons_in_chinese_quote_the_same_errors(self):
        folder = self.submission({"pool.c": POOL_C.replace("return 0;\n}", "return 0\n}")})
        _, ok, log, made = self.build(folder)
        self.assertFalse(ok)
        reason = E.build_failure(log, made)
        self.assertTrue(reason.startswith("does not compile: pool.c:"), reason)
        self.assertEqual(reason.zh, "无法编译：" + reason[len("does not compile: "):])

    def test_first_errors_is_bounded(self):
        log = "\n".join(f"x.c:{i}:1: error: bad thing {i}\n    {i} | code\n      | ^" for i in
                        range(1, 40))
        self.assertLessEqual(len(E.first_errors(log).splitlines()), E.ERROR_LINES)
        self.assertTrue(E.first_errors(log).startswith("x.c:1:1: error: bad thing 1"))

    def test_junk_only_and_direct_compile_of_junk(self):
        folder = self.submission({"junk.c": b"\x00\x01int main(){\xff\xfe" * 1000})
        with self.assertRaisesRegex(S.SubmissionError, "cannot tell the lab"):
            S.load(folder)
        _, ok, log, made = self.build(folder, lab="fifo")
        self.assertFalse(ok)
        reason = E.build_failure(log, made)
        self.assertTrue(reason.startswith("does not compile: junk.c:1:"), reason)
        width = 200 + len("does not compile: ")
        self.assertLessEqual(max(len(l) for l in reason.splitlines()), width)


if __name__ == "__main__":
    unittest_junit.main()
