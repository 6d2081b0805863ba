#!/usr/bin/env bash
# Hearth's installer steps for a native PDS, run on the server as root, one step per call:
#   pds-install.sh packages | runtime | app VERSION | layout | activate VERSION | services [restart]
#                  | wait-health PORT [SECONDS] | stop | snapshot DIR | restore DIR
# Every step checks what is already there and only does what is missing, so any step can be run
# again after a cancel, a dropped connection or a failure.
set -euo pipefail

# Pinned runtime: Node 22 and npm from the npm registry (checked against their published sha512),
# node-gyp 11 (Debian's node-gyp 9 builds a better-sqlite3 that crashes under Node 22).
NODE_VERSION=22.23.3
NODE_INTEGRITY_X64='sha512-qHnz5tFsHoj/WM+uRENVjWONi5hVvmwrgq8A4V76KpuVNAc4+jwK8x4gwbobE9BtHNg/AKR2583eYorLF/c7ng=='
NODE_INTEGRITY_ARM64='sha512-l3DAHZreylo+p9QXDtsOrjG2JXJqVzYXnAGmIQNOUNARcMppTO2cmewVQP+36tjJnSE+dzpMNtgW+c3oiDvXtA=='
NPM_VERSION=10.9.9
NPM_INTEGRITY='sha512-1g+6jLQvaIuB4zwvHL7yrXuXcWZwDsCtBX8bbWDqbvJSSr9nPiDDWTHNgwXR27iIcTTW7v3A57hDW9RYv2W4Yg=='
NODE_GYP_VERSION=11.4.2
REGISTRY="${HEARTH_NPM_REGISTRY:-https://registry.npmjs.org}"
PREFIX=/opt/hearth
# jq and column (bsdextrautils): the official pdsadmin scripts pipe through them (account.sh,
# create-invite-code.sh); the official installer installs jq, and Debian images have column.
PACKAGES=(caddy sqlite3 curl ca-certificates openssl xz-utils jq bsdextrautils python3 make g++)

export DEBIAN_FRONTEND=noninteractive

# One step at a time: after a dropped connection the previous run's step may still be running on
# the server; a re-run waits for it here instead of racing it.
mkdir -p "$PREFIX"
exec 9>"$PREFIX/.install.lock"
if ! flock -n 9; then
  echo "Waiting for an earlier install step that is still running on the server"
  flock -w 1800 9 || { echo "An earlier install step is still running after 30 minutes." >&2; exit 1; }
fi

say() { echo "$*"; }

# Downloads a registry tarball, checks its sha512, and unpacks it into DEST (atomically).
fetch_package() {
  local name="$1" version="$2" integrity="$3" dest="$4"
  local tmp
  tmp="$(mktemp -d)"
  curl -fsSL --retry 3 -o "$tmp/pkg.tgz" "$REGISTRY/$name/-/${name##*/}-$version.tgz"
  local actual
  actual="sha512-$(openssl dgst -sha512 -binary "$tmp/pkg.tgz" | base64 -w0)"
  if [ "$actual" != "$integrity" ]; then
    rm -rf "$tmp"
    echo "The download of $name $version does not match its published checksum." >&2
    exit 1
  fi
  mkdir -p "$tmp/unpacked"
  tar -xzf "$tmp/pkg.tgz" -C "$tmp/unpacked" --strip-components=1
  rm -rf "$dest"
  mkdir -p "$(dirname "$dest")"
  mv "$tmp/unpacked" "$dest"
  rm -rf "$tmp"
}

npm_run() {
  # Node trusts only its built-in CAs; add the system's (a proxy's CA, for one), as curl and apt do.
  if [ -f /etc/ssl/certs/ca-certificates.crt ]; then export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt; fi
  PATH="$PREFIX/node/bin:$PATH" npm_config_nodedir="$PREFIX/node" \
    npm_config_node_gyp="$PREFIX/tools/node_modules/node-gyp/bin/node-gyp.js" \
    "$PREFIX/node/bin/node" "$PREFIX/npm/bin/npm-cli.js" --no-audit --no-fund --no-update-notifier "$@"
}

step_packages() {
  local missing=() pkg
  for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    say "System packages already installed."
    return
  fi
  say "Installing system packages: ${missing[*]}"
  # Finish whatever an interrupted earlier run left half-configured, and wait for apt's lock
  # (unattended-upgrades often holds it on a fresh server).
  dpkg --configure -a
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" 9>&-
}

step_runtime() {
  local arch integrity
  case "$(uname -m)" in
    x86_64) arch=x64 integrity="$NODE_INTEGRITY_X64" ;;
    aarch64) arch=arm64 integrity="$NODE_INTEGRITY_ARM64" ;;
    *) echo "Unsupported processor: $(uname -m)" >&2; exit 1 ;;
  esac
  if [ "$("$PREFIX/node-$NODE_VERSION/bin/node" --version 2>/dev/null || true)" = "v$NODE_VERSION" ]; then
    say "Node $NODE_VERSION already installed."
  else
    say "Downloading Node $NODE_VERSION ($arch)"
    fetch_package "node-linux-$arch" "$NODE_VERSION" "$integrity" "$PREFIX/node-$NODE_VERSION"
  fi
  ln -sfn "node-$NODE_VERSION" "$PREFIX/node"
  if [ -f "$PREFIX/npm-$NPM_VERSION/bin/npm-cli.js" ]; then
    say "npm $NPM_VERSION already installed."
  else
    say "Downloading npm $NPM_VERSION"
    fetch_package npm "$NPM_VERSION" "$NPM_INTEGRITY" "$PREFIX/npm-$NPM_VERSION"
  fi
  ln -sfn "npm-$NPM_VERSION" "$PREFIX/npm"
  if [ "$(cat "$PREFIX/tools/.node-gyp-version" 2>/dev/null || true)" = "$NODE_GYP_VERSION" ]; then
    say "node-gyp $NODE_GYP_VERSION already installed."
  else
    say "Installing node-gyp $NODE_GYP_VERSION"
    mkdir -p "$PREFIX/tools"
    npm_run install --prefix "$PREFIX/tools" --omit=dev "node-gyp@$NODE_GYP_VERSION" >/dev/null
    echo "$NODE_GYP_VERSION" >"$PREFIX/tools/.node-gyp-version"
  fi
}

# One directory per PDS version, so an upgrade can switch back to the previous one.
step_app() {
  local version="$1" app="$PREFIX/pds-$1"
  if [ -f "$app/.hearth-complete" ]; then
    say "PDS $version already installed."
    return
  fi
  say "Installing @atproto/pds $version (downloads and builds; the first time takes minutes)"
  rm -rf "$app.partial"
  mkdir -p "$app.partial"
  printf '{ "name": "hearth-pds", "private": true, "type": "module", "dependencies": { "@atproto/pds": "%s" } }\n' "$version" >"$app.partial/package.json"
  cp "$PREFIX/share/pds-entry.mjs" "$app.partial/index.mjs"
  npm_run install --prefix "$app.partial" --omit=dev --loglevel=error
  "$PREFIX/node/bin/node" -e 'require(process.argv[1])' "$app.partial/node_modules/better-sqlite3" ||
    { echo "better-sqlite3 does not load under Node $NODE_VERSION" >&2; exit 1; }
  touch "$app.partial/.hearth-complete"
  rm -rf "$app"
  mv "$app.partial" "$app"
}

step_layout() {
  id pds >/dev/null 2>&1 || useradd --system --home-dir /pds --no-create-home --shell /usr/sbin/nologin pds
  mkdir -p /pds/blocks
  chown pds:pds /pds /pds/blocks
  chmod 700 /pds
  say "Data directory /pds ready (owned by the pds user)."
}

step_activate() {
  local version="$1"
  [ -f "$PREFIX/pds-$version/.hearth-complete" ] || { echo "PDS $version is not installed" >&2; exit 1; }
  ln -sfn "pds-$version" "$PREFIX/pds"
  say "PDS $version is the active version."
}

step_services() {
  local restart="${1:-}"
  # 9>&-: services started from here must not inherit (and hold) the install lock.
  systemctl daemon-reload 9>&- 2>/dev/null || true
  systemctl enable pds caddy 9>&- >/dev/null 2>&1
  local unit
  for unit in pds caddy; do
    if [ "$restart" = restart ] || ! systemctl is-active --quiet "$unit"; then
      say "Starting $unit"
      systemctl restart "$unit" 9>&- </dev/null >/dev/null 2>&1
    else
      say "$unit already running with this configuration."
    fi
  done
}

step_wait_health() {
  local port="$1" seconds="$2" i
  for i in $(seq "$seconds"); do
    if curl -fsS "http://127.0.0.1:$port/xrpc/_health" 2>/dev/null; then
      echo
      return
    fi
    [ "$i" -eq 1 ] && say "Waiting for the PDS to answer"
    sleep 1
  done
  echo "The PDS did not answer on port $port within $seconds seconds." >&2
  exit 1
}

# Consistent copies of every SQLite database under /pds (the online backup API, never a plain copy
# of a WAL database), taken while the PDS is stopped, so a failed upgrade can go back exactly.
step_snapshot() {
  local dest="$1" db rel
  rm -rf "$dest.partial"
  mkdir -p "$dest.partial"
  chmod 700 "$dest.partial"
  while IFS= read -r -d '' db; do
    rel="${db#/pds/}"
    mkdir -p "$dest.partial/$(dirname "$rel")"
    sqlite3 "$db" ".backup '$dest.partial/$rel'"
  done < <(find /pds -name '*.sqlite' -type f -print0)
  readlink "$PREFIX/pds" >"$dest.partial/active-version"
  rm -rf "$dest"
  mv "$dest.partial" "$dest"
  say "Snapshot of $(find "$dest" -name '*.sqlite' | wc -l) databases in $dest."
}

step_restore() {
  local src="$1" db rel
  [ -f "$src/active-version" ] || { echo "No complete snapshot in $src" >&2; exit 1; }
  while IFS= read -r -d '' db; do
    rel="${db#"$src"/}"
    rm -f "/pds/$rel-wal" "/pds/$rel-shm"
    install -o pds -g pds -m 600 "$db" "/pds/$rel"
  done < <(find "$src" -name '*.sqlite' -type f -print0)
  ln -sfn "$(cat "$src/active-version")" "$PREFIX/pds"
  say "Databases and version $(cat "$src/active-version") restored from $src."
}

step_stop() {
  systemctl stop pds 9>&- </dev/null >/dev/null 2>&1 || true
  say "PDS stopped."
}

step="${1:-}"
shift || true
case "$step" in
  packages) step_packages ;;
  runtime) step_runtime ;;
  app) step_app "$1" ;;
  layout) step_layout ;;
  activate) step_activate "$1" ;;
  services) step_services "${1:-}" ;;
  wait-health) step_wait_health "$1" "${2:-120}" ;;
  snapshot) step_snapshot "$1" ;;
  restore) step_restore "$1" ;;
  stop) step_stop ;;
  *) echo "usage: pds-install.sh packages|runtime|app VERSION|layout|activate VERSION|services [restart]|wait-health PORT [SECONDS]|stop|snapshot DIR|restore DIR" >&2; exit 2 ;;
esac
