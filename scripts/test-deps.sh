#!/usr/bin/env bash
# What the tests need on a Debian 12 machine, installed as root: the README's test
# command and .ci/run both run this, so the list is kept in one place.
#   docker.io        dockerd, containerd (its ctr finds snapshots for the du checks) and
#                    runc for the throwaway test engine (its own socket, never the host's)
#   busybox-static   the test image
#   e2fsprogs, util-linux, mount   mkfs.ext4, losetup, unshare for the engine's data-root
#   time             GNU time for npm run bench
#   systemd          systemd-analyze for the units
#   openssl          the SMTP tests' certificate
#   git              the clone .ci/run tests from
#   debootstrap      engine 26.1 (Debian trixie's docker.io), run from a chroot
#   prometheus, prometheus-alertmanager   promtool and the real Prometheus and
#                    Alertmanager the metrics tests start on 127.0.0.1 (issue #12)
# Services are held back while installing (policy-rc.d says no to every start), so
# neither Prometheus nor Alertmanager nor dockerd starts as a system service.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
# Services that this script installs are also left disabled, so they do not start at
# the next boot either (a service that was installed before is left as it was).
services=()
for package in docker.io:docker.service docker.io:docker.socket prometheus:prometheus.service prometheus-alertmanager:prometheus-alertmanager.service; do
  dpkg -s "${package%%:*}" >/dev/null 2>&1 || services+=("${package#*:}")
done
apt-get update
apt-get install -y --no-install-recommends \
  docker.io busybox-static e2fsprogs util-linux mount time systemd openssl git debootstrap \
  prometheus prometheus-alertmanager
for service in "${services[@]}"; do
  systemctl disable "$service" >/dev/null 2>&1 || true
done
