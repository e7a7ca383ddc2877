#!/usr/bin/env bash
# A throwaway Docker engine for the tests: Debian's dockerd with its own socket, its
# data-root on a small loop-mounted ext4 image (so disk pressure is real and bounded),
# no networking, and a local busybox image made with `docker import` (there is no
# registry here). It never touches /var/run/docker.sock or /var/lib/docker.
#
#   test-engine.sh start DIR SIZE_MB [INODES]   start an engine in DIR (cleaning up first)
#   test-engine.sh stop DIR                     stop it and remove every trace
#   test-engine.sh clean-all PARENT             stop every engine left under PARENT
#
# After start, DIR/docker.sock is the engine and DIR/env holds DOCKER_HOST=... .
# start copes with whatever a killed earlier run left in DIR: a live or stale pid file,
# containerd and shims still running, a socket, mounts, a loop device.
set -euo pipefail

IMAGE=wdt-busybox:latest

log() { echo "test-engine: $*" >&2; }
die() { log "$*"; exit 1; }

need_root() {
  [ "$(id -u)" = 0 ] || die "must run as root (it mounts a loop device and starts dockerd)"
  command -v dockerd >/dev/null || die "dockerd not found: install Debian's docker.io"
  command -v busybox >/dev/null || die "busybox not found: install Debian's busybox-static"
  command -v mkfs.ext4 >/dev/null || die "mkfs.ext4 not found: install e2fsprogs"
}

# Mount points at or under DIR, deepest first.
mounts_under() {
  local dir=$1
  awk -v d="$dir" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/self/mounts | sort -r
}

# Processes started for this engine: dockerd, its managed containerd, the shims and
# whatever runs in containers. They all name DIR on their command line, or their cwd or
# root lies under DIR.
pids_under() {
  local dir=$1 pid
  for pid in $(ls /proc | grep -E '^[0-9]+$'); do
    [ "$pid" = $$ ] && continue
    if { tr '\0' ' ' < /proc/$pid/cmdline; } 2>/dev/null | grep -qF -- "$dir/"; then echo "$pid"; fi
  done
}

# Containers of this engine run under their own cgroup parent, so that what a killed
# dockerd left running can be found and ended without touching any other engine.
cgroup_parent() { echo "wdt-$(basename "$1")"; }

kill_containers() {
  local cg f pid
  cg=$(cgroup_parent "$1")
  # A paused (frozen) process cannot die until thawed.
  for f in /sys/fs/cgroup/freezer/"$cg"/*/freezer.state; do [ -f "$f" ] && echo THAWED > "$f" 2>/dev/null || true; done
  for f in /sys/fs/cgroup/*/"$cg"/*/cgroup.procs /sys/fs/cgroup/*/"$cg"/cgroup.procs; do
    [ -f "$f" ] || continue
    for pid in $(cat "$f" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
  done
  sleep 0.2
  for f in /sys/fs/cgroup/*/"$cg"; do [ -d "$f" ] && find "$f" -depth -type d -exec rmdir {} \; 2>/dev/null || true; done
}

stop_engine() {
  local dir=$1 pid
  [ -n "$dir" ] && [ "$dir" != / ] || die "refusing to clean '$dir'"
  if [ -f "$dir/docker.pid" ]; then
    pid=$(cat "$dir/docker.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && { tr '\0' ' ' < /proc/$pid/cmdline; } 2>/dev/null | grep -qF -- "$dir/"; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
  fi
  # Whatever is left (a killed dockerd leaves containerd, shims and containers behind).
  for pid in $(pids_under "$dir"); do kill -KILL "$pid" 2>/dev/null || true; done
  kill_containers "$dir"
  sleep 0.2
  local m
  for m in $(mounts_under "$dir"); do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
  if [ -f "$dir/disk.img" ]; then
    local dev
    for dev in $(losetup -j "$dir/disk.img" -O NAME -n 2>/dev/null); do losetup -d "$dev" 2>/dev/null || true; done
  fi
  rm -rf "$dir"
}

make_rootfs_tar() {
  local dir=$1 rootfs=$1/rootfs
  mkdir -p "$rootfs"/{bin,etc,tmp,run,var/tmp,var/log,usr/bin,usr/sbin,sbin,root,proc,sys,dev}
  cp "$(command -v busybox)" "$rootfs/bin/busybox"
  local applet
  for applet in $("$rootfs/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$rootfs/bin/$applet"
  done
  # A few real files under /usr/bin and /etc, so that replacing one is a change
  # `docker diff` reports as modified, as on a real image.
  cp "$rootfs/bin/busybox" "$rootfs/usr/bin/passwd"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$rootfs/etc/group"
  chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"
  tar -C "$rootfs" -cf "$dir/rootfs.tar" .
  rm -rf "$rootfs"
}

start_engine() {
  local dir=$1 size_mb=$2 inodes=${3:-}
  need_root
  case "$dir" in /*) ;; *) die "DIR must be absolute" ;; esac
  # unix sockets have a 108-byte path limit; containerd's lives under exec/
  [ ${#dir} -le 60 ] || die "DIR '$dir' is too long for the engine's sockets (60 characters at most)"
  stop_engine "$dir"
  mkdir -p "$dir/root" "$dir/exec"

  truncate -s "${size_mb}M" "$dir/disk.img"
  if [ -n "$inodes" ]; then
    mkfs.ext4 -q -F -N "$inodes" -m 0 "$dir/disk.img"
  else
    mkfs.ext4 -q -F -m 0 "$dir/disk.img"
  fi
  mount -o loop "$dir/disk.img" "$dir/root"

  echo '{}' > "$dir/daemon.json"
  # setsid: the engine must not die with the shell that started it, nor take signals
  # meant for the test runner. The proxy variables point at a closed loopback port, so
  # that an image pull asked for by mistake fails here instead of leaving the machine.
  HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 NO_PROXY= \
  setsid dockerd \
    --config-file "$dir/daemon.json" \
    --host "unix://$dir/docker.sock" \
    --data-root "$dir/root" \
    --exec-root "$dir/exec" \
    --pidfile "$dir/docker.pid" \
    --storage-driver overlay2 \
    --cgroup-parent "/$(cgroup_parent "$dir")" \
    --bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
    --userland-proxy=false \
    --log-level warn \
    > "$dir/dockerd.log" 2>&1 < /dev/null &

  export DOCKER_HOST="unix://$dir/docker.sock"
  for _ in $(seq 1 300); do
    if docker version >/dev/null 2>&1; then break; fi
    sleep 0.1
  done
  docker version >/dev/null 2>&1 || { tail -20 "$dir/dockerd.log" >&2; die "dockerd in $dir did not come up within 30 s"; }

  make_rootfs_tar "$dir"
  docker import "$dir/rootfs.tar" "$IMAGE" >/dev/null
  rm -f "$dir/rootfs.tar"
  echo "DOCKER_HOST=$DOCKER_HOST" > "$dir/env"
  log "engine up in $dir ($size_mb MB data-root${inodes:+, $inodes inodes}, image $IMAGE)"
}

case "${1:-}" in
  start) [ $# -ge 3 ] || die "usage: $0 start DIR SIZE_MB [INODES]"; start_engine "$2" "$3" "${4:-}" ;;
  stop) [ $# -eq 2 ] || die "usage: $0 stop DIR"; stop_engine "$2" ;;
  clean-all)
    [ $# -eq 2 ] || die "usage: $0 clean-all PARENT"
    if [ -d "$2" ]; then
      for d in "$2"/*/; do if [ -d "$d" ]; then stop_engine "${d%/}"; fi; done
    fi ;;
  *) die "usage: $0 start DIR SIZE_MB [INODES] | stop DIR | clean-all PARENT" ;;
esac
