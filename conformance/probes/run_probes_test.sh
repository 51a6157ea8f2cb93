#!/bin/bash
# Runs every probe given as an argument natively, printing its output; fails naming each probe
# that did not exit 0 (1: it saw a deviation, 2: it could not run), with what it printed.
set -u
if [[ $# -eq 0 ]]; then
  echo "FAIL: no probe was given to run" >&2
  exit 1
fi
failed=()
for probe in "$@"; do
  name=$(basename "$probe")
  # A probe bounds its own waits (10 s each); this bound only guards against a probe's own bug.
  output=$(timeout 60 "$probe" 2>&1)
  status=$?
  echo "== $name (exit $status)"
  echo "$output"
  if [[ $status -ne 0 ]]; then
    failed+=("$name exited $status: $output")
  fi
done
if [[ ${#failed[@]} -gt 0 ]]; then
  echo >&2
  printf 'FAIL: %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "all $# probes saw the expected behaviour"
