#!/bin/sh
# The e2e suite in lanes (make test-e2e): tests that use the HPC site (pilots over SSH on SLURM and SGE) run one
# after another in one lane, tests that use only the pool and the API server in another, both lanes at once:
# most of each test is waiting on HTCondor, SLURM or a pilot, so the two overlap well on two cores. The tests
# were written for a shared stack (own namespaces, operator ids, pilot names), so two at a time do not meet.
# A test that disturbs what every other test uses (a schedd restart) says `e2e-lane: solo` in its header and
# runs alone, after both lanes. Usage: lanes.sh list LANE | lanes.sh run (JEST: the jest command line).
set -u
cd "$(dirname "$0")/../.." || exit 1

# lane FILE: solo, site or pool.
lane() {
  if grep -q 'e2e-lane: solo' "$1"; then
    echo solo
  elif grep -qE "helpers/site\.js|siteLogin|slurmSpec|sgeSpec" "$1"; then
    echo site
  else
    echo pool
  fi
}

list() {
  for f in test/e2e/*.e2e.test.ts; do [ "$(lane "$f")" = "$1" ] && echo "$f"; done
}

# run_lane LANE LOG: the lane's files through jest, output to LOG; its exit status.
run_lane() {
  files=$(list "$1" | tr '\n' ' ')
  [ -n "$files" ] || return 0
  # JEST is a command line (it may start with VAR=value); the files are paths without blanks. They go before
  # --selectProjects, which takes every word after it as a project name.
  eval "$JEST $files --selectProjects e2e" >"$2" 2>&1
}

case "${1:-}" in
  list) list "${2:?lane: solo, site or pool}" ;;
  run)
    : "${JEST:?JEST: the jest command line}"
    logs=${HPC_STACK:-.stack}/e2e-lanes
    mkdir -p "$logs"
    echo "e2e lanes: site ($(list site | wc -l) files) and pool ($(list pool | wc -l) files) at once, then solo ($(list solo | wc -l))"
    run_lane site "$logs/site.log" &
    site=$!
    run_lane pool "$logs/pool.log" &
    pool=$!
    status=0
    wait "$site" || status=1
    wait "$pool" || status=1
    for l in site pool; do
      echo "==== e2e lane $l"
      cat "$logs/$l.log"
    done
    echo "==== e2e lane solo"
    run_lane solo "$logs/solo.log" || status=1
    cat "$logs/solo.log"
    exit "$status"
    ;;
  *)
    echo "usage: $0 list site|pool|solo | $0 run" >&2
    exit 2
    ;;
esac
