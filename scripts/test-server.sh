#!/usr/bin/env bash
# A throwaway "server" for Hearth's own tests: a fresh Debian 12 root booted in its own PID, mount
# and UTS namespaces with Debian's daemonless `systemctl` as init, reachable only over its own sshd
# on a loopback port with key-only root login. No VM, no Docker, no systemd as PID 1 needed.
#
#   scripts/test-server.sh base                 build (once) the cached Debian root
#   scripts/test-server.sh start NAME [PORT]    copy the root, boot it, wait for SSH; prints KEY=VALUE lines
#   scripts/test-server.sh exec NAME CMD...     run a command inside (outside SSH, for test setup)
#   scripts/test-server.sh stop NAME            stop its init, unmount, remove the copy
#   scripts/test-server.sh list                 names of the running servers
#
# The base root and npm's cache live outside the checkout ($HEARTH_TEST_CACHE, default
# /var/cache/hearth-test) so a second run starts in seconds. Needs root, debootstrap, unshare.
set -euo pipefail

CACHE="${HEARTH_TEST_CACHE:-/var/cache/hearth-test}"
BASE="$CACHE/base-root"
SERVERS="$CACHE/servers"
NPM_CACHE="$CACHE/npm-cache"
# Bump when the base root's recipe changes, so caches built by an older recipe are rebuilt.
BASE_RECIPE=1
SUITE=bookworm
INCLUDE=openssh-server,systemctl,python3,ca-certificates,curl,xz-utils,sqlite3,procps,iproute2

die() {
  echo "test-server: $*" >&2
  exit 1
}

usage() {
  sed -n '6,11p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

mirror() {
  local uri=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    uri="$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)"
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

# Things every copy needs from this machine: name resolution (and the /etc/hosts a server has), apt sources and any local CA (a
# TLS-intercepting proxy's, say), or apt and npm inside fail.
copy_host_settings() {
  local root="$1"
  cp -L /etc/resolv.conf "$root/etc/resolv.conf"
  # debootstrap leaves no /etc/hosts; every real server has one (Caddy's admin listens on localhost).
  [ -s "$root/etc/hosts" ] || printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/debian.sources"
    rm -f "$root/etc/apt/sources.list"
  fi
}

build_base() {
  local tmp="$CACHE/base-root.tmp.$$"
  local started=$SECONDS
  echo "test-server: building the Debian 12 base root (once; about a minute)" >&2
  rm -rf --one-file-system "$tmp"
  debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$tmp" "$(mirror)" >"$CACHE/debootstrap.log" 2>&1 ||
    die "debootstrap failed; see $CACHE/debootstrap.log"
  copy_host_settings "$tmp"
  if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$tmp/usr/local/share/ca-certificates/"
    chroot "$tmp" update-ca-certificates >/dev/null 2>&1
  fi
  echo "cafile=/etc/ssl/certs/ca-certificates.crt" >"$tmp/etc/npmrc"
  # systemctl 1.4 crashes on SIGTERM in init mode (an exception without .message), which would
  # leave a clean stop impossible.
  local sysctl="$tmp/usr/bin/systemctl"
  grep -q 'result = e.message or "STOPPED"' "$sysctl" || die "unexpected systemctl version: the SIGTERM patch does not apply"
  sed -i 's/result = e.message or "STOPPED"/result = getattr(e, "message", None) or "STOPPED"/' "$sysctl"
  # Every copy gets host keys of its own at start.
  rm -f "$tmp"/etc/ssh/ssh_host_*
  cat >"$tmp/etc/ssh/sshd_config.d/10-hearth-test.conf" <<'EOF'
ListenAddress 127.0.0.1
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
EOF
  chroot "$tmp" systemctl enable ssh >/dev/null 2>&1 || true
  [ -e "$tmp/etc/systemd/system/multi-user.target.wants/ssh.service" ] ||
    ln -sf /lib/systemd/system/ssh.service "$tmp/etc/systemd/system/multi-user.target.wants/ssh.service"
  mkdir -p "$tmp/root/.npm" "$tmp/root/.ssh"
  chmod 700 "$tmp/root/.ssh"
  echo "$BASE_RECIPE" >"$tmp/.hearth-base-recipe"
  rm -rf --one-file-system "$BASE"
  mv "$tmp" "$BASE"
  echo "test-server: base root ready in $((SECONDS - started)) s" >&2
}

ensure_base() {
  mkdir -p "$CACHE" "$SERVERS" "$NPM_CACHE"
  # Several test files may ask at once: one builds, the others wait for it.
  exec 9>"$CACHE/base.lock"
  flock 9
  if [ "$(cat "$BASE/.hearth-base-recipe" 2>/dev/null || true)" != "$BASE_RECIPE" ]; then
    build_base
  fi
  flock -u 9
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The namespace's init: the one child of the `unshare` process.
init_pid() {
  local dir="$SERVERS/$1" pid
  pid="$(cat "$dir/unshare.pid" 2>/dev/null)" || return 1
  [ -r "/proc/$pid/task/$pid/children" ] || return 1
  # The file has no trailing newline, so read reports EOF even when it read a pid.
  read -r child _ <"/proc/$pid/task/$pid/children" || true
  [ -n "${child:-}" ] && echo "$child"
}

ssh_banner() {
  # shellcheck disable=SC2016 # expands in the inner shell
  timeout 1 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"; head -c 4 <&3' _ "$1" 2>/dev/null || true
}

check_name() {
  [[ "$1" =~ ^[a-z0-9][a-z0-9-]{0,30}$ ]] || die "server names are lowercase letters, digits and dashes"
}

start() {
  local name="$1" port="${2:-}"
  check_name "$name"
  local dir="$SERVERS/$name" root="$SERVERS/$name/root" started=$SECONDS
  ensure_base
  if [ -d "$dir" ]; then
    if init_pid "$name" >/dev/null; then die "$name is already running (stop it first)"; fi
    rm -rf --one-file-system "$dir"
  fi
  mkdir -p "$dir"
  cp -a --reflink=auto "$BASE" "$root"
  copy_host_settings "$root"
  [ -n "$port" ] || port="$(free_port)"
  echo "Port $port" >"$root/etc/ssh/sshd_config.d/00-hearth-port.conf"
  ssh-keygen -q -t ed25519 -N '' -C "root@$name" -f "$root/etc/ssh/ssh_host_ed25519_key"
  ssh-keygen -q -t ed25519 -N '' -C "hearth-test@$name" -f "$dir/id_ed25519"
  install -m 600 "$dir/id_ed25519.pub" "$root/root/.ssh/authorized_keys"

  # The mounts below happen inside the new mount namespace (private propagation): they vanish
  # with it and never show on this machine.
  # shellcheck disable=SC2016 # expands in the inner shell
  setsid unshare --pid --fork --mount --uts --mount-proc="$root/proc" \
    sh -c 'set -e
      mount --rbind /dev "$1/dev"
      mount --rbind /sys "$1/sys"
      mount --bind "$2" "$1/root/.npm"
      mkdir -p "$1/run/sshd"
      hostname "$3"
      exec env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 chroot "$1" /usr/bin/systemctl init' \
    hearth-test-server "$root" "$NPM_CACHE" "$name" \
    </dev/null >"$dir/console.log" 2>&1 &
  echo $! >"$dir/unshare.pid"
  echo "$port" >"$dir/port"

  local deadline=$((SECONDS + 60))
  until [ "$(ssh_banner "$port")" = "SSH-" ]; do
    if [ "$SECONDS" -ge "$deadline" ] || ! kill -0 "$(cat "$dir/unshare.pid")" 2>/dev/null; then
      tail -n 20 "$dir/console.log" >&2 || true
      stop "$name" >/dev/null 2>&1 || true
      die "$name did not answer on SSH port $port"
    fi
    sleep 0.1
  done
  echo "NAME=$name"
  echo "PORT=$port"
  echo "ROOT=$root"
  echo "KEY=$dir/id_ed25519"
  echo "INIT_PID=$(init_pid "$name")"
  echo "HOST_KEY_FINGERPRINT=$(ssh-keygen -lf "$root/etc/ssh/ssh_host_ed25519_key.pub" | awk '{ print $2 }')"
  echo "test-server: $name up on 127.0.0.1:$port in $((SECONDS - started)) s" >&2
}

run_inside() {
  local name="$1"
  shift
  local pid
  pid="$(init_pid "$name")" || die "$name is not running"
  # The server's own environment, as root logs in there: nothing of the caller's (a test run
  # from a fresh user's HOME would otherwise put root's files in that folder).
  nsenter --target "$pid" --pid --mount --uts \
    env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/sh PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
    chroot "$SERVERS/$name/root" "$@"
}

# A real server downloads better-sqlite3 prebuilt (prebuild-install, from GitHub); here that
# download cannot happen, so every install compiled it (minutes on 2 cores). The first server that
# compiled it leaves the binary in npm's cache as the prebuild that download would have fetched
# (prebuild-install looks in <npm cache>/_prebuilds before the network), so later installs do
# what a real server does: unpack a prebuilt module, no compiler.
harvest_prebuild() {
  local root="$1" module pkgdir version node abi url file
  node="$root/opt/hearth/node/bin/node"
  [ -x "$node" ] || return 0
  for module in "$root"/opt/hearth/pds-*/node_modules/better-sqlite3/build/Release/better_sqlite3.node; do
    [ -f "$module" ] || continue
    pkgdir="${module%/build/Release/better_sqlite3.node}"
    version="$("$node" -p "require('$pkgdir/package.json').version" 2>/dev/null)" || continue
    abi="$("$node" -p process.versions.modules 2>/dev/null)" || continue
    url="https://github.com/WiseLibs/better-sqlite3/releases/download/v$version/better-sqlite3-v$version-node-v$abi-linux-x64.tar.gz"
    file="$NPM_CACHE/_prebuilds/$("$node" -p "require('crypto').createHash('sha512').update(process.argv[1]).digest('hex').slice(0, 6)" "$url")-better-sqlite3-v$version-node-v$abi-linux-x64.tar.gz"
    [ -f "$file" ] && continue
    mkdir -p "$NPM_CACHE/_prebuilds"
    # prebuild-install unpacks the archive into the package folder: build/Release/<module>.node.
    tar -czf "$file.partial" -C "$pkgdir" build/Release/better_sqlite3.node && mv "$file.partial" "$file"
  done
}

stop() {
  local name="$1"
  check_name "$name"
  local dir="$SERVERS/$name" pid unshare_pid
  [ -d "$dir" ] || return 0
  unshare_pid="$(cat "$dir/unshare.pid" 2>/dev/null || true)"
  if pid="$(init_pid "$name")"; then
    # The patched init stops its units on SIGTERM; killing PID 1 of the namespace then takes
    # every process left in it down too.
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  if [ -n "$unshare_pid" ]; then
    for _ in $(seq 50); do kill -0 "$unshare_pid" 2>/dev/null || break; sleep 0.1; done
  fi
  # Never delete through a mount that is visible here (that would reach the real /dev or /sys).
  if grep -q " $dir/root[/ ]" /proc/self/mountinfo; then die "$dir/root still has mounts; not removing it"; fi
  harvest_prebuild "$dir/root" || true
  rm -rf --one-file-system "$dir"
}

list() {
  [ -d "$SERVERS" ] || return 0
  local dir
  for dir in "$SERVERS"/*/; do
    [ -d "$dir" ] || continue
    local name
    name="$(basename "$dir")"
    if init_pid "$name" >/dev/null; then echo "$name"; fi
  done
}

[ "$(id -u)" -eq 0 ] || die "needs root (namespaces, chroot, debootstrap)"
command="${1:-}"
[ -n "$command" ] || usage
shift
case "$command" in
  base) ensure_base ;;
  start) [ "$#" -ge 1 ] || usage; start "$@" ;;
  stop) [ "$#" -eq 1 ] || usage; stop "$1" ;;
  exec) [ "$#" -ge 2 ] || usage; run_inside "$@" ;;
  list) list ;;
  *) usage ;;
esac
