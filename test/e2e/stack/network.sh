# shellcheck shell=sh disable=SC2034,SC2154 # sourced by stack.sh, which defines the shared variables
# The network of the local stack: a namespace for the HPC site, linked to the host by a veth pair.
# Sourced by stack.sh.

net_up() {
  ip netns list | grep -qw "$HPC_NETNS" || ip netns add "$HPC_NETNS"
  if ! ip link show "$HPC_VETH_HOST" >/dev/null 2>&1; then
    ip link add "$HPC_VETH_HOST" type veth peer name "$HPC_VETH_SITE"
    ip link set "$HPC_VETH_SITE" netns "$HPC_NETNS"
    ip addr add "$HPC_POOL_ADDR/30" dev "$HPC_VETH_HOST"
    ip -n "$HPC_NETNS" addr add "$HPC_SITE_ADDR/30" dev "$HPC_VETH_SITE"
  fi
  ip link set "$HPC_VETH_HOST" up
  ip -n "$HPC_NETNS" link set "$HPC_VETH_SITE" up
  ip -n "$HPC_NETNS" link set lo up
}

net_down() {
  ip link del "$HPC_VETH_HOST" 2>/dev/null || true
  ip netns del "$HPC_NETNS" 2>/dev/null || true
  # iproute2 bind-mounts /run/netns onto itself the first time; leave no mount behind when no namespace is left.
  if [ -z "$(ip netns list 2>/dev/null)" ] && mountpoint -q /run/netns; then umount /run/netns 2>/dev/null || true; fi
}

net_status() {
  _state=down
  ip -n "$HPC_NETNS" addr show "$HPC_VETH_SITE" 2>/dev/null | grep -q "$HPC_SITE_ADDR" && _state=up
  printf '%-24s %-8s %-28s %s\n' "network ($HPC_NETNS)" - "$HPC_POOL_ADDR <-> $HPC_SITE_ADDR" "$_state"
  [ "$_state" = up ] || STATUS_RC=1
}
