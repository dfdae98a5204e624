#!/bin/sh
# Runs as pid 1 of a fresh mount + pid + UTS namespace (started by stack.sh through unshare) and turns it into
# a small "machine": the cached Debian 13 root as the lower layer of an overlay, the component's own upper
# layer for its state, pivot_root into it (not chroot: user namespaces, which Charliecloud needs, cannot be
# created from inside a chroot), then exec the component's init under tini, which reaps orphans.
# Every mount lives in this private namespace, so it disappears with the last process: nothing to unmount.
#
# usage: enter-root.sh HOSTNAME LOWER STATE-DIR [HOST-DIR:ROOT-DIR[:ro] ...] -- COMMAND...
set -eu
hostname=$1 lower=$2 state=$3
shift 3
root="$state/root"
mkdir -p "$state/upper" "$state/work" "$root"
mount -t overlay overlay -o "lowerdir=$lower,upperdir=$state/upper,workdir=$state/work" "$root"
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --rbind /dev "$root/dev"
mount -t tmpfs -o mode=755 tmpfs "$root/run"
while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
  src=${1%%:*} dst=${1#*:} mode=rw
  case "$dst" in *:ro) dst=${dst%:ro} mode=ro ;; esac
  mkdir -p "$root$dst"
  mount --bind "$src" "$root$dst"
  [ "$mode" = ro ] && mount -o remount,bind,ro "$root$dst"
  shift
done
[ "${1:-}" = "--" ] && shift
hostname "$hostname"
cd "$root"
mkdir -p .oldroot
pivot_root . .oldroot
cd /
umount -l /.oldroot
rmdir /.oldroot 2>/dev/null || true
exec /usr/bin/tini -s -g -- "$@"
