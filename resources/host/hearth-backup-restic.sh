#!/usr/bin/env bash
# Runs restic against the backup repository with the settings of hearth-backup.sh, for Hearth's
# read-only queries: `hearth-backup-restic.sh snapshots --json`, `… dump SNAPSHOT PATH`, `… stats`.
set -euo pipefail
# shellcheck source=resources/host/hearth-backup-lib.sh
. "$(dirname "$(readlink -f "$0")")/hearth-backup-lib.sh"
case "${1:-}" in
  snapshots | dump | stats | ls | cat) ;;
  *) die "only snapshots, dump, stats, ls and cat are allowed here" ;;
esac
load_settings
restic_ "$@"
