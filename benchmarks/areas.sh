#!/bin/bash
# Wall and CPU time of each conformance area, for BENCHMARKS.md. Two figures per area:
#  - `bazel test //conformance/AREA/... --nocache_test_results` (the area's tests, its catalog
#    check and its defects meta-test; binaries already built): wall time, and the CPU time the
#    whole machine spent meanwhile (user+system from /proc/stat: the tests run under Bazel's
#    server, not its client, so time(1) of the client says nothing);
#  - the area's test binary run directly, once, as one process: wall, user and system CPU
#    (children included: every child is reaped), and how many test cases it ran.
# Usage: benchmarks/areas.sh [AREA...]   (default: every area of conformance/areas.bzl). Run on
# an idle machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
areas=("$@")
((${#areas[@]})) || mapfile -t areas < <(python3 tools/report/areas.py)
targets=()
for area in "${areas[@]}"; do targets+=("//conformance/${area}/..."); done
bazel build --noshow_progress "${targets[@]}" >/dev/null 2>&1
# user+system jiffies of the whole machine, in centiseconds (USER_HZ is 100 on Linux).
machine_cpu() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat; }

echo "| area | bazel test wall (s) | machine CPU meanwhile (s) | binary wall (s) | binary user CPU (s) | binary sys CPU (s) | cases |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for area in "${areas[@]}"; do
  start=$(date +%s%N)
  cpu_start=$(machine_cpu)
  bazel test --noshow_progress --nocache_test_results "//conformance/${area}/..." >/dev/null 2>&1 ||
    { echo "bazel test //conformance/${area}/... failed" >&2; exit 1; }
  wall_ms=$((($(date +%s%N) - start) / 1000000))
  cpu_cs=$(($(machine_cpu) - cpu_start))
  binary="bazel-bin/conformance/${area}/${area}_test"
  out=$(mktemp -d)
  # TEST_TMPDIR as Bazel would give; the binary makes its own IPC namespace.
  TEST_TMPDIR="$out" /usr/bin/time -f '%e %U %S' -o "$out/time" "$binary" >"$out/log" 2>&1 ||
    { echo "$binary failed (see $out/log)" >&2; exit 1; }
  read -r bwall user sys <"$out/time"
  # One line per case: "[       OK ] Name (N ms)" or "[  SKIPPED ] Name (N ms)".
  cases=$(grep -c '^\[\(       OK\|  SKIPPED\) \].* ([0-9]* ms)$' "$out/log" || true)
  printf '| %s | %d.%01d | %d.%01d | %s | %s | %s | %s |\n' "$area" $((wall_ms / 1000)) \
    $((wall_ms % 1000 / 100)) $((cpu_cs / 100)) $((cpu_cs % 100 / 10)) "$bwall" "$user" "$sys" "$cases"
  rm -rf "$out"
done
