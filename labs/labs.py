"""The course's labs, each specified once in its own folder (labs/LAB/):

  assertions.catalog  what is judged, each assertion with its source and statement (en, zh);
  LAB.rubric          points per assertion (ids checked against the catalogs);
  LAB_checks.py       the scenario runs (how the lab is observed) and the checks that judge them.

labs/assertions.catalog holds what every lab shares (PROG.ANY.*). The grader reads only this
module; the sample submissions and the reference answers are judged through it.
"""

import os
import sys
from dataclasses import dataclass

HERE = os.path.dirname(os.path.abspath(__file__))
for _folder in ("pool", "fifo", "shm", ""):
    sys.path.insert(0, os.path.join(HERE, _folder))
sys.path.insert(0, os.path.join(HERE, "..", "tools", "grade"))  # runner, text: the mechanism

import fifo_checks  # noqa: E402
import pool_checks  # noqa: E402
import shm_checks  # noqa: E402
from lab_common import GraderError  # noqa: E402  (raised by every lab's checks)

__all__ = ["GraderError", "LABS", "Lab"]


@dataclass(frozen=True)
class Lab:
    name: str      # as --lab and the manifests say it
    folder: str    # labs/FOLDER
    check: object  # check(tools, build_dir, bins, settings) -> [verdict]

    def catalogs(self, labs_dir=HERE):
        return [os.path.join(labs_dir, "assertions.catalog"),
                os.path.join(labs_dir, self.folder, "assertions.catalog")]

    def rubric(self, labs_dir=HERE):
        return os.path.join(labs_dir, self.folder, f"{self.folder}.rubric")


LABS = {lab.name: lab for lab in (
    Lab("process_pool", "pool", pool_checks.check_pool),
    Lab("fifo", "fifo", fifo_checks.check_fifo),
    Lab("shm", "shm", shm_checks.check_shm),
)}
