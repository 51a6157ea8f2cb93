#!/usr/bin/env python3
"""A synthetic class for measuring `tools/ipcconf grade --batch` at scale (BENCHMARKS.md).

  benchmarks/class_of.py N OUT     writes N submission folders into OUT (which must not exist)

The sample submissions (subjects/submissions, the bad_* ones left out) are repeated in turn,
each copy with a small change a real class has too: a comment naming the student at the top of
every C source, so that no two submissions are the same file by file (nothing is graded once for
many). Student k is `student_KKK_SAMPLE`. Exit status 2 on bad input, with one line.
"""

import os
import shutil
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
SAMPLES = os.path.join(ROOT, "subjects", "submissions")


def main(argv):
    if len(argv) != 2 or not argv[0].isdigit() or int(argv[0]) < 1:
        print("usage: class_of.py N OUT (N >= 1 submissions; OUT must not exist)",
              file=sys.stderr)
        return 2
    count, out = int(argv[0]), argv[1]
    if os.path.exists(out):
        print(f"class_of.py: {out} exists; give a new folder", file=sys.stderr)
        return 2
    samples = sorted(n for n in os.listdir(SAMPLES)
                     if os.path.isdir(os.path.join(SAMPLES, n)) and not n.startswith("bad_"))
    os.makedirs(out)
    for k in range(count):
        sample = samples[k % len(samples)]
        folder = os.path.join(out, f"student_{k:03d}_{sample}")
        shutil.copytree(os.path.join(SAMPLES, sample), folder, symlinks=False,
                        ignore=shutil.ignore_patterns("expected.json"))
        for root, _, files in os.walk(folder):
            for name in files:
                if name.endswith((".c", ".cc", ".cpp", ".h")):
                    path = os.path.join(root, name)
                    with open(path, "rb") as f:
                        text = f.read()
                    with open(path, "wb") as f:
                        f.write(f"/* student {k:03d} */\n".encode() + text)
    print(f"{count} submissions from {len(samples)} samples in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
