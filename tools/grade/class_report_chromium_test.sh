#!/bin/bash
# The class report as a teacher sees it: a made-up class (class_report_testlib.py, written by
# reports.write_all with the real catalogs) -> class_report.py -> headless Chromium (Debian's
# chromium). Checks a screenshot is a non-blank PNG of the window's size, and the DOM Chromium
# built for the sections, the "k of n" counts, the grouped reasons, the escaping and the links
# (each to a student page that exists). The screenshot and the DOM are kept in the test's
# undeclared outputs. Skipped (and says so) when chromium is not installed.
set -uo pipefail

runfiles="${TEST_SRCDIR}/${TEST_WORKSPACE}"
grade="${runfiles}/tools/grade"
work="${TEST_TMPDIR}/class"
kept="${TEST_UNDECLARED_OUTPUTS_DIR:-$work}"
mkdir -p "$work/out" "$kept"

browser="$(command -v chromium || command -v chromium-browser || true)"
if [[ -z "$browser" ]]; then
  echo "SKIPPED: chromium not installed (apt-get install chromium); the page was not checked"
  cat >"${XML_OUTPUT_FILE:-/dev/null}" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="1" skipped="1"><testsuite name="class_report_chromium_test" tests="1" skipped="1">
<testcase classname="ClassReport" name="SeenInChromium"><skipped message="chromium not installed"/></testcase>
</testsuite></testsuites>
XML
  exit 0
fi

out="${work}/out"
python3 "${grade}/class_report_testlib.py" "$out" || {
  echo "FAIL: the made-up class could not be written"
  exit 1
}
page="$(python3 "${grade}/class_report.py" "$out")" || {
  echo "FAIL: class_report.py did not write the page (exit $?)"
  exit 1
}

# A fresh profile, no network, no first-run UI.
flags=(--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --hide-scrollbars
  --disable-background-networking --disable-component-update --disable-sync --no-first-run
  --user-data-dir="${work}/profile")
export HOME="$work"
width=1280 height=2000
timeout 60 "$browser" "${flags[@]}" --window-size="${width},${height}" \
  --screenshot="${kept}/class.png" "file://${page}" >"${work}/shot.out" 2>&1
status=$?
if [[ $status -ne 0 || ! -s "${kept}/class.png" ]]; then
  echo "FAIL: chromium exited $status and made no screenshot:"
  tail -20 "${work}/shot.out"
  exit 1
fi
python3 "${grade}/screenshot_testlib.py" "${kept}/class.png" "$width" "$height" || {
  echo "FAIL: the screenshot is not the page"
  exit 1
}

timeout 60 "$browser" "${flags[@]}" --dump-dom "file://${page}" >"${kept}/class.dom.html" \
  2>"${work}/dom.err"
status=$?
if [[ $status -ne 0 || ! -s "${kept}/class.dom.html" ]]; then
  echo "FAIL: chromium exited $status and printed no DOM:"
  tail -20 "${work}/dom.err"
  exit 1
fi

failures=0
expect() {  # TEXT WHAT
  grep -qF -- "$1" "${kept}/class.dom.html" || {
    echo "FAIL: $2: '$1' not in the page Chromium rendered"
    failures=$((failures + 1))
  }
}
for section in distribution pass-rates common-reasons students ungraded; do
  expect "id=\"${section}\"" "the section ${section}"
done
expect 'class="histogram" data-lab="process_pool"' "the pool's histogram"
expect 'class="histogram" data-lab="fifo"' "the fifo lab's histogram"
expect '<g class="bin" data-range="90–100" data-count="4">' "the fifo lab's top bar: 4 students"
expect '<tr data-id="PROG.POOL.NO_FOREIGN_WRITE_END"><td><code>PROG.POOL.NO_FOREIGN_WRITE_END</code></td>' \
  "the pass rate row of the write-end check"
expect '<td class="n">4 of 12 <span lang="zh-CN">（12 人中 4 人）</span></td>' \
  "4 of 12 pass the write-end check"
expect '<td class="n">7 of 12 <span lang="zh-CN">（12 人中 7 人）</span></td>' \
  "7 of 12 keep other channels' write ends"
expect 'child <span class="ph">#</span> holds the write end of channel <span class="ph">#</span> (fd <span class="ph">#</span>)' \
  "the write-end reason grouped, its pids, channels and fds normalised"
expect '<td class="n">4 of 12' "4 of 12 bad arguments exit 0, whatever the argument"
expect "<span class=\"ph\">'…'</span>: exited with status <span class=\"ph\">#</span>" \
  "the bad arguments grouped, the argument normalised"
expect '<td class="n">3 of 4' "3 of 4 leave their FIFO, at three different paths"
expect '<a href="s01/index.html">s01</a>: child 4100 holds the write end' "the example student"
expect "子进程 <span class=\"ph\">#</span> 持有通道" "the grouped reason in Chinese"
expect '&lt;script&gt;alert("x")&lt;/script&gt;' "program output quoted as text"
expect "<a href=\"o%27neil%20%3C%26%3E/index.html\">o'neil &lt;&amp;&gt;</a>" "an awkward name, linked"
expect '<a href="%E7%8E%8B%E5%B0%8F%E6%98%8E/index.html">王小明</a>' "a Chinese name, linked"
expect 'no source files (only compiled programs: hand in the sources)' "why carol was not graded"
expect 'zz_lost' "the student whose checks.json is missing"
grep -q "<script" "${kept}/class.dom.html" && {
  echo "FAIL: the rendered page has a script element (an unescaped one came through)"
  failures=$((failures + 1))
}
grep -Eq "(src|href)=\"?(https?:|//)" "$page" && {
  echo "FAIL: the page loads something from the network"
  failures=$((failures + 1))
}
# Every student link leads to a page that exists.
python3 - "${kept}/class.dom.html" "$out" <<'PY' || failures=$((failures + 1))
import os, re, sys, urllib.parse
dom, out = open(sys.argv[1], encoding="utf-8").read(), sys.argv[2]
links = sorted(set(re.findall(r'href="([^"#]+/index\.html)"', dom)))
missing = [l for l in links if not os.path.isfile(os.path.join(out, urllib.parse.unquote(l)))]
if len(links) != 16 or missing:
    sys.exit(f"FAIL: {len(links)} student links (expected 16), leading nowhere: {missing}")
PY
if ((failures)); then
  exit 1
fi
echo "the class page shows its sections, the counts, the grouped reasons and 16 student links;"
echo "the screenshot and the DOM: class.png and class.dom.html in the test's outputs"
echo "(bazel-testlogs/tools/grade/class_report_chromium_test/test.outputs/outputs.zip)"
