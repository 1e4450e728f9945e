#!/usr/bin/env bash
# `systemd-analyze verify` on the configured unit: its syntax, every setting known to this
# systemd (Debian 12: 252), and the commands it runs. ExecStart is pointed at the sluiced
# under test, since the installed path need not exist yet. Exit 77 (skip) without systemd.
#
# Usage: verify_unit.sh UNIT_FILE SLUICED
set -euo pipefail
unit=${1:?usage: $0 UNIT_FILE SLUICED}
sluiced=$(realpath "${2:?usage: $0 UNIT_FILE SLUICED}")
command -v systemd-analyze >/dev/null || { echo "SKIP: no systemd-analyze"; exit 77; }
dir=$(mktemp -d /tmp/sluice-verify-unit.XXXXXX)
trap 'rm -rf "$dir"' EXIT
sed "s|^ExecStart=[^ ]*/sluiced |ExecStart=$sluiced |" "$unit" >"$dir/sluiced@lab.service"
grep -q "^ExecStart=$sluiced -n %i -D$" "$dir/sluiced@lab.service" || { echo "FAIL: ExecStart not found"; exit 1; }
# verify prints its findings and still exits 0 for some of them: any output is a failure.
out=$(systemd-analyze verify "$dir/sluiced@lab.service" 2>&1) || { echo "$out"; exit 1; }
[[ -z $out ]] || { echo "FAIL: systemd-analyze verify said:"; echo "$out"; exit 1; }
echo "systemd-analyze verify: no findings ($(systemd-analyze --version | head -n 1))"
