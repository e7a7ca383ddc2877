#!/usr/bin/env bash
# A throwaway Docker engine for the tests: Debian's dockerd and containerd with their
# own sockets, the data-root on a small loop-mounted ext4 image (so disk pressure is
# real and bounded), no networking, and a local busybox image made with `docker
# import` (there is no registry here). It never touches /var/run/docker.sock,
# /var/lib/docker or a containerd the host runs.
#
#   test-engine.sh start NAME SIZE_MB [INODES]   start an engine in PARENT/NAME (cleaning up first)
#   test-engine.sh stop NAME                     stop it and remove every trace
#   test-engine.sh clean-stale                   stop what killed runs left under PARENT
#   test-engine.sh dockerd-stop NAME             stop only its dockerd (an engine outage)
#   test-engine.sh dockerd-start NAME            start that dockerd again, as start did
#
# WDT_CONTAINERD_TMPFS_MB puts containerd's root on a tmpfs of that size.
# WDT_ENGINE picks the engine: 20.10 (the host's docker.io, the default), 26.1 or
# 26.1-containerd (Debian trixie's docker.io from a chroot, with overlay2 or with the
# containerd image store; see prepare_trixie).
# PARENT is /tmp/docker-watchdog-test (or WDT_ENGINES_DIR, a folder under /tmp, so that
# two checkouts can run their suites at once); the script acts on nothing outside it. After
# start, PARENT/NAME/docker.sock is the engine and PARENT/NAME/env holds DOCKER_HOST=...
# start copes with whatever a killed earlier run left in its directory: a live or stale
# dockerd, containerd and shims, running or frozen containers, mounts, a loop device.
# dockerd-stop and dockerd-start keep containerd, the mounts and the data-root: the
# engine restarts as a host's does (containers with a restart policy come back). While
# its dockerd is stopped, clean-stale counts the engine as stale.
set -euo pipefail

PARENT=${WDT_ENGINES_DIR:-/tmp/docker-watchdog-test}
case "$PARENT" in /tmp/?*) ;; *) echo "test-engine: WDT_ENGINES_DIR must be a folder under /tmp, not '$PARENT'" >&2; exit 1 ;; esac
IMAGE=wdt-busybox:latest
# Which engine (issue #10): the host's own dockerd and containerd (Debian bookworm's
# 20.10), or Debian trixie's docker.io 26.1 with containerd 1.7, run from a chroot made
# once with debootstrap, with overlay2 or with the containerd image store.
ENGINE=${WDT_ENGINE:-20.10}
case "$ENGINE" in 20.10 | 26.1 | 26.1-containerd) ;; *) echo "test-engine: WDT_ENGINE must be 20.10, 26.1 or 26.1-containerd, not '$ENGINE'" >&2; exit 1 ;; esac
TRIXIE=$PARENT/.trixie/root

log() { echo "test-engine: $*" >&2; }
die() { log "$*"; exit 1; }

need_root() {
  [ "$(id -u)" = 0 ] || die "must run as root (it mounts a loop device and starts dockerd)"
  local tool
  for tool in dockerd containerd busybox mkfs.ext4 losetup; do
    command -v "$tool" >/dev/null || die "$tool not found: install Debian's docker.io, busybox-static, e2fsprogs and mount"
  done
}

# The engine's directory, refusing any name that would put it outside PARENT.
dir_of() {
  case "$1" in
    '' | */* | . | ..) die "engine name '$1' must be a plain name (it lives in $PARENT/)" ;;
  esac
  echo "$PARENT/$1"
}

# Mount points at or under DIR, deepest first.
mounts_under() {
  awk -v d="$1" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/self/mounts | sort -r
}

# Processes of this engine: dockerd, containerd and the shims all name DIR on their
# command line.
pids_under() {
  local dir=$1 pid
  for pid in $(ls /proc | grep -E '^[0-9]+$'); do
    [ "$pid" = $$ ] && continue
    if { tr '\0' ' ' < /proc/$pid/cmdline; } 2>/dev/null | grep -qF -- "$dir/"; then echo "$pid"; fi
  done
}

# Containers of this engine run under their own cgroup parent (cgroupfs driver), so
# that what a killed dockerd left running can be found and ended without touching any
# other engine. Cgroups are the host's, not PARENT's: the name holds a hash of the
# engine's whole path, or stopping engine "watch" of one checkout (WDT_ENGINES_DIR)
# would kill the containers of another checkout's engine "watch".
cgroup_parent() { echo "wdt-$(printf '%s' "$1" | sha256sum | cut -c1-8)-$(basename "$1")"; }

kill_containers() {
  local cg f pid
  cg=$(cgroup_parent "$1")
  # cgroup v2: one call kills the whole subtree, frozen or not.
  if [ -f "/sys/fs/cgroup/$cg/cgroup.kill" ]; then echo 1 > "/sys/fs/cgroup/$cg/cgroup.kill" 2>/dev/null || true; fi
  # cgroup v1: a paused (frozen) process cannot die until thawed.
  for f in /sys/fs/cgroup/freezer/"$cg"/*/freezer.state; do if [ -f "$f" ]; then echo THAWED > "$f" 2>/dev/null || true; fi; done
  for f in /sys/fs/cgroup/*/"$cg"/*/cgroup.procs /sys/fs/cgroup/*/"$cg"/cgroup.procs /sys/fs/cgroup/"$cg"/*/cgroup.procs; do
    [ -f "$f" ] || continue
    for pid in $(cat "$f" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
  done
  sleep 0.2
  for f in /sys/fs/cgroup/*/"$cg" /sys/fs/cgroup/"$cg"; do
    if [ -d "$f" ]; then find "$f" -depth -type d -exec rmdir {} \; 2>/dev/null || true; fi
  done
}

# Every path this script removes, unmounts or kills by must lie in PARENT.
check_dir() {
  case "$1" in "$PARENT"/?*) ;; *) die "refusing to act on '$1': engines live in $PARENT/" ;; esac
}

stop_engine() {
  local dir=$1 pid m dev
  check_dir "$dir"
  [ -d "$dir" ] || return 0
  if [ -f "$dir/docker.pid" ]; then
    pid=$(cat "$dir/docker.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && { tr '\0' ' ' < /proc/$pid/cmdline; } 2>/dev/null | grep -qF -- "$dir/"; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
  fi
  # Whatever is left (a killed dockerd leaves containerd, shims and containers behind).
  for pid in $(pids_under "$dir"); do kill -KILL "$pid" 2>/dev/null || true; done
  kill_containers "$dir"
  # Its view inside the engine 26.1 chroot first, then its own mounts.
  for m in $(mounts_under "$TRIXIE$dir") $(mounts_under "$dir"); do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
  if [ -d "$TRIXIE$dir" ]; then rmdir "$TRIXIE$dir" 2>/dev/null || true; fi
  if [ -f "$dir/disk.img" ]; then
    for dev in $(losetup -j "$dir/disk.img" -O NAME -n 2>/dev/null); do losetup -d "$dev" 2>/dev/null || true; done
  fi
  rm -rf --one-file-system "$dir"
}

# The chroot of engine 26.1, made once (about a minute) and kept in PARENT/.trixie (a
# hidden name: clean-stale leaves it alone). dockerd remounts / in its own mount
# namespace, so the chroot's root must be a mount point; /proc, /sys and /dev are the
# host's. Each engine's folder is bind-mounted at the same absolute path inside it, so
# that its sockets, data-root and log paths are the same for the watchdog on the host.
prepare_trixie() {
  if [ ! -x "$TRIXIE/usr/sbin/dockerd" ]; then
    command -v debootstrap >/dev/null || die "debootstrap not found: install Debian's debootstrap (engine 26.1 is built from Debian trixie's packages)"
    mkdir -p "$TRIXIE"
    log "building the engine 26.1 chroot in $TRIXIE (debootstrap trixie)"
    debootstrap --variant=minbase --include=docker.io,containerd,runc,ca-certificates trixie "$TRIXIE" > "$PARENT/.trixie/debootstrap.log" 2>&1 ||
      { tail -20 "$PARENT/.trixie/debootstrap.log" >&2; die "debootstrap of trixie failed"; }
  fi
  mountpoint -q "$TRIXIE" || mount --bind "$TRIXIE" "$TRIXIE"
  local m
  for m in proc sys dev; do mountpoint -q "$TRIXIE/$m" || mount --rbind "/$m" "$TRIXIE/$m"; done
}

# How a daemon of the chosen engine is run: the host's, or the chroot's.
engine_exec() {
  if [ "$ENGINE" = 20.10 ]; then EXEC=(); else EXEC=(chroot "$TRIXIE"); fi
}

make_rootfs_tar() {
  local dir=$1 rootfs=$1/rootfs applet
  mkdir -p "$rootfs"/{bin,etc,tmp,run,var/tmp,var/log,usr/bin,usr/sbin,sbin,root,proc,sys,dev}
  cp "$(command -v busybox)" "$rootfs/bin/busybox"
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

wait_for_socket() {
  local socket=$1 what=$2 logfile=$3
  for _ in $(seq 1 300); do
    [ -S "$socket" ] && return 0
    sleep 0.1
  done
  tail -20 "$logfile" >&2
  die "$what did not come up within 30 s"
}

# dockerd of the engine in DIR, on the containerd start_engine started there; returns
# once it answers (with DOCKER_HOST set to it). start and dockerd-start both launch it
# here, with the same options.
launch_dockerd() {
  local dir=$1
  # No image pull may leave the machine (see start_engine).
  export HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 NO_PROXY=
  engine_exec
  # The containerd image store (the default of Docker 29) keeps images and writable
  # layers in containerd's snapshotter, not in overlay2/.
  local storage=(--storage-driver overlay2)
  if [ "$ENGINE" = 26.1-containerd ]; then
    echo '{"features": {"containerd-snapshotter": true}}' > "$dir/daemon.json"
    storage=()
  else
    echo '{}' > "$dir/daemon.json"
  fi
  setsid "${EXEC[@]}" dockerd \
    --config-file "$dir/daemon.json" \
    --host "unix://$dir/docker.sock" \
    --containerd "$dir/exec/containerd.sock" \
    --containerd-namespace "wdt-$(basename "$dir")" \
    --containerd-plugins-namespace "wdt-$(basename "$dir")-plugins" \
    --data-root "$dir/root" \
    --exec-root "$dir/exec" \
    --pidfile "$dir/docker.pid" \
    "${storage[@]}" \
    --exec-opt native.cgroupdriver=cgroupfs \
    --cgroup-parent "/$(cgroup_parent "$dir")" \
    --bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
    --userland-proxy=false \
    --log-level warn \
    >> "$dir/dockerd.log" 2>&1 < /dev/null &

  wait_for_dockerd "$dir"
}

wait_for_dockerd() {
  local dir=$1
  export DOCKER_HOST="unix://$dir/docker.sock"
  for _ in $(seq 1 300); do
    if docker version >/dev/null 2>&1; then break; fi
    sleep 0.1
  done
  docker version >/dev/null 2>&1 || { tail -20 "$dir/dockerd.log" >&2; die "dockerd in $dir did not come up within 30 s"; }
}

start_engine() {
  local dir=$1 size_mb=$2 inodes=${3:-}
  check_dir "$dir"
  need_root
  stop_engine "$dir"
  # A start that fails half-way leaves nothing running behind it.
  STARTING=$dir
  trap 'stop_engine "$STARTING"' EXIT
  mkdir -p "$dir/root" "$dir/exec"

  truncate -s "${size_mb}M" "$dir/disk.img"
  mkfs.ext4 -q -F -m 0 ${inodes:+-N "$inodes"} "$dir/disk.img"
  mount -o loop "$dir/disk.img" "$dir/root"
  # WDT_CONTAINERD_TMPFS_MB: containerd's root on a filesystem of its own (a tmpfs of
  # that size), as on hosts that give /var/lib/containerd its own disk (issue #10).
  if [ -n "${WDT_CONTAINERD_TMPFS_MB:-}" ]; then
    mkdir -p "$dir/root/containerd"
    mount -t tmpfs -o "size=${WDT_CONTAINERD_TMPFS_MB}m" tmpfs "$dir/root/containerd"
  fi
  if [ "$ENGINE" != 20.10 ]; then
    prepare_trixie
    mkdir -p "$TRIXIE$dir"
    mount --rbind "$dir" "$TRIXIE$dir"
  fi

  # Our own containerd: dockerd would otherwise use the host's, if one runs at
  # /run/containerd/containerd.sock, and its shims would escape this cleanup.
  cat > "$dir/containerd.toml" <<EOF
version = 2
root = "$dir/root/containerd"
state = "$dir/exec/containerd"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$dir/exec/containerd.sock"
[debug]
  level = "warn"
EOF
  # setsid: the daemons must not die with the shell that started them, nor take
  # signals meant for the test runner. The proxy variables point at a closed loopback
  # port, so that an image pull asked for by mistake fails here instead of leaving the
  # machine.
  export HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 NO_PROXY=
  engine_exec
  setsid "${EXEC[@]}" containerd --config "$dir/containerd.toml" > "$dir/containerd.log" 2>&1 < /dev/null &
  wait_for_socket "$dir/exec/containerd.sock" containerd "$dir/containerd.log"

  echo "$ENGINE" > "$dir/engine"
  launch_dockerd "$dir"

  make_rootfs_tar "$dir"
  docker import "$dir/rootfs.tar" "$IMAGE" >/dev/null
  rm -f "$dir/rootfs.tar"
  echo "DOCKER_HOST=$DOCKER_HOST" > "$dir/env"
  trap - EXIT
  log "engine $ENGINE up in $dir ($size_mb MB data-root${inodes:+, $inodes inodes}, image $IMAGE)"
}

# The pid of DIR's dockerd if it runs (its pidfile, and DIR on its command line), or
# nothing.
dockerd_pid() {
  local dir=$1 pid
  pid=$(cat "$dir/docker.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && { tr '\0' ' ' < /proc/$pid/cmdline; } 2>/dev/null | grep -qF -- "$dir/"; then echo "$pid"; fi
}

# An engine outage: only dockerd goes (as systemctl stop docker.service would: it stops
# the containers first); containerd, the mounts and the data-root stay for dockerd-start.
stop_dockerd() {
  local dir=$1 pid
  check_dir "$dir"
  need_root
  [ -S "$dir/exec/containerd.sock" ] || die "no engine runs in $dir (start it first)"
  pid=$(dockerd_pid "$dir")
  [ -n "$pid" ] || die "the dockerd of $dir is not running"
  kill -TERM "$pid"
  for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  ! kill -0 "$pid" 2>/dev/null || die "the dockerd of $dir did not stop within 30 s"
  log "dockerd of $dir stopped (containerd and the data-root kept)"
}

# dockerd again, as start launched it: the engine generation start recorded, not
# whatever WDT_ENGINE says now.
start_dockerd() {
  local dir=$1
  check_dir "$dir"
  need_root
  [ -S "$dir/exec/containerd.sock" ] && mountpoint -q "$dir/root" || die "no stopped engine in $dir: its containerd and data-root are gone (use start)"
  [ -z "$(dockerd_pid "$dir")" ] || die "the dockerd of $dir is already running"
  ENGINE=$(cat "$dir/engine" 2>/dev/null || true)
  case "$ENGINE" in 20.10 | 26.1 | 26.1-containerd) ;; *) die "$dir/engine does not say which engine runs there (start it again)" ;; esac
  launch_dockerd "$dir"
  log "dockerd of $dir started again"
}

# An engine directory whose dockerd is gone: what a killed test run leaves behind.
# Engines that still run may belong to a run in progress, and are left alone (starting
# an engine of the same name cleans it up anyway).
is_stale() {
  local dir=$1 pid
  pid=$(cat "$dir/docker.pid" 2>/dev/null || true)
  ! { [ -n "$pid" ] && { tr '\0' ' ' < /proc/$pid/cmdline; } 2>/dev/null | grep -qF -- "$dir/"; }
}

# The directory is worked out here, not inside an argument: a failure in $(...) there
# would not stop the script.
case "${1:-}" in
  start)
    [ $# -ge 3 ] || die "usage: $0 start NAME SIZE_MB [INODES]"
    dir=$(dir_of "$2")
    start_engine "$dir" "$3" "${4:-}" ;;
  stop)
    [ $# -eq 2 ] || die "usage: $0 stop NAME"
    dir=$(dir_of "$2")
    stop_engine "$dir" ;;
  clean-stale)
    if [ -d "$PARENT" ]; then
      for d in "$PARENT"/*/; do
        d=${d%/}
        if [ -d "$d" ] && is_stale "$d"; then stop_engine "$d"; fi
      done
    fi ;;
  dockerd-stop)
    [ $# -eq 2 ] || die "usage: $0 dockerd-stop NAME"
    dir=$(dir_of "$2")
    stop_dockerd "$dir" ;;
  dockerd-start)
    [ $# -eq 2 ] || die "usage: $0 dockerd-start NAME"
    dir=$(dir_of "$2")
    start_dockerd "$dir" ;;
  *) die "usage: $0 start NAME SIZE_MB [INODES] | stop NAME | clean-stale | dockerd-stop NAME | dockerd-start NAME" ;;
esac
