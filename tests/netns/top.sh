#!/usr/bin/env bash
# `sluicectl top` against a running node: a plain snapshot with a row per worker and a
# non-zero rate while a ping flood runs; the piped view until SIGINT; the interactive view on
# a pseudo-terminal leaving on `q` and on SIGINT with the terminal restored; and exit status
# 1 with a message when sluiced goes away under it.
#
#          hub (bridge)
#       +---------------+
#   alpha (sluiced)   beta (sluiced, ConnectTo = alpha)
#   198.18.0.1        198.18.0.2        underlay
#   198.19.0.1        198.19.0.2        overlay
#
# Usage: top.sh SLUICECTL SLUICED
source "$(dirname "$0")/lib.sh"
SLUICECTL=${1:?usage: $0 SLUICECTL SLUICED}
SLUICED=${2:?usage: $0 SLUICECTL SLUICED}
require_root
require_cmd ip ping python3
DATA_PLANE=managed

for n in hub alpha beta; do make_ns "$n"; done
bridge hub alpha 198.18.0.1/24 beta 198.18.0.2/24
node alpha sluice 198.18.0.1 198.19.0.1
node beta sluice 198.18.0.2 198.19.0.2
share_hosts
connect_to beta alpha
start alpha
start beta
wait_for 20 "alpha sees beta" sees_reachable alpha beta
wait_for 20 "ping alpha -> beta" in_ns alpha ping -c1 -W1 198.19.0.2
# Until path MTU discovery settles, dump peers says "tcp via beta (probing)".
wait_for 60 "alpha fixed its path MTU to beta" fixed_mtu alpha beta

# Traffic for the rates, until cleanup stops it.
spawn alpha ping -f -q 198.19.0.2 >/dev/null

workers=$("$SLUICECTL" -c "$TMP/alpha" dump workers --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
"$SLUICECTL" -c "$TMP/alpha" top --once -d 1 >"$TMP/once.txt" || die "top --once failed"
cat "$TMP/once.txt"
python3 - "$TMP/once.txt" "$workers" <<'PY' || die "top --once output (above) is wrong"
import sys
lines = open(sys.argv[1]).read().splitlines()
workers = int(sys.argv[2])
def table(title):
    start = next(i for i, l in enumerate(lines) if l.split()[:1] == [title])
    rows = []
    for l in lines[start + 1:]:
        if not l.strip():
            break
        rows.append(l.split())
    return lines[start].split(), rows
assert lines[0].startswith("sluice top  alpha  "), lines[0]
assert "1 of 1 nodes reachable" in lines[0] and lines[0].endswith("data plane attached"), lines[0]
assert not any("\x1b" in l for l in lines), "escape sequences in a pipe"
_, rows = table("worker")
assert sorted(int(r[0]) for r in rows) == list(range(workers)), f"want one row per worker ({workers}): {rows}"
def value(cell):
    scale = {"K": 1e3, "M": 1e6, "G": 1e9}
    return float(cell[:-1]) * scale[cell[-1]] if cell[-1] in scale else float(cell)
rx = [value(r[1]) for r in rows]  # rx pkt/s
print("rx pkt/s per worker:", rx)
assert sum(rx) > 0, "no worker received anything during a ping flood"
_, peers = table("peer")
assert len(peers) == 1 and peers[0][:3] == ["beta", "yes", "udp"], peers
# Per-peer traffic (dump traffic): the flood goes to beta, so its rx and tx rates are numbers
# and not zero.
assert "n/a" not in peers[0][-4:] and value(peers[0][-4]) > 0, f"per-peer traffic missing: {peers}"
PY
log "ok: top --once shows $workers workers and the flood"

# Piped: one snapshot per interval, no escape sequences, status 0 on SIGINT.
"$SLUICECTL" -c "$TMP/alpha" top -d 0.2 >"$TMP/piped.txt" 2>"$TMP/piped.err" &
top_pid=$!
PIDS+=("$top_pid")
wait_for 10 "two piped snapshots" bash -c "(( \$(grep -c '^sluice top' '$TMP/piped.txt') >= 2 ))"
kill -INT "$top_pid"
status=0
wait "$top_pid" || status=$?
((status == 0)) || die "piped top exited with $status on SIGINT: $(cat "$TMP/piped.err")"
! grep -q $'\x1b' "$TMP/piped.txt" || die "escape sequences in piped output"
log "ok: piped top exits 0 on SIGINT"

# Interactive, on a pseudo-terminal.
python3 "$(dirname "$0")/top_pty.py" "$SLUICECTL" "$TMP/alpha" q || die "top on a terminal, quit with q"
python3 "$(dirname "$0")/top_pty.py" "$SLUICECTL" "$TMP/alpha" sigint || die "top on a terminal, SIGINT"

# sluiced goes away under a running top: status 1 and a message.
"$SLUICECTL" -c "$TMP/alpha" top -d 0.2 >"$TMP/gone.txt" 2>"$TMP/gone.err" &
top_pid=$!
PIDS+=("$top_pid")
wait_for 10 "a piped snapshot" grep -q '^sluice top' "$TMP/gone.txt"
kill "${NODE_PID[alpha]}"
status=0
wait "$top_pid" || status=$?
cat "$TMP/gone.err"
((status == 1)) || die "top exited with $status when sluiced went away"
grep -q "sluiced went away" "$TMP/gone.err" || die "top did not say that sluiced went away"
log "ok: top exits 1 when sluiced goes away"
log "PASS"
