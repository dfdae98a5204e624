#!/bin/sh
# hpc-wrapper.sh: runs one HPCJob step on an HTCondor worker (POSIX sh; dash, bash and busybox sh).
#
# The operator ships this file as the job's executable and passes everything in the environment; what a user
# wrote arrives base64-encoded, one word per item, so no value is ever parsed by this shell. It stages the
# workspace in, finds a container runtime, runs the step with the workspace at its original path, stages
# new and changed files back (also when the step failed), reports what happened and exits with the step's
# code. The contract (variables, exit codes, the report) is in wrapper/README.md.
set -u

EXIT_USAGE=120
EXIT_NO_RUNTIME=121
EXIT_STAGE_IN=122
EXIT_STAGE_OUT=123
EXIT_OUTPUT_TOO_LARGE=124

DEFAULT_RUNTIME_ORDER="apptainer singularity shifter charliecloud podman docker"

log() { printf 'hpc-wrapper: %s\n' "$*" >&2; }

now() {
  _t=$(date +%s.%N 2>/dev/null)
  case "$_t" in *N* | '') date +%s ;; *) printf '%s\n' "$_t" | cut -c1-14 ;; esac
}

# elapsed START: seconds since START (from now()), with 3 decimals where the clock has them.
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }

# decode WORD: sets DECODED to the base64-decoded WORD, trailing newlines included.
decode() {
  DECODED=$(printf '%s' "$1" | base64 -d 2>/dev/null && printf x) || return 1
  DECODED=${DECODED%x}
}

# json_string TEXT: TEXT as a JSON string literal (control characters dropped).
json_string() {
  printf '"%s"' "$(printf '%s' "$1" | tr -d '\000-\010\013-\037' | tr '\n\t' '  ' | sed 's/\\/\\\\/g; s/"/\\"/g')"
}

# ------------------------------------------------------------------------------------------ chirp
# condor_chirp talks to the job's IO proxy (want_io_proxy), reaching the submit side's files.

find_chirp() {
  CHIRP=${HPC_CONDOR_CHIRP:-}
  if [ -z "$CHIRP" ]; then
    for c in condor_chirp /usr/libexec/condor/condor_chirp; do
      if command -v "$c" >/dev/null 2>&1; then CHIRP=$c; break; fi
    done
  fi
  if [ -z "$CHIRP" ] && command -v condor_config_val >/dev/null 2>&1; then
    c="$(condor_config_val LIBEXEC 2>/dev/null)/condor_chirp"
    [ -x "$c" ] && CHIRP=$c
  fi
  [ -n "$CHIRP" ]
}

# chirp_result JSON: the report on the job ad (HPCWrapperResult), when the IO proxy is there.
chirp_result() {
  [ -n "${_CONDOR_CHIRP_CONFIG:-}" ] && find_chirp || return 0
  escaped=$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')
  "$CHIRP" set_job_attr HPCWrapperResult "\"$escaped\"" >/dev/null 2>&1 || log "could not report the result through chirp"
  if [ -s "$H/stderr" ]; then
    tail_text=$(tail -c 2048 "$H/stderr" | tail -n 20 | tr -d '\000-\010\013-\037' | sed 's/\\/\\\\/g; s/"/\\"/g' | tr '\n' '\r' | sed 's/\r/\\n/g')
    "$CHIRP" set_job_attr HPCStderrTail "\"$tail_text\"" >/dev/null 2>&1 || true
  fi
}

# chirp_mkdir REMOTE-DIR: the chirp protocol has mkdir, condor_chirp does not expose it: speak it through
# whatever the worker has (python3, perl, bash's /dev/tcp). Succeeds when the directory exists afterwards.
chirp_mkdir() {
  cfg=${_CONDOR_CHIRP_CONFIG:-}
  [ -r "$cfg" ] || return 1
  if command -v python3 >/dev/null 2>&1; then
    python3 - "$cfg" "$1" <<'PY'
import socket, sys
host, port, cookie = open(sys.argv[1]).read().split()[:3]
def word(s):
    return s.replace("\\", "\\\\").replace(" ", "\\ ").replace("\t", "\\\t")
s = socket.create_connection((host, int(port)), timeout=60)
f = s.makefile("rw", newline="\n")
f.write("cookie %s\n" % cookie); f.flush()
if int(f.readline()) < 0: sys.exit(1)
f.write("mkdir %s %d\n" % (word(sys.argv[2]), 0o755)); f.flush()
r = int(f.readline())
sys.exit(0 if r >= 0 or r == -4 else 1)
PY
    return $?
  fi
  if command -v perl >/dev/null 2>&1; then
    perl -MIO::Socket::INET -e '
      open(my $c, "<", $ARGV[0]) or exit 1; my ($h, $p, $k) = split(" ", join("", <$c>));
      my $s = IO::Socket::INET->new(PeerAddr => $h, PeerPort => $p, Timeout => 60) or exit 1;
      (my $w = $ARGV[1]) =~ s/([\\ \t])/\\$1/g;
      print $s "cookie $k\n"; exit 1 if <$s> < 0;
      print $s "mkdir $w 493\n"; my $r = <$s>; exit(($r >= 0 || $r == -4) ? 0 : 1);' "$cfg" "$1"
    return $?
  fi
  if [ -n "${BASH_VERSION:-}" ]; then
    read -r host port cookie <"$cfg" || return 1
    w=$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/ /\\ /g')
    # shellcheck disable=SC3025 # bash only, guarded by BASH_VERSION
    { exec 9<>"/dev/tcp/$host/$port"; } 2>/dev/null || return 1
    printf 'cookie %s\nmkdir %s 493\n' "$cookie" "$w" >&9
    read -r a <&9 && read -r b <&9
    exec 9>&-
    [ "${a:--1}" -ge 0 ] && { [ "${b:--1}" -ge 0 ] || [ "${b:--1}" = -4 ]; }
    return $?
  fi
  return 1
}

# chirp_tree: prints "d REL" or "f SIZE REL" for every entry below the workspace, breadth first.
chirp_tree() {
  printf '\n' >"$H/queue"
  n=1
  while :; do
    rel=$(sed -n "${n}p" "$H/queue")
    [ "$n" -gt "$(wc -l <"$H/queue")" ] && break
    n=$((n + 1))
    dir=$WS${rel:+/$rel}
    # condor_chirp getdir exits with a byte count, not 0, on success: judge by its error output.
    "$CHIRP" getdir -l "$dir" >"$H/listing" 2>"$H/chirp.err"
    [ -s "$H/chirp.err" ] && return 1
    # getdir -l prints a name line, then tab-indented "field: value" stat lines.
    awk -v rel="$rel" '
      /^\t/ { if ($1 == "mode:") mode = $2; if ($1 == "size:") size = $2; next }
      { if (name != "") emit(); name = $0; mode = ""; size = "" }
      END { if (name != "") emit() }
      function emit() {
        # chirp_server ACL files are server metadata, not workflow data.
        if (name == "." || name == ".." || name == ".__acl" || (rel == "" && name == ".hpc")) return
        p = (rel == "") ? name : rel "/" name
        if (int(mode / 4096) % 16 == 4) print "d " p; else print "f " size " " p
      }' "$H/listing" >"$H/entries" || return 1
    cat "$H/entries"
    sed -n 's/^d //p' "$H/entries" >>"$H/queue"
  done
}

# chirp_size REMOTE-FILE: its size, from condor_chirp stat.
chirp_size() { "$CHIRP" stat "$1" 2>/dev/null | awk '$1 == "size:" { print $2 }'; }

# --------------------------------------------------------------------------------------- patterns
# wanted REL LIST: true when REL matches a pattern of the newline-separated LIST (or LIST is empty).
wanted() {
  [ -z "$2" ] && return 0
  printf '%s\n' "$2" | {
    while IFS= read -r pat; do
      pat=${pat%/}
      # shellcheck disable=SC2254 # patterns are globs by design
      case "$1" in $pat | $pat/*) exit 0 ;; esac
    done
    exit 1
  }
}

# decode_words WORDS: the decoded items, one per line (items never hold newlines: the CRD forbids it).
decode_words() {
  for w in $1; do
    decode "$w" || return 1
    printf '%s\n' "$DECODED"
  done
}

# ---------------------------------------------------------------------------------------- staging

# cct TOOL ARGS...: a cctools chirp client, with the job's ticket when one came with it, giving up after
# HPC_CHIRP_TIMEOUT seconds (cctools clients otherwise retry forever).
cct() {
  _tool=$1
  shift
  if [ -n "${TICKET:-}" ]; then
    "$_tool" -t "${HPC_CHIRP_TIMEOUT:-300}" -a ticket -i "$TICKET" "$@"
  else
    "$_tool" -t "${HPC_CHIRP_TIMEOUT:-300}" "$@"
  fi
}

# snapshot DIR FILE: "cksum size path" of every file below DIR, sorted, into FILE.
snapshot() {
  (cd "$1" && find . -type f ! -path './.hpc/*' ! -name .__acl -exec cksum {} + 2>/dev/null) | sed 's| \./| |' | sort -k3 >"$2"
}

stage_in() {
  BYTES_IN=0
  case "$STAGING" in
    chirp)
      find_chirp || { STAGE_ERROR="condor_chirp is not available on this worker"; return 1; }
      mkdir -p "$LOCAL_WS"
      chirp_tree >"$H/remote-tree" || { STAGE_ERROR="cannot list $WS through chirp: $(head -c 300 "$H/chirp.err")"; return 1; }
      grep '^d ' "$H/remote-tree" | cut -c3- >"$H/remote-dirs"
      while IFS= read -r line; do
        case "$line" in
          "f "*) rest=${line#f } size=${rest%% *} rel=${rest#* } ;;
          *) continue ;;
        esac
        wanted "$rel" "$INPUTS" || continue
        mkdir -p "$LOCAL_WS/$(dirname "$rel")"
        "$CHIRP" fetch "$WS/$rel" "$LOCAL_WS/$rel" >/dev/null 2>"$H/chirp.err" ||
          { STAGE_ERROR="fetch $rel: $(head -c 300 "$H/chirp.err")"; return 1; }
        got=$(wc -c <"$LOCAL_WS/$rel" | tr -d ' ')
        [ "$got" = "$size" ] || { STAGE_ERROR="fetch $rel: got $got bytes, expected $size"; return 1; }
        BYTES_IN=$((BYTES_IN + got))
      done <"$H/remote-tree"
      ;;
    cctools)
      command -v chirp_get >/dev/null 2>&1 || { STAGE_ERROR="chirp_get (cctools) is not available on this worker"; return 1; }
      [ -n "${HPC_CHIRP_SERVER:-}" ] || { STAGE_ERROR="HPC_CHIRP_SERVER is not set"; return 1; }
      mkdir -p "$(dirname "$LOCAL_WS")"
      rm -rf "$LOCAL_WS"
      if [ -z "$INPUTS" ]; then
        cct chirp_get "$HPC_CHIRP_SERVER" "$CWS" "$LOCAL_WS" >"$H/chirp.err" 2>&1 ||
          { STAGE_ERROR="chirp_get $CWS: $(head -c 300 "$H/chirp.err")"; return 1; }
      else
        mkdir -p "$LOCAL_WS"
        printf '%s\n' "$INPUTS" | while IFS= read -r rel; do
          mkdir -p "$LOCAL_WS/$(dirname "$rel")"
          cct chirp_get "$HPC_CHIRP_SERVER" "$CWS/$rel" "$LOCAL_WS/$rel" >"$H/chirp.err" 2>&1 || exit 1
        done || { STAGE_ERROR="chirp_get: $(head -c 300 "$H/chirp.err")"; return 1; }
      fi
      BYTES_IN=$(du -sk "$LOCAL_WS" | awk '{ print $1 * 1024 }')
      ;;
    condor-transfer)
      # HTCondor put the workspace's files into the scratch directory; lay them out at the REANA path.
      mkdir -p "$LOCAL_WS"
      src="$SCRATCH/${HPC_TRANSFER_DIR:-}"
      if [ -n "${HPC_TRANSFER_DIR:-}" ] && [ -d "$src" ]; then
        (cd "$src" && tar cf - .) | (cd "$LOCAL_WS" && tar xf -) || { STAGE_ERROR="cannot lay out the transferred workspace"; return 1; }
        rm -rf "$src"
      elif [ -n "${HPC_TRANSFER_DIR:-}" ]; then
        STAGE_ERROR="HTCondor did not transfer the workspace ($HPC_TRANSFER_DIR)"
        return 1
      fi
      BYTES_IN=$(du -sk "$LOCAL_WS" | awk '{ print $1 * 1024 }')
      ;;
    parrot)
      command -v parrot_run >/dev/null 2>&1 || { STAGE_ERROR="parrot_run (cctools) is not available on this worker"; return 1; }
      [ -r "${_CONDOR_CHIRP_CONFIG:-}" ] || { STAGE_ERROR="parrot staging needs the job's chirp IO proxy"; return 1; }
      # Parrot finds the IO proxy through .chirp.config in the working directory.
      cp "$_CONDOR_CHIRP_CONFIG" "$SCRATCH/.chirp.config" 2>/dev/null || true
      ;;
    shared-fs | none) ;;
    *)
      STAGE_ERROR="unknown staging mode $STAGING"
      return 1
      ;;
  esac
  return 0
}

# stage_out: new and changed files (or those matching HPC_OUTPUTS) back to the workspace.
stage_out() {
  BYTES_OUT=0
  case "$STAGING" in
    chirp | cctools | condor-transfer) ;;
    *) return 0 ;;
  esac
  snapshot "$LOCAL_WS" "$H/after"
  # Lines of "after" not in "before": created or changed (by checksum and size).
  sort "$H/before" >"$H/before.sorted"
  sort "$H/after" | comm -13 "$H/before.sorted" - | cut -d' ' -f3- >"$H/changed"
  outputs_fit || return 1
  case "$STAGING" in
    chirp)
      : >"$H/made-dirs"
      while IFS= read -r rel; do
        wanted "$rel" "$OUTPUTS" || continue
        ensure_remote_dir "$(dirname "$rel")" || { STAGE_ERROR="cannot create $WS/$(dirname "$rel") through chirp"; return 1; }
        "$CHIRP" put "$LOCAL_WS/$rel" "$WS/$rel" >/dev/null 2>"$H/chirp.err" ||
          { STAGE_ERROR="put $rel: $(head -c 300 "$H/chirp.err")"; return 1; }
        size=$(wc -c <"$LOCAL_WS/$rel" | tr -d ' ')
        [ "$(chirp_size "$WS/$rel")" = "$size" ] || { STAGE_ERROR="put $rel: the size on the submit side differs"; return 1; }
        BYTES_OUT=$((BYTES_OUT + size))
      done <"$H/changed"
      ;;
    cctools)
      while IFS= read -r rel; do
        wanted "$rel" "$OUTPUTS" || continue
        cct chirp "$HPC_CHIRP_SERVER" mkdir -p "$CWS/$(dirname "$rel")" >/dev/null 2>&1
        cct chirp_put "$LOCAL_WS/$rel" "$HPC_CHIRP_SERVER" "$CWS/$rel" >"$H/chirp.err" 2>&1 ||
          { STAGE_ERROR="chirp_put $rel: $(head -c 300 "$H/chirp.err")"; return 1; }
        BYTES_OUT=$((BYTES_OUT + $(wc -c <"$LOCAL_WS/$rel" | tr -d ' ')))
      done <"$H/changed"
      ;;
    condor-transfer)
      # Hand the changed files to HTCondor's output transfer, under the directory it brings back.
      mkdir -p "$SCRATCH/hpc-results"
      while IFS= read -r rel; do
        wanted "$rel" "$OUTPUTS" || continue
        mkdir -p "$SCRATCH/hpc-results/$(dirname "$rel")"
        cp -p "$LOCAL_WS/$rel" "$SCRATCH/hpc-results/$rel" || { STAGE_ERROR="cannot hand $rel to HTCondor"; return 1; }
        BYTES_OUT=$((BYTES_OUT + $(wc -c <"$LOCAL_WS/$rel" | tr -d ' ')))
      done <"$H/changed"
      ;;
  esac
  return 0
}

# outputs_fit: the outputs to stage back are within HPC_MAX_OUTPUT_BYTES; otherwise nothing is staged at all
# (a partial result in the workspace would look like a complete one) and the biggest files are named.
outputs_fit() {
  [ -n "$MAX_OUT" ] || return 0
  : >"$H/output-sizes"
  while IFS= read -r rel; do
    wanted "$rel" "$OUTPUTS" || continue
    printf '%s %s\n' "$(wc -c <"$LOCAL_WS/$rel" | tr -d ' ')" "$rel" >>"$H/output-sizes"
  done <"$H/changed"
  total=$(awk '{ s += $1 } END { printf "%.0f", s }' "$H/output-sizes")
  [ "$total" -le "$MAX_OUT" ] && return 0
  biggest=$(sort -rn "$H/output-sizes" | head -3 |
    awk '{ n = $1; sub(/^[0-9]+ /, ""); printf "%s%s (%s bytes)", sep, $0, n; sep = ", " }')
  STAGE_ERROR="the outputs are $total bytes, more than the $MAX_OUT allowed (spec.workspace.maxOutputBytes); nothing was staged back; the biggest: $biggest"
  OUTPUT_TOO_LARGE=1
  return 1
}

# ensure_remote_dir REL: the workspace subdirectory REL exists on the submit side.
ensure_remote_dir() {
  [ "$1" = . ] && return 0
  grep -qxF "$1" "$H/remote-dirs" "$H/made-dirs" 2>/dev/null && return 0
  ensure_remote_dir "$(dirname "$1")" || return 1
  chirp_mkdir "$WS/$1" || return 1
  printf '%s\n' "$1" >>"$H/made-dirs"
}

# logs_to_workspace: the step's stdout, stderr and the report, into <workspace>/.hpc/<name>/<attempt>/.
logs_to_workspace() {
  [ -n "$WS" ] || return 0
  rel=".hpc/${HPC_JOB##*/}/${HPC_ATTEMPT:-1}"
  case "$STAGING" in
    chirp)
      [ -n "${CHIRP:-}" ] || return 0
      for d in .hpc ".hpc/${HPC_JOB##*/}" "$rel"; do
        grep -qxF "$d" "$H/remote-dirs" "$H/made-dirs" 2>/dev/null || { chirp_mkdir "$WS/$d" && printf '%s\n' "$d" >>"$H/made-dirs"; } || return 1
      done
      for f in stdout stderr result.json; do
        [ -f "$H/$f" ] && "$CHIRP" put "$H/$f" "$WS/$rel/$f" >/dev/null 2>&1
      done
      ;;
    shared-fs | parrot)
      mkdir -p "$WS/$rel" 2>/dev/null && cp "$H/stdout" "$H/stderr" "$H/result.json" "$WS/$rel/" 2>/dev/null
      ;;
    cctools)
      cct chirp "$HPC_CHIRP_SERVER" mkdir -p "$CWS/$rel" >/dev/null 2>&1
      for f in stdout stderr result.json; do
        [ -f "$H/$f" ] && cct chirp_put "$H/$f" "$HPC_CHIRP_SERVER" "$CWS/$rel/$f" >/dev/null 2>&1
      done
      ;;
    condor-transfer)
      mkdir -p "$SCRATCH/hpc-results/$rel" && cp "$H/stdout" "$H/stderr" "$H/result.json" "$SCRATCH/hpc-results/$rel/" 2>/dev/null
      ;;
  esac
  return 0
}

# ---------------------------------------------------------------------------------------- runtimes

# try_module NAME: make NAME available with `module load` (Lmod or Environment Modules), if there is one.
try_module() {
  if ! command -v module >/dev/null 2>&1; then
    for init in "${LMOD_PKG:-/usr/share/lmod/lmod}/init/sh" /usr/share/lmod/lmod/init/sh /etc/profile.d/lmod.sh \
      /usr/share/modules/init/sh /etc/profile.d/modules.sh; do
      # shellcheck disable=SC1090 # the site's module system
      if [ -r "$init" ]; then . "$init" >/dev/null 2>&1 && break; fi
    done
  fi
  command -v module >/dev/null 2>&1 || return 1
  module load "$1" >/dev/null 2>&1
}

runtime_binary() {
  case "$1" in
    charliecloud) echo ch-run ;;
    *) echo "$1" ;;
  esac
}

# image_kind: docker (a registry reference), sif (a file), dir (an unpacked root), none.
image_kind() {
  case "$IMAGE" in
    '') echo none ;;
    dir://*) echo dir ;;
    docker://* | oras://* | shifter://*) echo docker ;;
    /*) if [ -d "$IMAGE" ]; then echo dir; else echo sif; fi ;;
    *) echo docker ;;
  esac
}

# runtime_fits RUNTIME: can RUNTIME run this kind of image here?
runtime_fits() {
  kind=$(image_kind)
  case "$1" in
    apptainer | singularity) return 0 ;;
    shifter) [ "$kind" = docker ] ;;
    charliecloud) [ "$kind" = dir ] || { [ "$kind" = docker ] && command -v ch-image >/dev/null 2>&1; } ;;
    podman | docker) [ "$kind" = docker ] ;;
    none) [ "$kind" = none ] || [ "$HPC_RUNTIME" = none ] ;;
    *) return 1 ;;
  esac
}

# find_runtime: sets RUNTIME_USED to the first runtime that is (or can be made) available and fits.
find_runtime() {
  if [ -z "$IMAGE" ]; then
    RUNTIME_USED=none
    return 0
  fi
  if [ "$HPC_RUNTIME" = auto ]; then order=${HPC_RUNTIME_ORDER:-$DEFAULT_RUNTIME_ORDER}; else order=$HPC_RUNTIME; fi
  for rt in $order; do
    [ "$rt" = none ] && { RUNTIME_USED=none; return 0; }
    runtime_fits "$rt" || continue
    bin=$(runtime_binary "$rt")
    if command -v "$bin" >/dev/null 2>&1 || { try_module "$rt" && command -v "$bin" >/dev/null 2>&1; }; then
      RUNTIME_USED=$rt
      return 0
    fi
  done
  return 1
}

# image_ref: the image as the chosen runtime wants it.
image_ref() {
  case "$IMAGE" in
    dir://*) echo "${IMAGE#dir://}" ;;
    docker://*) case "$RUNTIME_USED" in apptainer | singularity) echo "$IMAGE" ;; shifter) echo "docker:${IMAGE#docker://}" ;; *) echo "${IMAGE#docker://}" ;; esac ;;
    shifter://*) echo "docker:${IMAGE#shifter://}" ;;
    /*) echo "$IMAGE" ;;
    *) case "$RUNTIME_USED" in apptainer | singularity) echo "docker://$IMAGE" ;; shifter) echo "docker:$IMAGE" ;; *) echo "$IMAGE" ;; esac ;;
  esac
}

# runtime_command ARGV...: the full command line (launcher, runtime, step) into $CMD_FILE, one base64 word
# per line (a function cannot set the caller's positional parameters).
runtime_command() {
  bind_src=$LOCAL_WS
  bind_dst=$WS
  ref=$(image_ref)
  case "$RUNTIME_USED" in
    none) ;;
    apptainer | singularity)
      prefix=$(printf '%s' "$RUNTIME_USED" | tr '[:lower:]' '[:upper:]')
      mkdir -p "$H/cache" "$H/tmp"
      export "${prefix}_CACHEDIR=$H/cache" "${prefix}_TMPDIR=$H/tmp"
      set -- "$RUNTIME_USED" exec --cleanenv --contain --pwd "$WORKDIR" ${WS:+--bind "$bind_src:$bind_dst"} "$ref" "$@"
      ;;
    shifter)
      if command -v shifterimg >/dev/null 2>&1; then shifterimg pull "$ref" >/dev/null 2>&1 || log "shifterimg pull $ref failed; trying anyway"; fi
      set -- shifter "--image=$ref" ${WS:+"--volume=$bind_src:$bind_dst"} "--workdir=$WORKDIR" -- "$@"
      ;;
    charliecloud)
      # ch-run refuses to start without USER, which batch systems do not always set.
      [ -n "${USER:-}" ] || { USER=$(id -un 2>/dev/null || echo hpc) && export USER; }
      if [ "$(image_kind)" = docker ]; then
        mkdir -p "$H/ch"
        CH_IMAGE_STORAGE="$H/ch/storage" ch-image pull "$ref" >/dev/null 2>&1 &&
          CH_IMAGE_STORAGE="$H/ch/storage" ch-convert "$ref" "$H/ch/image" >/dev/null 2>&1 || return 1
        ref="$H/ch/image"
      fi
      set -- ch-run --write-fake ${WS:+-b "$bind_src:$bind_dst"} -c "$WORKDIR" "$ref" -- "$@"
      ;;
    podman | docker)
      extra=""
      [ "$RUNTIME_USED" = podman ] && extra="--root=$H/podman/root --runroot=$H/podman/run"
      envflags=""
      for kv in $ENV_NAMES; do envflags="$envflags -e $kv"; done
      # shellcheck disable=SC2086 # extra and envflags are lists of plain words built above
      set -- "$RUNTIME_USED" $extra run --rm $envflags ${WS:+-v "$bind_src:$bind_dst"} -w "$WORKDIR" "$ref" "$@"
      ;;
  esac
  if [ "$STAGING" = parrot ]; then
    # The workspace path is served by Parrot from the submit side through the job's IO proxy.
    set -- parrot_run -M "$WS=/chirp/CONDOR$WS" -w "$WORKDIR" "$@"
  fi
  if [ -n "${HPC_LAUNCHER:-}" ]; then
    # shellcheck disable=SC2086 # the site's launcher prefix, e.g. "srun -n 1" or "aprun -n 1"
    set -- $HPC_LAUNCHER "$@"
  elif [ "$STEP_NODES" -gt 1 ] && [ "${HPC_PILOT_BATCH:-}" = slurm ]; then
    # A gang step on SLURM: once per node of the pilot's allocation (SLURM_JOB_ID and SLURM_OVERLAP come
    # from the pilot); srun's exit code is the worst rank's, and every rank's output comes here.
    set -- srun --nodes="$STEP_NODES" --ntasks-per-node=1 --kill-on-bad-exit=1 "$@"
  fi
  CMD_FILE="$H/command"
  : >"$CMD_FILE"
  for a in "$@"; do printf '%s' "$a" | base64 | tr -d '\n' >>"$CMD_FILE"; printf '\n' >>"$CMD_FILE"; done
}

# --------------------------------------------------------------------------------------- reporting

# finish CODE CATEGORY MESSAGE: report, send logs, exit (or die by $SIGNAL, when set).
finish() {
  code=$1 category=$2 message=$3
  # A signal from here on changes nothing: the report is being made and the logs sent (on_signal).
  PHASE=finishing
  json=$(printf '{"exitCode":%d,"category":"%s","runtime":"%s","stageInSeconds":%s,"runSeconds":%s,"stageOutSeconds":%s,"bytesIn":%s,"bytesOut":%s,"message":%s}' \
    "$code" "$category" "${RUNTIME_USED:-none}" "${T_IN:-0}" "${T_RUN:-0}" "${T_OUT:-0}" "${BYTES_IN:-0}" "${BYTES_OUT:-0}" "$(json_string "$message")")
  [ -n "${SIGNAL:-}" ] && json=$(printf '%s' "$json" | sed "s/^{/{\"signal\":$SIGNAL,/")
  printf '%s\n' "$json" >"$H/result.json" 2>/dev/null
  cp "$H/result.json" "$SCRATCH/hpc-result.json" 2>/dev/null
  [ "$category" = stage-out ] || logs_to_workspace || log "could not copy the logs into the workspace"
  chirp_result "$json"
  if [ -n "${SIGNAL:-}" ]; then
    # Die by the signal (the step's, or the one the wrapper was sent), so that HTCondor records ExitBySignal.
    trap - "$SIGNAL" 2>/dev/null
    kill "-$SIGNAL" $$
    # Still here: the signal was ignored when the wrapper started (POSIX shells cannot undo that).
    exit $((128 + SIGNAL))
  fi
  exit "$code"
}

# ---------------------------------------------------------------------------------------- signals
# HTCondor asks a job to stop with SIGTERM (condor_rm, a hold, an eviction; the job's kill_sig) and kills
# it with SIGKILL after a grace period; people and some batch systems send SIGINT or SIGHUP. The wrapper
# catches these so that what the step did is not lost: before the step starts it reports and stops; while
# the step runs it sends the step SIGTERM, waits for it, then stages out, copies the logs and reports as
# usual (category terminated); once the step has ended it only goes on with the stage-out and the report.

# on_signal NAME NUMBER: the trap for TERM, INT and HUP.
# shellcheck disable=SC2317 # run by the traps set in main
on_signal() {
  case "$PHASE" in
    setup)
      STOP_NAME=$1 SIGNAL=$2
      finish $((128 + $2)) terminated "received SIG$1 before the step started: the step did not run"
      ;;
    step)
      [ -n "$STOP_NAME" ] || STOP_NAME=$1 STOP_NUMBER=$2
      INTERRUPTED=1
      # SIGTERM whatever came: a step started in the background ignores SIGINT in dash and busybox sh
      # (POSIX), and SIGHUP asks many programs to reload, not to stop.
      [ -n "$STEP_PID" ] && kill -TERM "$STEP_PID" 2>/dev/null
      ;;
    *) log "received SIG$1 after the step ended: finishing the stage-out and the report" ;;
  esac
}

# wait_step: STEP_CODE is the step's exit status. A trapped signal makes wait return at once (above 128)
# while the step still runs: wait again. A shell that already handed out the status answers 127 (bash:
# "not a child"): the status it gave stands.
wait_step() {
  INTERRUPTED=""
  wait "$STEP_PID"
  STEP_CODE=$?
  while [ -n "$INTERRUPTED" ] && [ "$STEP_CODE" -gt 128 ]; do
    INTERRUPTED=""
    wait "$STEP_PID" 2>/dev/null
    _rc=$?
    [ "$_rc" = 127 ] && break
    STEP_CODE=$_rc
  done
}

# fatal_signal NUMBER: true when the signal's default action ends a process. The others stop it (STOP,
# TSTP, TTIN, TTOU) or are ignored (CHLD, CONT, URG, WINCH): a step cannot have been killed by them, so
# 128 + their number is a plain exit code, and raising them would freeze the wrapper or do nothing.
fatal_signal() {
  _name=$(kill -l "$1" 2>/dev/null) || return 1
  case "${_name#SIG}" in
    '' | STOP | TSTP | TTIN | TTOU | CHLD | CLD | CONT | URG | WINCH) return 1 ;;
  esac
  return 0
}

# live_output: the step's stdout and stderr go through tee, to the job's own stdout and stderr as they come
# (what `condor_tail` and so `kubectl hpc logs -f` show while the step runs) and to $H/stdout, $H/stderr (the
# workspace's copy, the stderr tail of the report). Without mkfifo or tee they go to the files only, and
# reach the job's stdout and stderr when the step ends, as before.
STEP_OUT="" STEP_ERR="" TEE_OUT="" TEE_ERR=""
live_output() {
  STEP_OUT="$H/stdout" STEP_ERR="$H/stderr"
  command -v tee >/dev/null 2>&1 || return 0
  rm -f "$H/stdout.pipe" "$H/stderr.pipe"
  mkfifo "$H/stdout.pipe" "$H/stderr.pipe" 2>/dev/null || return 0
  tee "$H/stdout" <"$H/stdout.pipe" &
  TEE_OUT=$!
  tee "$H/stderr" <"$H/stderr.pipe" >&2 &
  TEE_ERR=$!
  STEP_OUT="$H/stdout.pipe" STEP_ERR="$H/stderr.pipe"
}

# end_live_output: once the step has ended, its output has been passed on. A tee still runs while something
# the step left in the background holds the pipe open: it is given 10 s, then stopped (what comes later
# stays out of the job's stdout, as it did when the files were copied at the end).
end_live_output() {
  if [ -z "$TEE_OUT" ]; then
    cat "$H/stdout"
    cat "$H/stderr" >&2
    return 0
  fi
  (sleep 10 && kill "$TEE_OUT" "$TEE_ERR") </dev/null >/dev/null 2>&1 &
  _watchdog=$!
  wait "$TEE_OUT" 2>/dev/null
  wait "$TEE_ERR" 2>/dev/null
  kill "$_watchdog" 2>/dev/null
  rm -f "$H/stdout.pipe" "$H/stderr.pipe"
}

# gang_step: a step over several nodes (HPC_STEP_NODES, the parallel universe). Node 0 runs the whole step
# (runtime_command puts the launcher in front) with the pilot's hosts in HPC_HOSTFILE; the other nodes only hold
# their node until HTCondor ends them when node 0 is done, and report nothing (node 0's result is the step's).
# They must never end on their own: a node that exits sends its (empty) output back over node 0's, while one
# HTCondor kills sends nothing.
gang_step() {
  STEP_NODES=${HPC_STEP_NODES:-1}
  case "$STEP_NODES" in '' | *[!0-9]*) STEP_NODES=1 ;; esac
  [ "$STEP_NODES" -gt 1 ] || return 0
  if [ "${_CONDOR_PROCNO:-0}" != 0 ]; then
    log "node ${_CONDOR_PROCNO} of a gang step of $STEP_NODES nodes: node 0 runs the step"
    exec sleep 2147483647
  fi
  export HPC_HOSTFILE="$SCRATCH/.hpc-hosts"
  printf '%s\n' "${HPC_PILOT_HOSTS:-}" | tr ',' '\n' | sed '/^$/d' >"$HPC_HOSTFILE"
  [ -n "${HPC_PILOT_BATCH:-}" ] || log "gang step of $STEP_NODES nodes on a worker that is not a multi-node pilot"
}

# ------------------------------------------------------------------------------------------- main

SCRATCH=${_CONDOR_SCRATCH_DIR:-$(pwd)}
H="$SCRATCH/.hpc"
# HTCondor starts jobs with a minimal environment; runtimes and steps want a PATH (srun passes it on).
PATH=${PATH:-/usr/local/bin:/usr/bin:/bin}
export PATH
gang_step
# condor-transfer brings back what is in hpc-results: it must exist even if nothing changed.
[ "${HPC_STAGING:-}" = condor-transfer ] && mkdir -p "$SCRATCH/hpc-results"
mkdir -p "$H" || { log "cannot create $H"; exit "$EXIT_USAGE"; }
: >"$H/stdout"
: >"$H/stderr"
T_IN=0 T_RUN=0 T_OUT=0 BYTES_IN=0 BYTES_OUT=0 RUNTIME_USED=none SIGNAL=""
PHASE=setup STOP_NAME="" STOP_NUMBER="" STEP_PID="" STEP_CODE="" INTERRUPTED=""
trap 'on_signal TERM 15' TERM
trap 'on_signal INT 2' INT
trap 'on_signal HUP 1' HUP
HPC_JOB=${HPC_JOB:-job} HPC_RUNTIME=${HPC_RUNTIME:-auto} STAGING=${HPC_STAGING:-shared-fs}
IMAGE="" WS="" CWS="" LOCAL_WS="" WORKDIR="" INPUTS="" OUTPUTS="" CHIRP="" ENV_NAMES="" CMD_FILE="" OUTPUT_TOO_LARGE=""

# Words may be separated by dots too: an HPCJobSet sends each index its own HPC_ARGV and HPC_ENV in one row
# of the submit description's queue table, which splits at blanks. base64 has no dot, so nothing else changes.
HPC_ARGV=$(printf '%s' "${HPC_ARGV:-}" | tr . ' ')
HPC_ENV=$(printf '%s' "${HPC_ENV:-}" | tr . ' ')

# The step's argv: HPC_ARGV words, or the script run by /bin/sh -c.
if [ -n "${HPC_SCRIPT:-}" ]; then
  decode "$HPC_SCRIPT" || finish "$EXIT_USAGE" wrapper "HPC_SCRIPT is not base64"
  set -- /bin/sh -c "$DECODED" hpc-step
elif [ -n "${HPC_ARGV:-}" ]; then
  words=$HPC_ARGV
  set --
  for w in $words; do
    decode "$w" || finish "$EXIT_USAGE" wrapper "HPC_ARGV is not base64"
    set -- "$@" "$DECODED"
  done
else
  finish "$EXIT_USAGE" wrapper "neither HPC_ARGV nor HPC_SCRIPT is set"
fi

if [ -n "${HPC_IMAGE:-}" ]; then decode "$HPC_IMAGE" || finish "$EXIT_USAGE" wrapper "HPC_IMAGE is not base64"; IMAGE=$DECODED; fi
if [ -n "${HPC_WORKSPACE:-}" ]; then decode "$HPC_WORKSPACE" || finish "$EXIT_USAGE" wrapper "HPC_WORKSPACE is not base64"; WS=$DECODED; fi
if [ -n "${HPC_WORKDIR:-}" ]; then decode "$HPC_WORKDIR" || finish "$EXIT_USAGE" wrapper "HPC_WORKDIR is not base64"; WORKDIR=$DECODED; fi
INPUTS=$(decode_words "${HPC_INPUTS:-}") || finish "$EXIT_USAGE" wrapper "HPC_INPUTS is not base64"
OUTPUTS=$(decode_words "${HPC_OUTPUTS:-}") || finish "$EXIT_USAGE" wrapper "HPC_OUTPUTS is not base64"
MAX_OUT=${HPC_MAX_OUTPUT_BYTES:-}
case "$MAX_OUT" in *[!0-9]*) finish "$EXIT_USAGE" wrapper "HPC_MAX_OUTPUT_BYTES is not a number of bytes" ;; esac
[ -n "$WS" ] || STAGING=none
# cctools: the workspace's path on the chirp_server, below the prefix it exports as its root.
CWS=$WS
if [ -n "${HPC_CHIRP_ROOT:-}" ]; then
  decode "$HPC_CHIRP_ROOT" || finish "$EXIT_USAGE" wrapper "HPC_CHIRP_ROOT is not base64"
  CWS="/${WS#"${DECODED%/}"/}"
fi
# A cctools ticket shipped with the job (cct uses it).
TICKET=""
# shellcheck disable=SC2034 # read by cct
[ -r "$SCRATCH/hpc-chirp.ticket" ] && TICKET="$SCRATCH/hpc-chirp.ticket"

# Where the workspace lives on this worker: a copy under scratch in the REANA layout, or the original.
case "$STAGING" in
  shared-fs | parrot | none) LOCAL_WS=$WS ;;
  *) LOCAL_WS="$H/root$WS" ;;
esac
[ -n "$WORKDIR" ] || WORKDIR=${WS:-$SCRATCH}

# Stage in, then remember what is there to send back only what the step creates or changes.
t0=$(now)
STAGE_ERROR=""
stage_in || { T_IN=$(elapsed "$t0"); finish "$EXIT_STAGE_IN" stage-in "stage-in failed: $STAGE_ERROR"; }
T_IN=$(elapsed "$t0")
case "$STAGING" in chirp | cctools | condor-transfer) snapshot "$LOCAL_WS" "$H/before" ;; esac

find_runtime || finish "$EXIT_NO_RUNTIME" no-runtime "no container runtime among: ${HPC_RUNTIME_ORDER:-$DEFAULT_RUNTIME_ORDER} (requested: $HPC_RUNTIME) can run $IMAGE"

# The user's environment goes to the step only.
# Each pair stays base64 until it is exported, so a value may hold any byte, newlines included.
ENV_NAMES=""
for w in ${HPC_ENV:-}; do
  decode "$w" || finish "$EXIT_USAGE" wrapper "HPC_ENV is not base64"
  _name=${DECODED%%=*}
  case "$_name" in
    "$DECODED" | "" | [0-9]* | *[!A-Za-z0-9_]*) finish "$EXIT_USAGE" wrapper "HPC_ENV: not a NAME=VALUE pair with a valid name" ;;
  esac
  ENV_NAMES="$ENV_NAMES $_name"
done
runtime_command "$@" || finish "$EXIT_NO_RUNTIME" no-runtime "$RUNTIME_USED could not prepare $IMAGE"
if [ "$RUNTIME_USED" = none ] && [ "$STAGING" != none ] && [ "$WORKDIR" = "$WS" ]; then WORKDIR=$LOCAL_WS; fi
# The command line, rebuilt from its file (each word base64 on its own line: any byte survives).
set --
while IFS= read -r w; do decode "$w" || finish "$EXIT_USAGE" wrapper "internal: bad command word"; set -- "$@" "$DECODED"; done <"$CMD_FILE"

# The step runs in the background so that the traps run while it does (a shell runs traps only between
# commands, and when a signal interrupts wait). Its standard input stays the wrapper's (an asynchronous
# command would get /dev/null).
t0=$(now)
# (`command`: a failed redirection of the special built-in exec would end the shell; stdin may be closed.)
{ command exec 3<&0; } 2>/dev/null || exec 3</dev/null
live_output
PHASE=step
(
  for w in ${HPC_ENV:-}; do
    decode "$w"
    kv=$DECODED
    # shellcheck disable=SC2163 # exporting the NAME=VALUE held in kv is the point
    case "$RUNTIME_USED" in
      apptainer) export "APPTAINERENV_$kv" ;;
      singularity) export "SINGULARITYENV_$kv" ;;
      *) export "$kv" ;;
    esac
  done
  # Natively the step starts in its working directory; the runtimes are told with their own flags.
  if [ "$RUNTIME_USED" = none ]; then cd "$WORKDIR" 2>/dev/null || cd "$SCRATCH" || exit "$EXIT_USAGE"; fi
  exec "$@"
) <&3 3<&- >"$STEP_OUT" 2>"$STEP_ERR" &
STEP_PID=$!
exec 3<&-
# A signal that came between the start and here found no pid to pass on.
[ -n "$STOP_NAME" ] && kill -TERM "$STEP_PID" 2>/dev/null
wait_step
PHASE=after
code=$STEP_CODE
T_RUN=$(elapsed "$t0")
end_live_output

# Told to stop while the step ran: whatever the step's end, the wrapper dies by the signal it was sent.
[ -n "$STOP_NAME" ] && SIGNAL=$STOP_NUMBER

# Results go back whatever the exit code: a failed step's outputs are evidence.
t0=$(now)
if [ -n "$WS" ] && ! stage_out; then
  T_OUT=$(elapsed "$t0")
  [ -n "$OUTPUT_TOO_LARGE" ] && finish "$EXIT_OUTPUT_TOO_LARGE" output-too-large "$STAGE_ERROR"
  finish "$EXIT_STAGE_OUT" stage-out "stage-out failed: $STAGE_ERROR"
fi
T_OUT=$(elapsed "$t0")

if [ -n "$STOP_NAME" ]; then
  ended="exited with code $code"
  if [ "$code" -gt 128 ] && [ "$code" -lt 160 ] && fatal_signal $((code - 128)); then ended="was killed by signal $((code - 128))"; fi
  finish "$code" terminated "received SIG$STOP_NAME while the step ran (HTCondor sends SIGTERM to remove, hold or evict a job): the step was sent SIGTERM and $ended"
fi
if [ "$code" -gt 128 ] && [ "$code" -lt 160 ] && fatal_signal $((code - 128)); then
  SIGNAL=$((code - 128))
  finish "$code" signal "killed by signal $SIGNAL"
fi
[ "$code" = 0 ] && finish 0 ok "exited 0"
finish "$code" exit "exited with code $code"
