#!/usr/bin/env bash
# Shared by hearth-backup.sh, hearth-restore.sh and hearth-verify.sh (sourced, never run).
#
# Settings come from one env file, root-only (mode 600), path in HEARTH_BACKUP_ENV
# (default /etc/hearth/backup.env). Hearth writes it; on a real server it holds the restic
# repository password and the S3 keys, so the scripts refuse a file others can read.
#   PDS_DATA_DIR            the PDS data directory (/pds)
#   PDS_BLOBS_DIR           blobs on disk (default $PDS_DATA_DIR/blocks; skipped when absent)
#   PDS_ENV_FILE            pds.env (default $PDS_DATA_DIR/pds.env; skipped when absent)
#   RESTIC_REPOSITORY       s3:https://endpoint/bucket/prefix
#   RESTIC_PASSWORD         repository password
#   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
#   HEARTH_S3_PATH_STYLE    1 for path-style bucket addressing (MinIO, most self-hosted stores)
#   HEARTH_S3_REGION        optional region
#   HEARTH_STATE_DIR        staging (kept between runs: a copy of every database), status, lock and
#                           restic's cache (default /var/lib/hearth-backup)
#   HEARTH_KEEP_DAILY/WEEKLY/MONTHLY   retention (default 7/4/12), plus the last HEARTH_KEEP_LAST
#                           (default 10) so "Back up now" snapshots of today are not folded away;
#                           applied with a prune every HEARTH_PRUNE_EVERY_DAYS (default 7)
#   HEARTH_PDS_STOP_CMD, HEARTH_PDS_START_CMD   (restore run; default systemctl stop/start pds)
#   HEARTH_PDS_HEALTH_URL   (restore run; default http://127.0.0.1:3000/xrpc/_health)

HEARTH_BACKUP_ENV="${HEARTH_BACKUP_ENV:-/etc/hearth/backup.env}"

die() {
  echo "hearth: $*" >&2
  exit 1
}

load_settings() {
  [ -f "$HEARTH_BACKUP_ENV" ] || die "settings file $HEARTH_BACKUP_ENV is missing (Hearth writes it when you set up backups)"
  local mode owner
  mode="$(stat -c %a "$HEARTH_BACKUP_ENV")"
  owner="$(stat -c %u "$HEARTH_BACKUP_ENV")"
  if [ "$mode" != 600 ] && [ "$mode" != 400 ]; then die "settings file $HEARTH_BACKUP_ENV must be mode 600 (it is $mode): it holds secrets"; fi
  [ "$owner" = "$(id -u)" ] || die "settings file $HEARTH_BACKUP_ENV must belong to $(id -un)"
  set -a
  # shellcheck disable=SC1090 # the path is the operator's
  . "$HEARTH_BACKUP_ENV"
  set +a
  : "${PDS_DATA_DIR:?PDS_DATA_DIR is not set in $HEARTH_BACKUP_ENV}"
  : "${RESTIC_REPOSITORY:?RESTIC_REPOSITORY is not set in $HEARTH_BACKUP_ENV}"
  : "${RESTIC_PASSWORD:?RESTIC_PASSWORD is not set in $HEARTH_BACKUP_ENV}"
  PDS_DATA_DIR="${PDS_DATA_DIR%/}"
  PDS_BLOBS_DIR="${PDS_BLOBS_DIR:-$PDS_DATA_DIR/blocks}"
  PDS_ENV_FILE="${PDS_ENV_FILE:-$PDS_DATA_DIR/pds.env}"
  HEARTH_STATE_DIR="${HEARTH_STATE_DIR:-/var/lib/hearth-backup}"
  # Used by the scripts that source this file.
  # shellcheck disable=SC2034
  STAGING_DIR="$HEARTH_STATE_DIR/staging"
  # shellcheck disable=SC2034
  STATUS_FILE="$HEARTH_STATE_DIR/status.json"
  RESTIC_OPTS=()
  if [ "${HEARTH_S3_PATH_STYLE:-0}" = 1 ]; then RESTIC_OPTS+=(-o s3.bucket-lookup=path); fi
  if [ -n "${HEARTH_S3_REGION:-}" ]; then RESTIC_OPTS+=(-o "s3.region=$HEARTH_S3_REGION"); fi
  # restic's cache (index, snapshots, trees) spares each run reading them from the store again; a
  # systemd service has no $HOME for restic to find its default cache in.
  RESTIC_CACHE_DIR="${RESTIC_CACHE_DIR:-$HEARTH_STATE_DIR/cache}"
  export RESTIC_PASSWORD RESTIC_REPOSITORY AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY RESTIC_CACHE_DIR
  umask 077
  mkdir -p "$HEARTH_STATE_DIR"
  chmod 700 "$HEARTH_STATE_DIR"
}

# One backup/restore/verify at a time (the timer and "Back up now" may meet): one lock file,
# $HEARTH_STATE_DIR/lock, held with flock for the whole of each run. A restore holds it from its
# first step to the PDS's restart; its children (the PDS started by `run`) must not inherit fd 9.
take_lock() {
  # A restore runs the backup script for its safety snapshot while holding the lock.
  if [ "${HEARTH_LOCK_HELD:-}" = 1 ]; then return 0; fi
  exec 9>"$HEARTH_STATE_DIR/lock"
  flock -w "${HEARTH_LOCK_WAIT:-600}" 9 || die "another backup, restore or verify is still running"
  export HEARTH_LOCK_HELD=1
}

# The marker a restore leaves from its first step until it completes or is rolled back
# (hearth-restore.sh writes "preparing", "prepared", "swapping", "swapped" into it). Hearth drives
# a restore as several script runs with the PDS stopped and started in between, so the flock
# alone does not cover the gaps: the marker does.
restore_marker() {
  echo "$HEARTH_STATE_DIR/restore-state"
}

# A backup refuses while a restore runs or is unfinished: it would snapshot half-swapped data
# (and its staging would mix the old data with the new). Exit code 6: "busy".
refuse_during_restore() {
  # The restore's own safety snapshot, taken while it holds the lock.
  if [ "${HEARTH_LOCK_HELD:-}" = 1 ]; then return 0; fi
  local state
  state="$(cat "$(restore_marker)" 2>/dev/null || true)"
  [ -n "$state" ] || return 0
  echo "hearth: a restore is running on this server or did not finish (it stopped at: $state); no backup until it completes or is rolled back (Hearth rolls it back when you restore again; on the server: hearth-restore.sh rollback)" >&2
  exit 6
}

restic_() {
  restic "${RESTIC_OPTS[@]}" "$@"
}

# Removes repository locks left by a run that was killed (crash, dropped SSH session, cancel).
# restic's own `unlock` keeps a lock whose process still "exists", which includes a zombie nobody
# reaped yet; while we hold the flock, no live Hearth run on this host can own a lock, so a lock
# from this host whose process is gone or a zombie is stale. Locks of other hosts are respected.
clear_stale_locks() {
  local id lock host pid stat this foreign=0 stale=0
  this="$(hostname)"
  restic_ unlock >/dev/null 2>&1 || true
  while IFS= read -r id; do
    [ -n "$id" ] || continue
    lock="$(restic_ cat lock "$id" 2>/dev/null || true)"
    host="$(printf '%s' "$lock" | sed -n 's/.*"hostname": *"\([^"]*\)".*/\1/p')"
    pid="$(printf '%s' "$lock" | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')"
    if [ "$host" != "$this" ] || [ -z "$pid" ]; then
      foreign=1
      continue
    fi
    stat="$(ps -o stat= -p "$pid" 2>/dev/null || true)"
    case "$stat" in "" | Z*) stale=1 ;; *) foreign=1 ;; esac
  done < <(restic_ list locks --no-lock 2>/dev/null || true)
  if [ "$stale" = 1 ] && [ "$foreign" = 0 ]; then restic_ unlock --remove-all >/dev/null 2>&1 || true; fi
}

# Classifies restic's error output for people and for Hearth (exit codes):
#   3 the store is unreachable, 4 wrong keys / bucket / password, 5 the repository is damaged, 1 other.
classify_error() {
  local text="$1"
  case "$text" in
    *"connection refused"* | *"no such host"* | *"i/o timeout"* | *"network is unreachable"* | *"dial tcp"* | *"connection reset"* | *"TLS handshake"*)
      echo "3 The backup store is unreachable" ;;
    *"wrong password"*)
      echo "4 The repository password is wrong" ;;
    *"bucket does not exist"*)
      echo "4 The bucket does not exist" ;;
    *"signature"* | *"Access Key Id"* | *"AccessDenied"* | *"Access Denied"* | *"InvalidAccessKeyId"*)
      echo "4 The store refused the access keys" ;;
    *"does not match"* | *"repository contains errors"* | *"ciphertext verification failed"* | *"unexpected EOF"*)
      echo "5 The backup repository is damaged" ;;
    *) echo "1 restic failed" ;;
  esac
}

# JSON string escaping without jq: backslash, quote, control characters (as spaces).
json_str() {
  printf '"%s"' "$(printf '%s' "$1" | tr '\n\t\r' '   ' | tr -d '\000-\037' | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')"
}

now_iso() {
  date -u +%Y-%m-%dT%H:%M:%SZ
}

# A value inside single quotes in a sqlite3 script (no process: the backup quotes hundreds).
sql_quote() {
  local q="'"
  printf '%s' "${1//$q/$q$q}"
}

# A database file as an SQLite URI that opens it immutable: for copies nobody writes (the staging
# dir), read without creating -wal and -shm files beside them. Sets the variable named $1.
immutable_uri() {
  local _uri_path="${2//%/%25}"
  _uri_path="${_uri_path//\?/%3f}"
  printf -v "$1" 'file:%s?immutable=1' "${_uri_path//#/%23}"
}

# The head of each repo whose store.sqlite paths are given, one sqlite3 process for all of them.
# Prints "did<TAB>commit cid<TAB>rev<TAB>records" lines, in the order given.
#   heads_of_stores [--immutable] STORE...   (--immutable: copies nobody writes, see immutable_uri)
heads_of_stores() {
  local store did path q="'" immutable=0
  if [ "${1:-}" = --immutable ]; then
    immutable=1
    shift
  fi
  {
    printf '.mode tabs\n.headers off\n'
    for store in "$@"; do
      did="${store%/*}"
      did="${did##*/}"
      path="$store"
      if [ "$immutable" = 1 ]; then immutable_uri path "$store"; fi
      printf ".open --readonly '%s'\nSELECT '%s', (SELECT cid FROM repo_root LIMIT 1), (SELECT rev FROM repo_root LIMIT 1), (SELECT count(*) FROM record);\n" \
        "${path//$q/$q$q}" "${did//$q/$q$q}"
    done
  } | sqlite3 -bail :memory:
}

# The store.sqlite of every repo in a PDS data dir (live, staged or restored), NUL-separated, sorted.
repo_stores() {
  find "$1/actors" -mindepth 3 -maxdepth 3 -name store.sqlite -print0 2>/dev/null | sort -z
}

# Each repo's head in a PDS data dir (live or restored), one sqlite3 process for all of them.
# Prints "did<TAB>commit cid<TAB>rev<TAB>records" lines.
repo_heads() {
  local stores=()
  mapfile -d '' -t stores < <(repo_stores "$1")
  heads_of_stores "${stores[@]}"
}

# The highest firehose sequence number a PDS data dir's sequencer has given out (0 if none): the
# larger of the newest event it keeps and SQLite's AUTOINCREMENT counter (events get pruned).
# A sequencer without those tables (not a PDS's) counts as 0.
highest_seq() {
  local db="$1/sequencer.sqlite" tables counter="0"
  if [ ! -f "$db" ]; then
    echo 0
    return 0
  fi
  tables=" $(sqlite3 -readonly "$db" "SELECT group_concat(name, ' ') FROM sqlite_master WHERE type = 'table' AND name IN ('repo_seq', 'sqlite_sequence');") "
  case "$tables" in
    *" repo_seq "*) ;;
    *)
      echo 0
      return 0
      ;;
  esac
  case "$tables" in *" sqlite_sequence "*) counter="(SELECT seq FROM sqlite_sequence WHERE name = 'repo_seq')" ;; esac
  sqlite3 -readonly "$db" "SELECT max(coalesce((SELECT max(seq) FROM repo_seq), 0), coalesce($counter, 0));"
}

# Whether a data dir's sequencer can have its counter moved (a PDS's: repo_seq with AUTOINCREMENT).
has_seq_counter() {
  [ -f "$1/sequencer.sqlite" ] || return 1
  [ "$(sqlite3 -readonly "$1/sequencer.sqlite" "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('repo_seq', 'sqlite_sequence');")" = 2 ]
}

account_count() {
  local db="$1/account.sqlite"
  if [ -f "$db" ]; then sqlite3 -readonly "$db" 'SELECT count(*) FROM actor;'; else echo 0; fi
}

# Every SQLite file under a dir passes PRAGMA integrity_check; prints the bad ones, fails if any.
check_sqlite_files() {
  local dir="$1" db result bad=0
  while IFS= read -r -d '' db; do
    result="$(sqlite3 -readonly "$db" 'PRAGMA integrity_check;' 2>&1 || true)"
    if [ "$result" != ok ]; then
      echo "damaged: ${db#"$dir"/}: $result" >&2
      bad=1
    fi
  done < <(find "$dir" -name '*.sqlite' -type f -print0)
  return "$bad"
}

# Restores a snapshot into an empty dir and prints the path of the PDS data inside it.
# The backup stages everything under $STAGING_DIR, which restic keeps as an absolute path; the
# snapshot says which path that was (it may differ from this server's, after a move).
restore_snapshot_to() {
  local snapshot="$1" target="$2" source_path
  source_path="$(restic_ snapshots --json "$snapshot" | sed -n 's/.*"paths":\["\([^"]*\)".*/\1/p' | head -n1)"
  [ -n "$source_path" ] || die "snapshot $snapshot was not found in the repository"
  restic_ restore "$snapshot" --target "$target" >/dev/null
  [ -d "$target$source_path/pds" ] || die "snapshot $snapshot does not hold a Hearth backup of a PDS"
  printf '%s\n' "$target$source_path"
}
