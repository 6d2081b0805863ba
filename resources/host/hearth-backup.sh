#!/usr/bin/env bash
# Backs up a PDS into a restic repository (run by hearth-backup.service, or by Hearth's "Back up now").
#
#   hearth-backup.sh [--kind scheduled|manual|pre-restore] [--no-forget]
#   hearth-backup.sh --init      create the repository if there is none (nothing else)
#
# Every SQLite database is copied with SQLite's online backup API into a staging dir (a plain copy
# of a live WAL database can be torn), with each actor's signing `key`, the blobs (hard links when
# possible) and pds.env; restic then encrypts and deduplicates the staging dir into the store.
# The staging dir is kept between runs and only what changed is staged again (see stage_pds), so
# restic reads and uploads only that. Retention runs once a week (see HEARTH_PRUNE_EVERY_DAYS).
# Prints "progress <0..1> <step>" lines and, last, "result <json>". Writes $HEARTH_STATE_DIR/status.json.
# Exit codes: 0 ok, 3 store unreachable, 4 wrong keys/bucket/password, 5 repository damaged,
# 6 refused: a restore is running or unfinished (see refuse_during_restore), 1 other.
set -euo pipefail
# shellcheck source=resources/host/hearth-backup-lib.sh
. "$(dirname "$(readlink -f "$0")")/hearth-backup-lib.sh"

kind=scheduled
forget=1
saved=0
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
# Before waiting for the lock (a restore may hold it for a long time) and again once it is ours
# (a restore may have started while we waited).
refuse_during_restore
take_lock
refuse_during_restore

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
  # Unless the snapshot was saved, the next run starts from an empty staging dir.
  if [ "$saved" = 0 ]; then rm -rf "$STAGING_DIR" "$STAGED_STATE"; fi
  echo "hearth: $message" >&2
  exit "$code"
}

progress() {
  echo "progress $1 $2"
}

# Staging is incremental: the staging dir stays between runs and only what changed is written
# again, so restic (which skips a file whose size, mtime, ctime and inode are as in the last
# snapshot, without reading it) reads and uploads only that. A database is copied again, with
# SQLite's backup API into a new file renamed over the old copy, when its file or its -wal differ
# from when it was last copied (size, mtime, ctime, inode, device: any write changes ctime, which
# nothing can set back). A fingerprint whose ctime is within RACY_SECONDS of the run's start is
# not trusted (a later write in the same clock tick could leave it as it was): such a database is
# copied again next time too. Keys and pds.env are copied when they differ, blobs (immutable,
# named by their CID) linked or copied when new and dropped when gone. $STAGED_STATE holds, per
# staged file, the source's fingerprint and the staged copy's; it is deleted before staging
# starts and written once staging is complete, so after a run killed half-way, or a staged file
# touched by anyone else, the next run copies afresh. The staging dir keeps a copy of every
# database between runs (the disk space a run needed anyway).
STAGED_STATE="$HEARTH_STATE_DIR/staged.state"
RACY_SECONDS=2
FINGERPRINT='%s:%T@:%C@:%i:%D'
declare -A restaged=()

# Reads NUL-separated "fingerprint<TAB>path" records into the associative array named $1.
read_listing() {
  local -n into="$1"
  local line lines=()
  mapfile -d '' -t lines
  for line in "${lines[@]}"; do
    # shellcheck disable=SC2034 # a reference to the caller's array
    into["${line#*$'\t'}"]="${line%%$'\t'*}"
  done
}

# Lists files with find into the associative array named $1 (see read_listing). A find that fails
# (an unreadable dir) fails the run rather than staging less than there is.
find_into() {
  local name="$1" out="$HEARTH_STATE_DIR/listing"
  shift
  find "$@" >"$out" 2>"$errfile" || fail "Could not list the files to back up"
  read_listing "$name" <"$out"
  rm -f "$out"
}

stage_pds() {
  local line a rest rel fp wal dst c q="'" script="$HEARTH_STATE_DIR/backup.sql"
  local -A src=() staged=() prev_src=() prev_staged=()
  local lines=() renames=() copies=() remove=() dirs=()
  declare -gA want=() src_ctime=()
  # Before the first look at the live files: see RACY_SECONDS.
  stage_started="$(date +%s)"
  if [ -f "$STAGED_STATE" ] && [ -d "$STAGING_DIR/pds" ]; then
    mapfile -d '' -t lines <"$STAGED_STATE"
    for line in "${lines[@]}"; do
      a="${line%%$'\t'*}"
      rest="${line#*$'\t'}"
      rel="${rest#*$'\t'}"
      prev_src["$rel"]="$a"
      prev_staged["$rel"]="${rest%%$'\t'*}"
    done
  else
    rm -rf "$STAGING_DIR"
  fi
  rm -f "$STAGED_STATE"
  mkdir -p "$STAGING_DIR/pds"

  find_into src "$PDS_DATA_DIR" -path "$PDS_BLOBS_DIR" -prune -o -type f \( -name '*.sqlite' -o -name '*.sqlite-wal' -o -name key \) -printf "$FINGERPRINT\t%P\0"
  find_into staged "$STAGING_DIR/pds" -type f -printf "$FINGERPRINT\t%P\0"
  echo '.bail on' >"$script"
  for rel in "${!src[@]}"; do
    # An empty -wal holds nothing (a reader that cannot delete it leaves one behind): as none.
    wal="${src["$rel-wal"]:-}"
    if [[ "$wal" == 0:* ]]; then wal=""; fi
    case "$rel" in
      *.sqlite) fp="${src[$rel]}|${wal:-none}" ;;
      actors/*/*/*/*) continue ;;
      actors/*/*/key) fp="${src[$rel]}" ;;
      *) continue ;;
    esac
    want["$rel"]="$fp"
    # ctime seconds of the file and its -wal, for the racy check when the state is written.
    c="${src[$rel]#*:*:}"
    src_ctime["$rel"]="${c%%.*}"
    if [ -n "$wal" ]; then
      c="${wal#*:*:}"
      c="${c%%.*}"
      if [ "$c" -gt "${src_ctime[$rel]}" ]; then src_ctime["$rel"]="$c"; fi
    fi
    if [ -n "${staged[$rel]:-}" ] && [ "${prev_src[$rel]:-}" = "$fp" ] && [ "${prev_staged[$rel]:-}" = "${staged[$rel]}" ]; then continue; fi
    restaged["$rel"]=1
    dst="$STAGING_DIR/pds/$rel"
    dirs+=("${dst%/*}")
    case "$rel" in
      *.sqlite)
        if [ -n "${staged[$rel]:-}" ]; then
          # A new file renamed over the old copy: a new inode, so restic cannot take it for the old one.
          renames+=("$dst")
          dst="$dst.hearth-new"
        fi
        printf ".open '%s'\n.timeout 10000\n.backup '%s'\n" "${PDS_DATA_DIR//$q/$q$q}/${rel//$q/$q$q}" "${dst//$q/$q$q}" >>"$script"
        ;;
      *) copies+=("$rel") ;;
    esac
  done
  # Staged files whose source is gone (a deleted account), and leftovers of an interrupted copy.
  for rel in "${!staged[@]}"; do
    if [ -z "${want[$rel]:-}" ]; then remove+=("$STAGING_DIR/pds/$rel"); fi
  done
  if [ "${#remove[@]}" -gt 0 ]; then
    printf '%s\0' "${remove[@]}" | xargs -0 rm -f --
    find "$STAGING_DIR/pds" -mindepth 1 -type d -empty -delete
  fi
  if [ "${#dirs[@]}" -gt 0 ]; then printf '%s\0' "${dirs[@]}" | xargs -0 mkdir -p --; fi
  sqlite3 :memory: <"$script" >/dev/null 2>"$errfile" || fail "Could not copy the databases"
  rm -f "$script"
  for dst in "${renames[@]}"; do mv -f "$dst.hearth-new" "$dst"; done
  if [ "${#copies[@]}" -gt 0 ]; then
    (cd "$PDS_DATA_DIR" && printf '%s\0' "${copies[@]}" | xargs -0 cp -p --parents -t "$STAGING_DIR/pds" --) 2>"$errfile" || fail "Could not copy the signing keys"
  fi
}

# Mirrors the blobs dir into the staging dir: new blobs hard-linked (copied when the staging dir
# is on another file system), blobs gone from the PDS removed; the others are left alone.
stage_blobs() {
  local from="$PDS_BLOBS_DIR" to="$STAGING_DIR/blobs" rel fp
  local -A have=() seen=() live=()
  local gone=() new_dirs=() new_files=()
  if [ ! -d "$from" ]; then
    rm -rf "$to"
    return 0
  fi
  mkdir -p "$to"
  find_into have "$to" -mindepth 1 -printf '%y:%s:%T@\t%P\0'
  find_into live "$from/" -mindepth 1 -printf '%y:%s:%T@\t%P\0'
  for rel in "${!live[@]}"; do
    fp="${live[$rel]}"
    seen["$rel"]=1
    if [[ "$fp" == d:* ]]; then
      if [[ "${have[$rel]:-}" != d:* ]]; then
        if [ -n "${have[$rel]:-}" ]; then gone+=("$rel"); fi
        new_dirs+=("$rel")
      fi
    elif [ "${have[$rel]:-}" != "$fp" ]; then
      if [ -n "${have[$rel]:-}" ]; then gone+=("$rel"); fi
      new_files+=("$rel")
    fi
  done
  for rel in "${!have[@]}"; do
    if [ -z "${seen[$rel]:-}" ]; then gone+=("$rel"); fi
  done
  if [ "${#gone[@]}" -gt 0 ]; then (cd "$to" && printf '%s\0' "${gone[@]}" | xargs -0 rm -rf --); fi
  if [ "${#new_dirs[@]}" -gt 0 ]; then (cd "$to" && printf '%s\0' "${new_dirs[@]}" | xargs -0 mkdir -p --); fi
  if [ "${#new_files[@]}" -gt 0 ]; then
    # Blobs are immutable files: hard links cost no space and are as good as a copy.
    if ! (cd "$from" && printf '%s\0' "${new_files[@]}" | xargs -0 cp -al --parents -t "$to" -- 2>/dev/null); then
      (cd "$to" && printf '%s\0' "${new_files[@]}" | xargs -0 rm -f --)
      (cd "$from" && printf '%s\0' "${new_files[@]}" | xargs -0 cp -a --parents -t "$to" --) 2>"$errfile" || fail "Could not copy the blobs"
    fi
  fi
}

# manifest.tsv (each repo's head, as repo_heads prints it): the repos whose database was copied
# again are read, the others keep their line from the previous run's manifest.
stage_manifest() {
  local store rel did line heads stores=() query=()
  local -A old=() fresh=()
  if [ -f "$STAGING_DIR/manifest.tsv" ]; then
    while IFS= read -r line; do old["${line%%$'\t'*}"]="$line"; done <"$STAGING_DIR/manifest.tsv"
  fi
  mapfile -d '' -t stores < <(repo_stores "$STAGING_DIR/pds")
  for store in "${stores[@]}"; do
    rel="${store#"$STAGING_DIR/pds/"}"
    did="${store%/*}"
    did="${did##*/}"
    if [ -n "${restaged[$rel]:-}" ] || [ -z "${old[$did]:-}" ]; then query+=("$store"); fi
  done
  if [ "${#query[@]}" -gt 0 ]; then
    heads="$(heads_of_stores --immutable "${query[@]}" 2>"$errfile")" || fail "Could not read the repositories' heads"
    while IFS= read -r line; do fresh["${line%%$'\t'*}"]="$line"; done <<<"$heads"
  fi
  for store in "${stores[@]}"; do
    did="${store%/*}"
    did="${did##*/}"
    line="${fresh[$did]:-${old[$did]:-}}"
    if [ -z "$line" ]; then
      echo "no head read for $did" >"$errfile"
      fail "Could not read the repositories' heads"
    fi
    printf '%s\n' "$line"
  done >"$STAGING_DIR/manifest.tsv.new"
  mv -f "$STAGING_DIR/manifest.tsv.new" "$STAGING_DIR/manifest.tsv"
}

# Records what is staged, once staging is complete (see above).
write_staged_state() {
  local rel fp
  local -A staged=()
  find_into staged "$STAGING_DIR/pds" -type f -printf "$FINGERPRINT\t%P\0"
  for rel in "${!want[@]}"; do
    fp="${want[$rel]}"
    if [ "${src_ctime[$rel]}" -ge $((stage_started - RACY_SECONDS)) ]; then fp=racy; fi
    printf '%s\t%s\t%s\0' "$fp" "${staged[$rel]:-missing}" "$rel"
  done >"$STAGED_STATE.new"
  mv -f "$STAGED_STATE.new" "$STAGED_STATE"
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
stage_pds
progress 0.3 "Collecting blobs and settings"
stage_blobs
if [ -f "$PDS_ENV_FILE" ]; then
  cmp -s "$PDS_ENV_FILE" "$STAGING_DIR/pds.env" || cp -p "$PDS_ENV_FILE" "$STAGING_DIR/pds.env"
else
  rm -f "$STAGING_DIR/pds.env"
fi
accounts=0 uri=""
if [ -f "$STAGING_DIR/pds/account.sqlite" ]; then
  immutable_uri uri "$STAGING_DIR/pds/account.sqlite"
  accounts="$(sqlite3 -readonly "$uri" 'SELECT count(*) FROM actor;' 2>"$errfile")" || fail "Could not count the accounts"
fi
stage_manifest
records="$(awk -F'\t' '{ n += $4 } END { print n + 0 }' "$STAGING_DIR/manifest.tsv")"
printf '{"version":1,"createdAt":"%s","kind":"%s","accounts":%s,"records":%s}\n' "$started_at" "$kind" "$accounts" "$records" >"$STAGING_DIR/hearth-backup.json"
write_staged_state

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

# The snapshot is saved: a failure from here on leaves the staging dir as it is.
saved=1
# Retention: forget the snapshots the policy no longer keeps and prune (repack the data no snapshot
# uses) once every HEARTH_PRUNE_EVERY_DAYS days (default 7), not on every run. Forgetting alone
# frees no space, and each restic start costs a key derivation (~0.7 s): a daily run does neither.
# Between two rounds of retention up to a week's extra daily snapshots stay in the store.
last_prune="$(cat "$HEARTH_STATE_DIR/last-prune" 2>/dev/null || echo 0)"
if [ $(($(date +%s) - last_prune)) -lt $((${HEARTH_PRUNE_EVERY_DAYS:-7} * 86400)) ]; then forget=0; fi
if [ "$forget" = 1 ]; then
  progress 0.85 "Applying retention"
  if ! restic_ forget --prune --tag hearth --group-by host \
    --keep-daily "${HEARTH_KEEP_DAILY:-7}" --keep-weekly "${HEARTH_KEEP_WEEKLY:-4}" --keep-monthly "${HEARTH_KEEP_MONTHLY:-12}" \
    --keep-last "${HEARTH_KEEP_LAST:-10}" --keep-tag kind=pre-restore >/dev/null 2>"$errfile"; then
    # The snapshot is safe; say that retention failed without hiding the success.
    write_status true 0 "" "$snapshot" "${added:-0}" "$accounts" "$records"
    fail "Snapshot $snapshot saved, but removing old snapshots failed"
  fi
  date +%s >"$HEARTH_STATE_DIR/last-prune"
fi

write_status true 0 "" "$snapshot" "${added:-0}" "$accounts" "$records"
# restic keeps no per-snapshot "bytes added": Hearth's timeline reads it from here.
printf '%s\t%s\n' "$snapshot" "${added:-0}" >>"$HEARTH_STATE_DIR/history.tsv"
progress 1 "Done"
printf 'result {"ok":true,"snapshotId":"%s","bytesAdded":%s,"accounts":%s,"records":%s,"durationSeconds":%s}\n' \
  "$snapshot" "${added:-0}" "$accounts" "$records" "$(($(date +%s) - started_s))"
