#!/bin/sh
# Builds the Debian 13 (trixie) root file system that the local stack runs HTCondor, SLURM and Son of Grid
# Engine from: HTCondor exists only in Debian 13, so it is not installed on the (Debian 12) host.
# The finished root is read-only input: each stack component mounts it as the lower layer of an overlay.
# A stamp of the package list and ROOTFS_RECIPE makes a second run a no-op: bump ROOTFS_RECIPE when the
# steps below change.
set -eu
HPC_REPO=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=hack/lib.sh
. "$HPC_REPO/hack/lib.sh"
need_root

: "${HPC_DEBIAN_MIRROR:=http://deb.debian.org/debian}"
PACKAGES="htcondor slurmctld slurmd slurm-client munge openssh-server openssh-client
  charliecloud-runtime coop-computing-tools python3 procps iproute2 busybox tini"
# Son of Grid Engine 8.1.9: its cell (SGE_ROOT /var/lib/gridengine, cell "default") is created at install
# time for the master host named here, which is the site's host name (test/e2e/stack/site.sh).
SGE_PACKAGES="gridengine-master gridengine-exec gridengine-client"

ROOTFS_RECIPE=3
stamp="$HPC_ROOTFS/.hpcop-stamp"
want=$(printf '%s %s %s %s' "$ROOTFS_RECIPE" "$PACKAGES" "$SGE_PACKAGES" "$HPC_SITE_NAME" | sha256sum | cut -c1-16)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
# Never swap the root under a running stack: its overlays use it as their lower layer.
for pidfile in "$HPC_STACK"/pids/*.pid; do
  if pid_alive "$pidfile"; then
    die "the Debian 13 root is out of date but the local stack is running: make stack-down first"
  fi
done
command -v debootstrap >/dev/null || die "debootstrap is missing (apt-get install debootstrap)"

tmp="$HPC_CACHE/rootfs.tmp"
cleanup() {
  for m in "$tmp/proc" "$tmp/dev"; do mountpoint -q "$m" && umount -l "$m"; done
  return 0
}
trap cleanup EXIT INT TERM
cleanup
rm -rf "$tmp"
mkdir -p "$HPC_CACHE"
log "debootstrap of Debian 13 into $tmp (first time: about a minute)"
debootstrap --variant=minbase trixie "$tmp" "$HPC_DEBIAN_MIRROR" >"$HPC_CACHE/debootstrap.log" 2>&1 ||
  die "debootstrap failed, see $HPC_CACHE/debootstrap.log"

# No service may start inside the root while packages install.
printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
chmod 755 "$tmp/usr/sbin/policy-rc.d"
mount -t proc proc "$tmp/proc"
mount --bind /dev "$tmp/dev"
log "installing HTCondor, SLURM, munge, sshd, Charliecloud and cctools into the root"
# shellcheck disable=SC2086 # word splitting of the package list is intended
DEBIAN_FRONTEND=noninteractive chroot "$tmp" apt-get install -y --no-install-recommends $PACKAGES \
  >"$HPC_CACHE/apt-root.log" 2>&1 || die "apt-get in the root failed, see $HPC_CACHE/apt-root.log"

# SGE: debconf answers instead of questions, and the install runs with the site's host name (a UTS namespace
# of its own), which must resolve: init_cluster records it as the master and admin host of the cell.
log "installing Son of Grid Engine into the root (cell 'default', master $HPC_SITE_NAME)"
for p in gridengine-common gridengine-master gridengine-exec gridengine-client; do
  printf '%s shared/gridengineconfig boolean true\n' "$p"
  printf '%s shared/gridenginecell string default\n' "$p"
  printf '%s shared/gridenginemaster string %s\n' "$p" "$HPC_SITE_NAME"
done | chroot "$tmp" debconf-set-selections
cp "$tmp/etc/hosts" "$tmp/etc/hosts.hpcop-orig" 2>/dev/null || : >"$tmp/etc/hosts.hpcop-orig"
printf '127.0.0.1 localhost\n%s %s\n' "$HPC_SITE_ADDR" "$HPC_SITE_NAME" >"$tmp/etc/hosts"
# shellcheck disable=SC2016 # $1..$3 expand in the inner shell
unshare --uts sh -c 'hostname "$1" && DEBIAN_FRONTEND=noninteractive chroot "$2" apt-get install -y \
  --no-install-recommends $3' sh "$HPC_SITE_NAME" "$tmp" "$SGE_PACKAGES" \
  >"$HPC_CACHE/apt-root-sge.log" 2>&1 || die "apt-get of SGE in the root failed, see $HPC_CACHE/apt-root-sge.log"
mv "$tmp/etc/hosts.hpcop-orig" "$tmp/etc/hosts"
grep -qx "$HPC_SITE_NAME" "$tmp/var/lib/gridengine/default/common/act_qmaster" ||
  die "the SGE cell was not made for $HPC_SITE_NAME, see $HPC_CACHE/apt-root-sge.log"
chroot "$tmp" apt-get clean

# Accounts: the HTCondor submitter (the operator's identity on the pool) and the site's login user.
chroot "$tmp" useradd -m -s /bin/bash -u 2001 "$HPC_SUBMITTER"
chroot "$tmp" useradd -m -s /bin/bash -u 2002 "$HPC_SITE_USER"
# Key-only logins: "*" is "no password" without the "!" lock that sshd (UsePAM no) would refuse.
chroot "$tmp" usermod -p "*" "$HPC_SITE_USER"
# Stock daemons' config and keys are written per stack at start-up, never baked into the cache.
rm -f "$tmp"/etc/ssh/ssh_host_* "$tmp/etc/munge/munge.key"
cleanup
trap - EXIT INT TERM

rm -rf "$HPC_ROOTFS"
mv "$tmp" "$HPC_ROOTFS"
echo "$want" >"$stamp"
log "Debian 13 root ready: $(du -sh "$HPC_ROOTFS" | cut -f1), $(chroot "$HPC_ROOTFS" condor_version | head -1)"
