#!/bin/sh
# hpc-wrapper.sh: runs one HPCJob step on an HTCondor worker (POSIX sh; dash, bash and busybox sh).
# The operator ships it as the job's executable and passes everything in the environment; what a user
# wrote arrives base64-encoded, one word per item, so no value is ever parsed by this shell.
# The contract (variables, exit codes, the result report) is documented in wrapper/README.md.
set -u

WRAPPER_USAGE=120
WRAPPER_NO_RUNTIME=121

log() { printf 'hpc-wrapper: %s\n' "$*" >&2; }

# decode WORD: sets DECODED to the base64-decoded WORD, trailing newlines included.
decode() {
  DECODED=$(printf '%s' "$1" | base64 -d 2>/dev/null && printf x) || return 1
  DECODED=${DECODED%x}
}

# chirp_result JSON: reports the result on the job ad (HPCWrapperResult) when the IO proxy is there.
chirp_result() {
  chirp=${HPC_CONDOR_CHIRP:-}
  [ -n "$chirp" ] || for c in condor_chirp /usr/libexec/condor/condor_chirp; do
    if command -v "$c" >/dev/null 2>&1; then chirp=$c; break; fi
  done
  [ -n "$chirp" ] && [ -n "${_CONDOR_CHIRP_CONFIG:-}" ] || return 0
  # A ClassAd string literal: the JSON has no newlines; quotes and backslashes are escaped.
  escaped=$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')
  "$chirp" set_job_attr HPCWrapperResult "\"$escaped\"" >/dev/null 2>&1 || log "could not report the result through chirp"
}

# finish CODE CATEGORY MESSAGE: report and exit.
finish() {
  code=$1 category=$2 message=$3
  # shellcheck disable=SC1003 # tr deletes quotes and backslashes, so the message stays valid JSON
  json=$(printf '{"exitCode":%d,"category":"%s","runtime":"%s","message":"%s"}' \
    "$code" "$category" "${RUNTIME_USED:-none}" "$(printf '%s' "$message" | tr -d '"\\' | tr '\n' ' ')")
  printf '%s\n' "$json" >"${_CONDOR_SCRATCH_DIR:-.}/hpc-result.json" 2>/dev/null || true
  chirp_result "$json"
  exit "$code"
}

# The step's argv: HPC_ARGV words, or the script run by /bin/sh -c.
if [ -n "${HPC_SCRIPT:-}" ]; then
  decode "$HPC_SCRIPT" || finish "$WRAPPER_USAGE" wrapper "HPC_SCRIPT is not base64"
  set -- /bin/sh -c "$DECODED" hpc-step
elif [ -n "${HPC_ARGV:-}" ]; then
  words=$HPC_ARGV
  set --
  for w in $words; do
    decode "$w" || finish "$WRAPPER_USAGE" wrapper "HPC_ARGV is not base64"
    set -- "$@" "$DECODED"
  done
else
  finish "$WRAPPER_USAGE" wrapper "neither HPC_ARGV nor HPC_SCRIPT is set"
fi

# The step's own environment.
for w in ${HPC_ENV:-}; do
  decode "$w" || finish "$WRAPPER_USAGE" wrapper "HPC_ENV is not base64"
  # shellcheck disable=SC2163 # exporting the NAME=VALUE held in DECODED is the point
  export "$DECODED" || finish "$WRAPPER_USAGE" wrapper "cannot set an environment variable"
done

if [ -n "${HPC_WORKDIR:-}" ]; then
  if decode "$HPC_WORKDIR" && [ -d "$DECODED" ]; then
    cd "$DECODED" || finish "$WRAPPER_USAGE" wrapper "cannot enter the working directory"
  fi
fi

runtime=${HPC_RUNTIME:-none}
if [ "$runtime" != none ]; then
  finish "$WRAPPER_NO_RUNTIME" no-runtime "container runtime $runtime is not available in this wrapper"
fi
RUNTIME_USED=none

"$@"
code=$?
if [ "$code" -gt 128 ] && [ "$code" -lt 160 ]; then
  # Killed by a signal: die the same way, so HTCondor records ExitBySignal.
  sig=$((code - 128))
  json=$(printf '{"exitCode":%d,"category":"signal","signal":%d,"runtime":"%s"}' "$code" "$sig" "$RUNTIME_USED")
  chirp_result "$json"
  trap - "$sig" 2>/dev/null
  kill "-$sig" $$
fi
if [ "$code" = 0 ]; then finish 0 ok "exited 0"; fi
finish "$code" exit "exited with code $code"
