#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with a fresh, unlocked gnome-keyring, so tests use a
# real Secret Service without touching the developer's own keychain. The exit code passes through.
set -euo pipefail
if [ "$#" -eq 0 ]; then
  echo "usage: scripts/with-keyring.sh COMMAND [ARGS...]" >&2
  exit 2
fi
# shellcheck disable=SC2016 # the inner script expands inside the new session, not here
exec dbus-run-session -- bash -c '
  set -euo pipefail
  XDG_DATA_HOME="$(mktemp -d)"
  export XDG_DATA_HOME
  printf %s ci-pass | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  exec "$@"
' hearth-keyring "$@"
