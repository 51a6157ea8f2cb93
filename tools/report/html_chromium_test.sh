#!/bin/bash
# The HTML report as a person sees it: renders a reference-vs-port comparison with the report
# tool, loads the page in headless Chromium (Debian's chromium) and checks the DOM it built for
# what a reader looks for: the matrix cells, the counts, a failure with its statement, source
# and diagnosis. Skipped (and says so) when chromium is not installed.
set -uo pipefail

runfiles="${TEST_SRCDIR}/${TEST_WORKSPACE}"
testdata="${runfiles}/tools/report/testdata"
work="${TEST_TMPDIR}/html"
mkdir -p "$work"

browser="$(command -v chromium || command -v chromium-browser || true)"
if [[ -z "$browser" ]]; then
  echo "SKIPPED: chromium not installed (apt-get install chromium); the page was not checked"
  # Bazel reads a skipped test from XML_OUTPUT_FILE.
  cat >"${XML_OUTPUT_FILE:-/dev/null}" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="1" skipped="1"><testsuite name="html_chromium_test" tests="1" skipped="1">
<testcase classname="HtmlReport" name="SeenInChromium"><skipped message="chromium not installed"/></testcase>
</testsuite></testsuites>
XML
  exit 0
fi

page="${work}/report.html"
python3 "${runfiles}/tools/report/ipcconf_report.py" report \
  "${testdata}/reference_results.json" "${testdata}/port_results.json" \
  --expect "${testdata}/port.expect" --html "$page" >"${work}/report.out" || {
  echo "FAIL: the report tool did not render the page (exit $?):"
  cat "${work}/report.out"
  exit 1
}

# A fresh profile, no network, no first-run UI; --dump-dom prints the DOM after loading.
flags=(--headless --no-sandbox --disable-gpu --disable-dev-shm-usage
  --disable-background-networking --disable-component-update --disable-sync --no-first-run
  --user-data-dir="${work}/profile")
export HOME="$work"
timeout 60 "$browser" "${flags[@]}" --dump-dom "file://${page}" >"${work}/dom.html" \
  2>"${work}/chromium.err"
status=$?
if [[ $status -ne 0 || ! -s "${work}/dom.html" ]]; then
  echo "FAIL: chromium exited $status and printed no DOM:"
  tail -20 "${work}/chromium.err"
  exit 1
fi

failures=0
expect() {  # TEXT WHAT
  grep -qF -- "$1" "${work}/dom.html" || {
    echo "FAIL: $2: '$1' not in the page Chromium loaded"
    failures=$((failures + 1))
  }
}
expect "<h2>Matrix: areas x assertions</h2>" "the matrix heading"
expect 'title="ALPHA.TWO: expected"' "the port's matrix cell for the expected deviation"
expect 'title="ALPHA.TWO: passed"' "the reference's matrix cell"
expect 'title="BETA.ONE: expected"' "the unsupported assertion the port expects"
expect "The second alpha assertion &lt;b&gt;escaped&lt;/b&gt;." "the statement, escaped"
expect "<b>Source:</b> man 7 pipe" "the source of the failed assertion"
expect "Actual: it returned 0 at once" "the diagnosis"
expect "the port's pipe returns 0 at once on an empty pipe (bug 42)" "the expectation's reason"
expect "probe: pipe2(O_DIRECT) -&gt; EINVAL" "the probe of the unsupported case"
grep -q "<script" "$page" && { echo "FAIL: the page has a script"; failures=$((failures + 1)); }
grep -Eq "(src|href)=\"?https?:" "$page" && {
  echo "FAIL: the page loads something from the network"
  failures=$((failures + 1))
}
if ((failures)); then
  exit 1
fi
echo "the page shows the matrix, the counts and each deviation with statement, source, diagnosis"
