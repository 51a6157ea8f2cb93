#!/bin/bash
# Tests tools/ipcconf without running Bazel or apt-get: a copy of the script in a small repository
# under $TEST_TMPDIR, run on a PATH of our own where dpkg-query, apt-get, sudo, id and bazel are
# fakes that log their calls (bazel writes build events from tools/report/testdata).
set -uo pipefail

runfiles="${TEST_SRCDIR}/${TEST_WORKSPACE}"
testdata="${runfiles}/tools/report/testdata"
work="${TEST_TMPDIR}/work"
repo="${work}/repo"
fakes="${work}/fakes"
failures=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# --- the repository: the script, the report tool, one area's catalog ---------------------------
mkdir -p "${repo}/tools/report" "${repo}/conformance/alpha" "${fakes}"
cp -L "${runfiles}/tools/ipcconf" "${repo}/tools/"
cp -L "${runfiles}"/tools/report/*.py "${repo}/tools/report/"
cp -L "${testdata}/areas.catalog" "${repo}/conformance/alpha/assertions.catalog"
printf 'CONFORMANCE_AREAS = [\n    "alpha",\n]\n' >"${repo}/conformance/areas.bzl"

# --- the fakes ------------------------------------------------------------------------------
cat >"${fakes}/dpkg-query" <<'EOF'
#!/bin/bash
echo "dpkg-query $*" >>"$FAKE_LOG"
for wanted in "$@"; do
  [[ "$wanted" == -* ]] && continue
  while read -r package; do
    [[ "$package" == "$wanted" ]] && echo "$wanted installed"
  done <"$FAKE_INSTALLED"
done
exit 0
EOF
cat >"${fakes}/apt-get" <<'EOF'
#!/bin/bash
echo "apt-get $*" >>"$FAKE_LOG"
if [[ "$1" == install ]]; then
  for package in "$@"; do
    [[ "$package" == -* || "$package" == install ]] || echo "$package" >>"$FAKE_INSTALLED"
  done
fi
EOF
cat >"${fakes}/sudo" <<'EOF'
#!/bin/bash
echo "sudo $*" >>"$FAKE_LOG"
exec "$@"
EOF
cat >"${fakes}/id" <<'EOF'
#!/bin/bash
echo "$FAKE_UID"
EOF
cat >"${fakes}/bazel" <<'EOF'
#!/bin/bash
echo "bazel $*" >>"$FAKE_LOG"
for arg in "$@"; do
  if [[ "$arg" == --build_event_json_file=* && -n "$FAKE_EVENTS" ]]; then
    events="$(<"$FAKE_EVENTS")"
    printf '%s\n' "${events//@TESTDATA@/$FAKE_TESTDATA}" >"${arg#*=}"
  fi
done
exit "${FAKE_BAZEL_EXIT:-0}"
EOF
chmod +x "${fakes}"/*

readonly ALL_PACKAGES="bazel-bootstrap bazel-rules-java googletest libgtest-dev libgmock-dev g++
python3 zip libbenchmark-dev chromium fonts-noto-cjk"
export FAKE_LOG="${work}/calls.log" FAKE_INSTALLED="${work}/installed" FAKE_TESTDATA="${testdata}"

# Starts a scenario: which packages dpkg knows as installed, and the fakes on PATH.
scenario() {
  local installed="$1"
  shift
  local bin="${work}/bin.$RANDOM$RANDOM"
  mkdir -p "$bin"
  local tool
  for tool in dirname mktemp rm env cat python3; do
    ln -s "$(command -v "$tool")" "${bin}/${tool}"
  done
  for tool in "$@"; do ln -s "${fakes}/${tool}" "${bin}/${tool}"; done
  # shellcheck disable=SC2086  # one package per line
  printf '%s\n' $installed >"$FAKE_INSTALLED"
  : >"$FAKE_LOG"
  export FAKE_UID=0 FAKE_EVENTS="" FAKE_BAZEL_EXIT=0 IPCCONF_NO_INSTALL=""
  SCENARIO_PATH="$bin"
}

# Runs tools/ipcconf on the scenario's PATH; sets STATUS, and OUT/ERR are its output files.
ipcconf() {
  OUT="${work}/out" ERR="${work}/err"
  (cd "$work" && PATH="$SCENARIO_PATH" "${repo}/tools/ipcconf" "$@" >"$OUT" 2>"$ERR")
  STATUS=$?
}

expect_status() {
  [[ "$STATUS" == "$1" ]] || fail "$2: exit status $STATUS, expected $1 (stderr: $(<"$ERR"))"
}

expect_in() {  # FILE TEXT WHAT
  grep -qF -- "$2" "$1" || fail "$3: '$2' not in $(basename "$1"): $(<"$1")"
}

expect_not_in() {
  ! grep -qF -- "$2" "$1" || fail "$3: '$2' should not be in $(basename "$1"): $(<"$1")"
}

# --- usage ----------------------------------------------------------------------------------
scenario "$ALL_PACKAGES" dpkg-query bazel
for args in "" "frobnicate" "test --bogus" "run --bogus" "test --output x" "run --output"; do
  # shellcheck disable=SC2086  # split into arguments on purpose
  ipcconf $args
  expect_status 2 "ipcconf $args"
  expect_in "$ERR" "usage: tools/ipcconf" "ipcconf $args"
  [[ ! -s "$OUT" ]] || fail "ipcconf $args wrote to stdout: $(<"$OUT")"
done
[[ ! -s "$FAKE_LOG" ]] || fail "usage errors ran something: $(<"$FAKE_LOG")"
for args in help -h --help "test --help"; do
  # shellcheck disable=SC2086
  ipcconf $args
  expect_status 0 "ipcconf $args"
  expect_in "$OUT" "  run [--output DIR] [--profile posix|linux] [--expect NAME]" "ipcconf $args"
done

# --- missing packages and tools -------------------------------------------------------------
scenario "bazel-rules-java googletest libgmock-dev g++ python3 zip libbenchmark-dev chromium fonts-noto-cjk" \
  dpkg-query
export IPCCONF_NO_INSTALL=1
ipcconf test
expect_status 2 "IPCCONF_NO_INSTALL=1"
expect_in "$ERR" "missing packages: bazel-bootstrap libgtest-dev." "IPCCONF_NO_INSTALL=1"
expect_in "$ERR" "apt-get install -y bazel-bootstrap libgtest-dev" "IPCCONF_NO_INSTALL=1"

scenario "bazel-rules-java googletest libgmock-dev g++ python3 zip libbenchmark-dev" dpkg-query
ipcconf run
expect_status 2 "no apt-get"
expect_in "$ERR" "missing packages: bazel-bootstrap libgtest-dev, and there is no apt-get" \
  "no apt-get"

scenario "bazel-bootstrap bazel-rules-java python3 libbenchmark-dev chromium fonts-noto-cjk" dpkg-query apt-get id
export FAKE_UID=1000
ipcconf test
expect_status 2 "not root, no sudo"
expect_in "$ERR" "Not root and no sudo: as root, run apt-get update && apt-get install -y googletest libgtest-dev libgmock-dev g++ zip" "not root, no sudo"
expect_not_in "$FAKE_LOG" "apt-get" "not root, no sudo"

scenario "bazel-rules-java googletest libgtest-dev libgmock-dev python3 zip libbenchmark-dev chromium fonts-noto-cjk" \
  dpkg-query apt-get id sudo
export FAKE_UID=1000
ipcconf test
expect_status 2 "installed through sudo, then no bazel"
expect_in "$ERR" "installing bazel-bootstrap g++" "sudo install"
expected_calls="sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
apt-get update -q
sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends bazel-bootstrap g++
apt-get install -y -q --no-install-recommends bazel-bootstrap g++"
[[ "$(grep -v dpkg-query "$FAKE_LOG")" == "$expected_calls" ]] ||
  fail "sudo install: calls were: $(<"$FAKE_LOG")"
expect_in "$ERR" "bazel-bootstrap is installed but there is no 'bazel' command on PATH" \
  "installed, then no bazel"

# Only `test` needs the browser (the HTML report's check); `run` does not ask for it.
scenario "bazel-bootstrap bazel-rules-java googletest libgtest-dev libgmock-dev g++ python3 zip libbenchmark-dev" \
  dpkg-query
export IPCCONF_NO_INSTALL=1
ipcconf test
expect_status 2 "test needs chromium"
expect_in "$ERR" "missing packages: chromium fonts-noto-cjk." "test needs chromium"
ipcconf run
expect_not_in "$ERR" "chromium" "run does not need chromium"

scenario "" apt-get id
ipcconf test
expect_status 2 "no dpkg-query"
expect_in "$ERR" "no dpkg-query here" "no dpkg-query"
expect_in "$ERR" "the command bazel" "no dpkg-query"
expect_not_in "$ERR" "the command python3" "no dpkg-query"
[[ ! -s "$FAKE_LOG" ]] || fail "no dpkg-query: ran $(<"$FAKE_LOG")"

# --- running: everything installed, bazel fake ---------------------------------------------
scenario "$ALL_PACKAGES" dpkg-query apt-get bazel
export FAKE_EVENTS="${testdata}/events.json" FAKE_BAZEL_EXIT=1
ipcconf test -- --spawn_strategy=standalone --test_filter=Alpha
expect_status 1 "test with failures"
[[ "$(tail -n 1 "$OUT")" == "7 passed, 7 failed, 1 skipped" ]] ||
  fail "test with failures: last line is '$(tail -n 1 "$OUT")'"
expect_in "$OUT" "FAILED //alpha:broken_test: it did not build" "test with failures"
expect_in "$FAKE_LOG" "bazel test --keep_going --build_event_json_file=" "bazel flags"
expect_in "$FAKE_LOG" " --spawn_strategy=standalone --test_filter=Alpha -- //..." "bazel flags"
expect_not_in "$FAKE_LOG" "apt-get" "everything installed: no apt call"
expect_not_in "$FAKE_LOG" "shutdown" "not CI"

export FAKE_EVENTS="${testdata}/events_green.json" FAKE_BAZEL_EXIT=0 CI=true
ipcconf test
expect_status 0 "green test"
[[ "$(<"$OUT")" == "2 passed, 0 failed" ]] || fail "green test printed: $(<"$OUT")"
expect_in "$FAKE_LOG" "bazel shutdown" "CI=true"
unset CI

export FAKE_EVENTS="" FAKE_BAZEL_EXIT=2
ipcconf test -- --no_such_flag
expect_status 2 "bazel usage error"
[[ "$(tail -n 1 "$OUT")" == "0 passed, 1 failed" ]] ||
  fail "bazel usage error: last line is '$(tail -n 1 "$OUT")'"

export FAKE_EVENTS="${testdata}/events.json" FAKE_BAZEL_EXIT=1
ipcconf run --output reports
expect_status 1 "run with failures"
expect_in "$OUT" "alpha           3       1       1       0        0         0            0        0          1" "run summary"
expect_in "$OUT" "FAILED ALPHA.TWO (alpha, linux)" "run summary"
expect_in "$FAKE_LOG" "-- //conformance/alpha:alpha_test" "run pattern"
expect_in "$FAKE_LOG" "--nocache_test_results" "run never reports cached results"
expect_not_in "$FAKE_LOG" "//labs" "run leaves the labs to grade"
[[ -s "${work}/reports/REPORT.md" && -s "${work}/reports/junit.xml" ]] ||
  fail "run --output reports (relative to the caller) wrote no REPORT.md and junit.xml"

export FAKE_EVENTS="${testdata}/events_green.json" FAKE_BAZEL_EXIT=0
ipcconf run
expect_status 0 "green run"
[[ -s "${repo}/reports/REPORT.md" ]] || fail "run wrote no reports/REPORT.md in the repository"

# --- profiles, expectations, portable results ------------------------------------------------
export FAKE_EVENTS="${testdata}/events.json" FAKE_BAZEL_EXIT=1
ipcconf run --profile posix
expect_in "$OUT" "profile posix only" "run --profile posix"
expect_not_in "$OUT" "FAILED ALPHA.TWO" "run --profile posix (ALPHA.TWO is linux)"
ipcconf run --profile bsd
expect_status 2 "unknown profile"
[[ "$(wc -l <"$ERR")" == 1 ]] || fail "unknown profile: more than one line: $(<"$ERR")"
expect_in "$ERR" "unknown profile 'bsd' (the profiles: posix, linux)" "unknown profile"
ipcconf run --expect no-such-port
expect_status 2 "missing expectation file"
expect_in "$ERR" "no expectation file 'no-such-port'" "missing expectation file"
: >"$FAKE_LOG"
ipcconf report "${testdata}/port_results.json" --expect "${testdata}/port.expect"
expect_status 0 "report --expect with every deviation listed"
ipcconf report "${testdata}/port_results.json"
expect_status 1 "report without expectations"
ipcconf report "${testdata}/port_results.json" --expect "${testdata}/malformed.expect"
expect_status 2 "malformed expectation file"
expect_in "$ERR" "malformed.expect:2: unknown assertion id 'ALPHA.NOPE'" "malformed expectations"
ipcconf report
expect_status 2 "report without results"
! grep -q "^bazel " "$FAKE_LOG" || fail "report ran bazel: $(<"$FAKE_LOG")"

if ((failures)); then
  echo "${failures} check(s) failed" >&2
  exit 1
fi
echo "all checks passed"
