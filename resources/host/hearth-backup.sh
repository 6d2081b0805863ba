#!/usr/bin/env bash
# Backs up a PDS into a restic repository (run by hearth-backup.service, or by Hearth's "Back up now").
#
#   hearth-backup.sh [--kind scheduled|manual|pre-restore] [--no-forget]
#   hearth-backup.sh --init      create the repository if there is none (nothing else)
#
# Every SQLite database is copied with SQLite's online backup API into a staging dir (a plain copy
# of a live WAL database can be torn), with each actor's signing `key`, the blobs (hard links when
# possible) and pds.env; restic then encrypts and deduplicates the staging dir into the store.
# Prints "progress <0..1> <step>" lines and, last, "result <json>". Writes $HEARTH_STATE_DIR/status.json.
# Exit codes: 0 ok, 3 store unreachable, 4 wrong keys/bucket/password, 5 repository damaged, 1 other.
set -euo pipefail
# shellcheck source=resources/host/hearth-backup-lib.sh
. "$(dirname "$(readlink -f "$0")")/hearth-backup-lib.sh"

kind=scheduled
forget=1
init_only=0
while [ "$#" -gt 0 ]; do
  case "$1" in
    --kind) kind="${2:?--kind needs a value}"; shift 2 ;;
    --no-forget) forget=0; shift ;;
    --init) init_only=1; shift ;;
    *) die "unknown argument $1" ;;
  esac
done
case "$kind" in scheduled | manual | pre-restore) ;; *) die "unknown kind $kind" ;; esac

load_settings
take_lock

started_at="$(now_iso)"
started_s="$(date +%s)"
errfile="$(mktemp)"
trap 'rm -f "$errfile"' EXIT

write_status() {
  local ok="$1" code="$2" message="$3" snapshot="$4" added="$5" accounts="$6" records="$7"
  local finished duration success error run_error=null
  finished="$(now_iso)"
  duration=$(($(date +%s) - started_s))
  if [ "$ok" = true ]; then
    printf '{"at":"%s","snapshotId":"%s","durationSeconds":%s,"bytesAdded":%s,"accounts":%s,"records":%s,"kind":"%s"}' \
      "$finished" "$snapshot" "$duration" "$added" "$accounts" "$records" "$kind" >"$HEARTH_STATE_DIR/last-success.json"
  else
    printf '{"at":"%s","code":%s,"message":%s,"kind":"%s"}' "$finished" "$code" "$(json_str "$message")" "$kind" >"$HEARTH_STATE_DIR/last-error.json"
  fi
  if [ "$ok" != true ]; then run_error="$(json_str "$message")"; fi
  success="$(cat "$HEARTH_STATE_DIR/last-success.json" 2>/dev/null || echo null)"
  error="$(cat "$HEARTH_STATE_DIR/last-error.json" 2>/dev/null || echo null)"
  printf '{"version":1,"lastRun":{"kind":"%s","startedAt":"%s","finishedAt":"%s","ok":%s,"durationSeconds":%s,"error":%s},"lastSuccess":%s,"lastError":%s}\n' \
    "$kind" "$started_at" "$finished" "$ok" "$duration" "$run_error" "$success" "$error" \
    >"$STATUS_FILE.tmp"
  mv -f "$STATUS_FILE.tmp" "$STATUS_FILE"
}

# Fails the run: status file, one clear line on stderr, the classified exit code.
fail() {
  local what="$1" detail verdict code message
  detail="$(tail -n 5 "$errfile" | grep -v '^\s*$' || true)"
  verdict="$(classify_error "$detail")"
  code="${verdict%% *}"
  message="$what: ${verdict#* }. ${detail}"
  write_status false "$code" "$message" "" 0 0 0
  rm -rf "$STAGING_DIR"
  echo "hearth: $message" >&2
  exit "$code"
}

progress() {
  echo "progress $1 $2"
}

ensure_repository() {
  if restic_ cat config >/dev/null 2>"$errfile"; then return 0; fi
  # Only a store that answers and has no repository at this prefix gets a new one: never on a
  # wrong password, a missing bucket or an unreachable store.
  if grep -qE 'key does not exist|no such file or directory' "$errfile" && ! grep -q 'bucket does not exist' "$errfile"; then
    progress 0.05 "Creating the backup repository"
    restic_ init >/dev/null 2>"$errfile" || fail "Could not create the backup repository"
    return 0
  fi
  fail "Could not open the backup repository"
}

if [ "$init_only" = 1 ]; then
  progress 0.02 "Opening the backup repository"
  ensure_repository
  echo 'result {"ok":true}'
  exit 0
fi

[ -d "$PDS_DATA_DIR" ] || { echo "PDS data directory $PDS_DATA_DIR does not exist" >"$errfile"; fail "Nothing to back up"; }

progress 0.1 "Copying databases with SQLite's backup API"
rm -rf "$STAGING_DIR"
mkdir -p "$STAGING_DIR/pds"
# One sqlite3 process for every database (a PDS has one per account): a script of .open/.backup.
script="$STAGING_DIR/backup.sql"
echo '.bail on' >"$script"
while IFS= read -r -d '' db; do
  rel="${db#"$PDS_DATA_DIR"/}"
  mkdir -p "$STAGING_DIR/pds/$(dirname "$rel")"
  printf ".open '%s'\n.timeout 10000\n.backup '%s'\n" "$(sql_quote "$db")" "$(sql_quote "$STAGING_DIR/pds/$rel")" >>"$script"
done < <(find "$PDS_DATA_DIR" -path "$PDS_BLOBS_DIR" -prune -o -name '*.sqlite' -type f -print0)
sqlite3 :memory: <"$script" >/dev/null 2>"$errfile" || fail "Could not copy the databases"
rm -f "$script"
while IFS= read -r -d '' key; do
  rel="${key#"$PDS_DATA_DIR"/}"
  mkdir -p "$STAGING_DIR/pds/$(dirname "$rel")"
  cp -p "$key" "$STAGING_DIR/pds/$rel"
done < <(find "$PDS_DATA_DIR/actors" -mindepth 3 -maxdepth 3 -name key -type f -print0 2>/dev/null)

progress 0.3 "Collecting blobs and settings"
if [ -d "$PDS_BLOBS_DIR" ]; then
  # Blobs are immutable files: hard links cost no space and are as good as a copy.
  cp -al "$PDS_BLOBS_DIR" "$STAGING_DIR/blobs" 2>/dev/null || { rm -rf "$STAGING_DIR/blobs"; cp -a "$PDS_BLOBS_DIR" "$STAGING_DIR/blobs"; }
fi
if [ -f "$PDS_ENV_FILE" ]; then cp -p "$PDS_ENV_FILE" "$STAGING_DIR/pds.env"; fi

accounts="$(account_count "$STAGING_DIR/pds")"
repo_heads "$STAGING_DIR/pds" >"$STAGING_DIR/manifest.tsv"
records="$(awk -F'\t' '{ n += $4 } END { print n + 0 }' "$STAGING_DIR/manifest.tsv")"
printf '{"version":1,"createdAt":"%s","kind":"%s","accounts":%s,"records":%s}\n' "$started_at" "$kind" "$accounts" "$records" >"$STAGING_DIR/hearth-backup.json"

size="$(du -sbL "$STAGING_DIR" | cut -f1)"
progress 0.4 "Uploading changes (encrypted)"
upload() {
  restic_ backup --json --tag hearth --tag "kind=$kind" --tag "accounts=$accounts" --tag "records=$records" --tag "bytes=$size" "$STAGING_DIR" 2>"$errfile" | grep '"message_type":"summary"' || true
}
summary="$(upload)"
# Each restic start costs a key derivation (~0.5 s): the repository is created, and locks of
# killed runs cleared, only when the backup says it needs it.
if [ -z "$summary" ] && grep -qE 'key does not exist|no such file or directory' "$errfile" && ! grep -q 'bucket does not exist' "$errfile"; then
  ensure_repository
  summary="$(upload)"
elif [ -z "$summary" ] && grep -q 'already locked' "$errfile"; then
  clear_stale_locks
  summary="$(upload)"
fi
snapshot="$(printf '%s' "$summary" | sed -n 's/.*"snapshot_id":"\([0-9a-f]*\)".*/\1/p')"
added="$(printf '%s' "$summary" | sed -n 's/.*"data_added":\([0-9]*\).*/\1/p')"
[ -n "$snapshot" ] || fail "The backup did not finish"
rm -rf "$STAGING_DIR"

last_forget="$(cat "$HEARTH_STATE_DIR/last-forget" 2>/dev/null || echo 0)"
if [ $(($(date +%s) - last_forget)) -lt 43200 ]; then forget=0; fi
if [ "$forget" = 1 ]; then
  progress 0.85 "Applying retention"
  # Retention is by day: forgetting twice a day is enough; pruning (repacking the data no
  # snapshot uses) is costly: once a week.
  prune=()
  last_prune="$(cat "$HEARTH_STATE_DIR/last-prune" 2>/dev/null || echo 0)"
  if [ $(($(date +%s) - last_prune)) -ge $((${HEARTH_PRUNE_EVERY_DAYS:-7} * 86400)) ]; then prune=(--prune); fi
  if ! restic_ forget "${prune[@]}" --tag hearth --group-by host \
    --keep-daily "${HEARTH_KEEP_DAILY:-7}" --keep-weekly "${HEARTH_KEEP_WEEKLY:-4}" --keep-monthly "${HEARTH_KEEP_MONTHLY:-12}" \
    --keep-last "${HEARTH_KEEP_LAST:-10}" --keep-tag kind=pre-restore >/dev/null 2>"$errfile"; then
    # The snapshot is safe; say that retention failed without hiding the success.
    write_status true 0 "" "$snapshot" "${added:-0}" "$accounts" "$records"
    fail "Snapshot $snapshot saved, but removing old snapshots failed"
  fi
  if [ "${#prune[@]}" -gt 0 ]; then date +%s >"$HEARTH_STATE_DIR/last-prune"; fi
  date +%s >"$HEARTH_STATE_DIR/last-forget"
fi

write_status true 0 "" "$snapshot" "${added:-0}" "$accounts" "$records"
# restic keeps no per-snapshot "bytes added": Hearth's timeline reads it from here.
printf '%s\t%s\n' "$snapshot" "${added:-0}" >>"$HEARTH_STATE_DIR/history.tsv"
progress 1 "Done"
printf 'result {"ok":true,"snapshotId":"%s","bytesAdded":%s,"accounts":%s,"records":%s,"durationSeconds":%s}\n' \
  "$snapshot" "${added:-0}" "$accounts" "$records" "$(($(date +%s) - started_s))"
