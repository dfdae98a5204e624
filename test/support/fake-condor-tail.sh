#!/bin/sh
# A stand-in for `condor_tail -f` in unit tests of the log followers (a real condor_tail needs a running job
# on a schedd: test/e2e/logs.e2e.test.ts has that). It prints FAKE_TAIL_PREFIX plus a line number every
# FAKE_TAIL_INTERVAL seconds, FAKE_TAIL_LINES lines (0: until killed), then exits with FAKE_TAIL_EXIT,
# writing FAKE_TAIL_STDERR to stderr first. Its arguments are ignored.
i=0
while [ "${FAKE_TAIL_LINES:-0}" -eq 0 ] || [ "$i" -lt "${FAKE_TAIL_LINES:-0}" ]; do
  i=$((i + 1))
  echo "${FAKE_TAIL_PREFIX:-line} $i"
  sleep "${FAKE_TAIL_INTERVAL:-0.05}"
done
[ -n "${FAKE_TAIL_STDERR:-}" ] && echo "$FAKE_TAIL_STDERR" >&2
exit "${FAKE_TAIL_EXIT:-0}"
