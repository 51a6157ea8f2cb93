"""The conformance areas, read from their one list: CONFORMANCE_AREAS in conformance/areas.bzl.

  areas.py [ROOT]     prints the areas, one per line (for tools/ipcconf and benchmarks/*.sh)
"""

import ast
import os
import sys
from typing import List

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


class AreasError(Exception):
    """conformance/areas.bzl cannot be read, or holds no literal CONFORMANCE_AREAS list."""


def conformance_areas(root: str = ROOT) -> List[str]:
    path = os.path.join(root, "conformance", "areas.bzl")
    try:
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), path)
    except (OSError, SyntaxError, UnicodeDecodeError) as e:
        raise AreasError(f"cannot read {path}: {e}") from e
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and
                getattr(node.targets[0], "id", "") == "CONFORMANCE_AREAS"):
            try:
                areas = ast.literal_eval(node.value)
            except ValueError as e:
                raise AreasError(f"{path}: CONFORMANCE_AREAS is not a list of names") from e
            if isinstance(areas, list) and areas and all(isinstance(a, str) for a in areas):
                return areas
            raise AreasError(f"{path}: CONFORMANCE_AREAS is not a list of names")
    raise AreasError(f"{path}: no CONFORMANCE_AREAS = [...]")


def main(argv: List[str]) -> int:
    try:
        print("\n".join(conformance_areas(argv[0] if argv else ROOT)))
    except AreasError as e:
        print(f"areas.py: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
