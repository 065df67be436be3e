#!/usr/bin/env bash
# Runs the report's browser test (report_test.mjs) on one report, or on every report it knows.
# Usage: tests/browser/run.sh BUILD_DIR [INPUT [report_test.mjs options]...]
#        tests/browser/run.sh BUILD_DIR --compare S.lua NAME=VALUE [report_test.mjs options]...
#   INPUT.html  tests that file as it is
#   INPUT.lua   first makes its report with BUILD_DIR/kafkasim run INPUT.lua --report, then tests it
#   --compare   runs S.lua as it is (A) and with --set NAME=VALUE (B), makes the report comparing
#               them (kafkasim report A.jsonl B.jsonl --check A.json --check B.json), tests it
#   no INPUT    the sample report, and when kafkasim has `run --report`, the reports of
#               scenarios/quickstart.lua and tests/scenarios/report_hostile.lua
# Reports made here and the screenshots go to BUILD_DIR/test-artifacts/report/. playwright-core
# is looked up in KAFKASIM_BROWSER_MODULES (default: build/web, where scripts/setup puts it).
# KAFKASIM_REPORT_SEED, when set, is the seed an INPUT.lua runs with (else the scenario's own).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
[ $# -ge 1 ] || { sed -n '3,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 64; }
build=$(cd "$1" && pwd)
shift
artifacts="$build/test-artifacts/report"
modules=${KAFKASIM_BROWSER_MODULES:-$root/build/web}
# Where scripts/setup installs uPlot: when it is there, every report's charts must be drawn.
uplot=()
[ -f "${KAFKASIM_UPLOT_DIR:-$root/build/web-report/node_modules/uplot}/dist/uPlot.iife.min.js" ] && uplot=(--uplot)
mkdir -p "$artifacts"

has_report_option() {
  "$build/kafkasim" run --help 2>/dev/null | grep -q -- '--report'
}

# A run that completed (0: every expectation held, 1: one failed) has written its report.
make_report() {
  local scenario=$1 out="$artifacts/$(basename "${1%.lua}").html" status=0
  rm -f "$out"
  "$build/kafkasim" run "$scenario" ${KAFKASIM_REPORT_SEED:+--seed "$KAFKASIM_REPORT_SEED"} --report "$out" >/dev/null || status=$?
  if [ "$status" -gt 1 ] || [ ! -f "$out" ]; then
    echo "run.sh: kafkasim run $scenario --report exited $status and wrote no report" >&2
    return 1
  fi
  echo "$out"
}

test_one() {
  local input=$1 report
  shift
  case "$input" in
    *.lua)
      has_report_option || { echo "run.sh: $build/kafkasim has no run --report" >&2; return 1; }
      report=$(make_report "$input") ;;
    *) report=$input ;;
  esac
  node "$here/report_test.mjs" --modules "$modules" --shots "$artifacts" "${uplot[@]}" "$@" "$report"
}

# The report comparing a scenario's run with the same run under one changed param.
make_compare_report() {
  local scenario=$1 set=$2 name out status
  name=$(basename "${scenario%.lua}")-compare
  out="$artifacts/$name.html"
  rm -f "$out"
  for run in a b; do
    status=0
    if [ "$run" = a ]; then
      "$build/kafkasim" run "$scenario" --trace "$artifacts/$name-$run.jsonl" --json "$artifacts/$name-$run.json" --force >/dev/null || status=$?
    else
      "$build/kafkasim" run "$scenario" --set "$set" --trace "$artifacts/$name-$run.jsonl" --json "$artifacts/$name-$run.json" --force >/dev/null || status=$?
    fi
    [ "$status" -le 1 ] || { echo "run.sh: kafkasim run $scenario (run $run) exited $status" >&2; return 1; }
  done
  "$build/kafkasim" report "$artifacts/$name-a.jsonl" "$artifacts/$name-b.jsonl" --check "$artifacts/$name-a.json" \
    --check "$artifacts/$name-b.json" -o "$out" --force >/dev/null
  rm -f "$artifacts/$name-a.jsonl" "$artifacts/$name-b.jsonl"
  echo "$out"
}

if [ "${1:-}" = --compare ]; then
  [ $# -ge 3 ] || { echo "run.sh: --compare needs a scenario and NAME=VALUE" >&2; exit 64; }
  report=$(make_compare_report "$2" "$3")
  shift 3
  node "$here/report_test.mjs" --modules "$modules" --shots "$artifacts" "$@" "$report"
  exit
fi
if [ $# -ge 1 ]; then
  test_one "$@"
  exit
fi
status=0
test_one "$here/sample-report.html" --expect "$here/sample-report.expect.json" || status=1
if has_report_option; then
  test_one "$root/scenarios/quickstart.lua" || status=1
  test_one "$root/tests/scenarios/report_hostile.lua" --text '<script>' --text '<img' || status=1
else
  echo "run.sh: $build/kafkasim has no run --report: only the sample report was tested" >&2
fi
exit "$status"
