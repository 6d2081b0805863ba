#!/usr/bin/env bash
# Proves a backup can be restored, without touching the live data:
#   1. restic check --read-data-subset (all of a small repository; 10% of a large one)
#   2. a trial restore of the snapshot (default latest) into a temp dir
#   3. PRAGMA integrity_check on every SQLite file, and the account count matches the snapshot's tag
#
#   hearth-verify.sh [SNAPSHOT]
# Prints "progress …" lines and, last, "result <json>". Exit codes as hearth-backup.sh.
set -euo pipefail
# shellcheck source=resources/host/hearth-backup-lib.sh
. "$(dirname "$(readlink -f "$0")")/hearth-backup-lib.sh"

snapshot="${1:-latest}"
load_settings
take_lock

errfile="$(mktemp)"
trial="$(mktemp -d "${TMPDIR:-/tmp}/hearth-verify.XXXXXX")"
trap 'rm -rf "$errfile" "$trial"' EXIT

fail() {
  local detail verdict
  detail="$(tail -n 5 "$errfile" | grep -v '^\s*$' || true)"
  verdict="$(classify_error "$detail")"
  echo "hearth: $1: ${verdict#* }. $detail" >&2
  exit "${verdict%% *}"
}

clear_stale_locks
progress_line() { echo "progress $1 $2"; }

# A small repository is read whole; a large one a tenth at a time (every pack over ten runs).
packs="$(restic_ list packs 2>"$errfile" | wc -l)" || fail "Could not read the repository"
subset="${HEARTH_VERIFY_SUBSET:-}"
if [ -z "$subset" ]; then
  if [ "$packs" -le "${HEARTH_VERIFY_READ_ALL_PACKS:-64}" ]; then subset=100%; else subset=10%; fi
fi
progress_line 0.05 "Checking the repository (reading $subset of the data)"
restic_ check --read-data-subset="$subset" >/dev/null 2>"$errfile" || fail "The repository check failed"

progress_line 0.5 "Trial restore of snapshot $snapshot"
info="$(restic_ snapshots --json "$snapshot" 2>"$errfile")" || fail "Could not read snapshot $snapshot"
id="$(printf '%s' "$info" | sed -n 's/.*"short_id":"\([0-9a-f]*\)".*/\1/p' | head -n1)"
tagged="$(printf '%s' "$info" | sed -n 's/.*"accounts=\([0-9]*\)".*/\1/p' | head -n1)"
restored="$(restore_snapshot_to "$snapshot" "$trial" 2>"$errfile")" || fail "The trial restore failed"

progress_line 0.8 "Checking every database"
databases="$(find "$restored/pds" -name '*.sqlite' -type f | wc -l)"
if ! check_sqlite_files "$restored/pds" 2>"$errfile"; then
  cat "$errfile" >&2
  echo "hearth: a database in snapshot $id is damaged" >&2
  exit 5
fi
accounts="$(account_count "$restored/pds")"
if [ -n "$tagged" ] && [ "$accounts" != "$tagged" ]; then
  echo "hearth: snapshot $id holds $accounts accounts but was taken with $tagged" >&2
  exit 5
fi
progress_line 1 "Verified"
printf 'result {"ok":true,"snapshotId":"%s","databases":%s,"accounts":%s}\n' "$id" "$databases" "$accounts"
