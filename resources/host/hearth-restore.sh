#!/usr/bin/env bash
# Restores a Hearth backup snapshot into the PDS data directory, with a way back at every step.
#
#   hearth-restore.sh run SNAPSHOT     everything below, stopping/starting the PDS with
#                                      HEARTH_PDS_STOP_CMD / HEARTH_PDS_START_CMD, rolling back by itself
#   hearth-restore.sh prepare SNAPSHOT restore into a work dir beside the data, check every SQLite
#                                      file, take a safety snapshot of the live data (PDS still up)
#   hearth-restore.sh swap [MARGIN]    (PDS stopped) move the live files aside, the restored ones in,
#                                      and keep the firehose sequence ahead (see keep_sequence_ahead)
#   hearth-restore.sh check            the live data matches the snapshot: accounts, each repo's head
#   hearth-restore.sh rollback         (PDS stopped) put the files moved aside back, byte for byte
#   hearth-restore.sh finish           drop the files moved aside and the work dir
#   hearth-restore.sh heads            the live accounts count and each repo's head (read-only)
#
# Only what a backup holds is swapped (the *.sqlite files, actors/, blobs); pds.env and anything
# else in the data dir stay as they are. Swaps are renames on one file system: rolling back gives
# back the very same files. Prints "progress …" lines and, last, "result <json>".
#
# One operation at a time: prepare, swap, rollback and finish (and all of run) hold the lock file
# (see take_lock), and from prepare's first step until finish or rollback the state file
# ($HEARTH_STATE_DIR/restore-state) marks the restore as unfinished, so a backup (timer or
# "Back up now") refuses in between, while Hearth stops and starts the PDS.
set -euo pipefail
# shellcheck source=resources/host/hearth-backup-lib.sh
. "$(dirname "$(readlink -f "$0")")/hearth-backup-lib.sh"

command="${1:-}"
snapshot="${2:-}"
load_settings

WORK_DIR="$PDS_DATA_DIR.hearth-restore"
BEFORE_DIR="$PDS_DATA_DIR.hearth-before-restore"
NEW_DIR="$WORK_DIR/new"
STATE_FILE="$(restore_marker)"
blobs_inside=0
case "$PDS_BLOBS_DIR/" in "$PDS_DATA_DIR"/*) blobs_inside=1 ;; esac
blobs_rel="${PDS_BLOBS_DIR#"$PDS_DATA_DIR"/}"

progress() {
  echo "progress $1 $2"
}

# The names (relative to the data dir) a backup replaces.
swapped_items() {
  local dir
  for dir in "$@"; do
    [ -d "$dir" ] || continue
    find "$dir" -maxdepth 1 \( -name '*.sqlite' -o -name '*.sqlite-wal' -o -name '*.sqlite-shm' -o -name actors \) -printf '%f\n'
    if [ "$blobs_inside" = 1 ] && [ -e "$dir/$blobs_rel" ]; then echo "$blobs_rel"; fi
  done | sort -u
}

# Moves one swapped item (a name relative to a data dir) from one dir to another.
move_item() {
  mkdir -p "$(dirname "$2/$3")"
  mv "$1/$3" "$2/$3"
}

# A prepare that fails (or is cancelled) changed nothing of the live data: it takes its marker
# away, so backups go on. One killed outright leaves "preparing", which a rollback clears.
prepare_failed() {
  local code=$?
  if [ "$code" != 0 ] && [ "$(cat "$STATE_FILE" 2>/dev/null)" = preparing ]; then
    rm -rf "$WORK_DIR"
    rm -f "$STATE_FILE"
  fi
}

prepare() {
  [ -n "$snapshot" ] || die "which snapshot? (hearth-restore.sh prepare SNAPSHOT)"
  if [ -e "$BEFORE_DIR" ]; then die "an earlier restore did not finish: run 'hearth-restore.sh rollback' (or 'finish') first"; fi
  # First, before anything else: from here on a backup refuses (refuse_during_restore).
  echo preparing >"$STATE_FILE"
  trap prepare_failed EXIT
  rm -rf "$WORK_DIR"
  mkdir -p "$WORK_DIR"
  clear_stale_locks
  progress 0.05 "Downloading snapshot $snapshot"
  local restored
  restored="$(restore_snapshot_to "$snapshot" "$WORK_DIR/download")"
  progress 0.3 "Checking every database in the snapshot"
  check_sqlite_files "$restored/pds" || die "the snapshot's databases are damaged; nothing was changed"
  mv "$restored/pds" "$NEW_DIR"
  if [ -d "$restored/blobs" ]; then
    if [ "$blobs_inside" = 1 ]; then
      mkdir -p "$(dirname "$NEW_DIR/$blobs_rel")"
      mv "$restored/blobs" "$NEW_DIR/$blobs_rel"
    else
      mv "$restored/blobs" "$WORK_DIR/blobs"
    fi
  fi
  cp "$restored/manifest.tsv" "$WORK_DIR/expected.tsv"
  account_count "$NEW_DIR" >"$WORK_DIR/expected-accounts"
  [ -f "$restored/pds.env" ] && cp -p "$restored/pds.env" "$WORK_DIR/pds.env"
  rm -rf "$WORK_DIR/download"
  progress 0.45 "Taking a safety snapshot of the current data"
  local safety
  safety="$("$(dirname "$(readlink -f "$0")")/hearth-backup.sh" --kind pre-restore --no-forget | sed -n 's/^result .*"snapshotId":"\([0-9a-f]*\)".*/\1/p')"
  [ -n "$safety" ] || die "the safety snapshot failed; nothing was changed"
  echo "$safety" >"$WORK_DIR/safety-snapshot"
  echo prepared >"$STATE_FILE"
  trap - EXIT
  printf 'result {"ok":true,"safetySnapshotId":"%s","accounts":%s}\n' "$safety" "$(cat "$WORK_DIR/expected-accounts")"
}

# Relays and every other firehose consumer hold a cursor at the highest sequence number they saw
# from this PDS and take only events above it. A sequencer brought back from a snapshot is behind
# that, so without this the events written after a restore would be ignored ("my posts don't show
# up"). With the PDS stopped, the restored sequencer's AUTOINCREMENT counter moves to the highest
# number the data it replaces gave out, or, when that data is not the PDS's (recovery onto a new
# server, whose old one is gone), to the snapshot's own plus MARGIN: room for what the lost
# server gave out after its last backup.
keep_sequence_ahead() {
  local margin="$1" owner="$2" db="$PDS_DATA_DIR/sequencer.sqlite" before restored target
  [[ "$margin" =~ ^[0-9]{1,12}$ ]] || die "the sequence margin must be a whole number"
  has_seq_counter "$PDS_DATA_DIR" || return 0
  before="$(highest_seq "$BEFORE_DIR")"
  restored="$(highest_seq "$PDS_DATA_DIR")"
  target=$((restored + margin))
  if [ "$before" -gt "$target" ]; then target="$before"; fi
  [ "$target" -gt "$restored" ] || return 0
  progress 0.62 "Moving the firehose sequence from $restored to $target, past what relays have seen"
  sqlite3 -bail "$db" "UPDATE sqlite_sequence SET seq = $target WHERE name = 'repo_seq'; INSERT INTO sqlite_sequence (name, seq) SELECT 'repo_seq', $target WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'repo_seq');"
  chown "$owner" "$db" "$db"-* 2>/dev/null || true
}

swap() {
  [ "$(cat "$STATE_FILE" 2>/dev/null)" = prepared ] || die "nothing prepared to restore"
  local margin="${1:-0}"
  [[ "$margin" =~ ^[0-9]{1,12}$ ]] || die "the sequence margin must be a whole number"
  progress 0.6 "Putting the snapshot's data in place"
  mkdir -p "$BEFORE_DIR"
  echo swapping >"$STATE_FILE"
  local name
  while IFS= read -r name; do move_item "$PDS_DATA_DIR" "$BEFORE_DIR" "$name"; done < <(swapped_items "$PDS_DATA_DIR")
  # The restored copies were written by root (the backup's staging); the PDS may run as its own
  # user: they get the owner the live data had.
  local owner
  owner="$(stat -c %u:%g "$BEFORE_DIR/account.sqlite" 2>/dev/null || stat -c %u:%g "$PDS_DATA_DIR")"
  if [ "$blobs_inside" = 0 ] && [ -d "$WORK_DIR/blobs" ]; then
    if [ -e "$PDS_BLOBS_DIR" ]; then mv "$PDS_BLOBS_DIR" "$BEFORE_DIR/.outside-blobs"; fi
    echo "$PDS_BLOBS_DIR" >>"$WORK_DIR/moved-in"
    chown -R "$owner" "$WORK_DIR/blobs"
    mv "$WORK_DIR/blobs" "$PDS_BLOBS_DIR"
  fi
  while IFS= read -r name; do
    # Recorded first: a rollback after a crash right here moves out only what came from the snapshot.
    echo "$PDS_DATA_DIR/$name" >>"$WORK_DIR/moved-in"
    chown -R "$owner" "$NEW_DIR/$name"
    move_item "$NEW_DIR" "$PDS_DATA_DIR" "$name"
  done < <(swapped_items "$NEW_DIR")
  # A fresh server (disaster recovery) has no pds.env yet: take the snapshot's.
  if [ ! -f "$PDS_ENV_FILE" ] && [ -f "$WORK_DIR/pds.env" ]; then cp -p "$WORK_DIR/pds.env" "$PDS_ENV_FILE"; fi
  keep_sequence_ahead "$margin" "$owner"
  echo swapped >"$STATE_FILE"
  echo 'result {"ok":true}'
}

rollback() {
  local state
  state="$(cat "$STATE_FILE" 2>/dev/null || true)"
  if [ ! -d "$BEFORE_DIR" ]; then
    rm -rf "$WORK_DIR"
    rm -f "$STATE_FILE"
    echo 'result {"ok":true,"rolledBack":false}'
    return 0
  fi
  progress 0.8 "Rolling back to the data from before the restore"
  local discard="$WORK_DIR/discard" path name n=0
  mkdir -p "$discard"
  # Out of the way first: only what the swap brought in from the snapshot (live files it had not
  # reached yet stay where they are); then the originals back, the very same files.
  if [ -f "$WORK_DIR/moved-in" ]; then
    while IFS= read -r path; do
      n=$((n + 1))
      if [ -e "$path" ]; then mv "$path" "$discard/$n"; fi
    done <"$WORK_DIR/moved-in"
  fi
  if [ -e "$BEFORE_DIR/.outside-blobs" ]; then mv "$BEFORE_DIR/.outside-blobs" "$PDS_BLOBS_DIR"; fi
  while IFS= read -r name; do move_item "$BEFORE_DIR" "$PDS_DATA_DIR" "$name"; done < <(swapped_items "$BEFORE_DIR")
  # Empty by now; if not, stop here rather than delete anything of the original data.
  rmdir "$BEFORE_DIR"
  rm -rf "$WORK_DIR"
  rm -f "$STATE_FILE"
  printf 'result {"ok":true,"rolledBack":true,"state":"%s"}\n' "$state"
}

finish() {
  rm -rf "$BEFORE_DIR" "$WORK_DIR"
  rm -f "$STATE_FILE"
  echo 'result {"ok":true}'
}

# The live data holds exactly the snapshot's accounts and repo heads (reads SQLite read-only, so
# the PDS may be running).
check() {
  [ -f "$WORK_DIR/expected.tsv" ] || die "no restore to check"
  progress 0.9 "Checking accounts and each repository's latest commit"
  local accounts expected
  accounts="$(account_count "$PDS_DATA_DIR")"
  expected="$(cat "$WORK_DIR/expected-accounts")"
  [ "$accounts" = "$expected" ] || die "the server has $accounts accounts, the snapshot $expected"
  if ! diff <(repo_heads "$PDS_DATA_DIR") "$WORK_DIR/expected.tsv" >&2; then die "repository heads differ from the snapshot"; fi
  printf 'result {"ok":true,"accounts":%s,"repos":%s}\n' "$accounts" "$(wc -l <"$WORK_DIR/expected.tsv")"
}

# The live data's accounts and repo heads, for Hearth's "what will change" (read-only).
heads() {
  echo "accounts $(account_count "$PDS_DATA_DIR")"
  repo_heads "$PDS_DATA_DIR"
}

wait_healthy() {
  local url="${HEARTH_PDS_HEALTH_URL:-http://127.0.0.1:3000/xrpc/_health}" _
  for _ in $(seq 1 "${HEARTH_PDS_HEALTH_TRIES:-60}"); do
    if curl -fsS -m 3 "$url" | grep -q '"version"'; then return 0; fi
    sleep 1
  done
  return 1
}

run() {
  local stop_cmd="${HEARTH_PDS_STOP_CMD:-systemctl stop pds}" start_cmd="${HEARTH_PDS_START_CMD:-systemctl start pds}"
  prepare
  progress 0.55 "Stopping the PDS"
  bash -c "$stop_cmd"
  local problem=""
  swap "${HEARTH_SEQ_MARGIN:-0}" || problem="the restored files could not be put in place"
  if [ -z "$problem" ]; then
    progress 0.7 "Starting the PDS"
    # fd 9 is the lock: a PDS started from here must not hold it for as long as it runs.
    bash -c "$start_cmd" 9>&- || problem="the PDS did not start"
  fi
  if [ -z "$problem" ]; then wait_healthy || problem="the PDS did not become healthy"; fi
  if [ -z "$problem" ]; then (check) || problem="the restored data does not match the snapshot"; fi
  if [ -n "$problem" ]; then
    echo "hearth: restore failed: $problem; rolling back" >&2
    local safety
    safety="$(cat "$WORK_DIR/safety-snapshot" 2>/dev/null || echo kept)"
    bash -c "$stop_cmd" || true
    rollback
    bash -c "$start_cmd" 9>&- || true
    die "restore failed: $problem. The server was rolled back to its data from before the restore (safety snapshot $safety)."
  fi
  finish >/dev/null
  progress 1 "Restored"
  echo 'result {"ok":true}'
}

case "$command" in
  run | prepare | swap | rollback | finish)
    take_lock
    if [ "$command" = swap ]; then swap "$snapshot"; else "$command"; fi
    ;;
  check | heads) "$command" ;;
  *) die "usage: hearth-restore.sh run|prepare SNAPSHOT, swap [MARGIN], or check|rollback|finish" ;;
esac
