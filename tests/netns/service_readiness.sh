#!/usr/bin/env bash
# sluiced and a service manager (the sd_notify protocol): the scenario owns the notification
# socket, as systemd would, and checks what sluiced says and when.
#
#   alpha (sluiced, DataPlane = managed, NOTIFY_SOCKET = a socket this scenario reads)
#   198.19.0.1 on its device, set by a tinc-up that takes a second
#
# - READY=1 comes only once the device exists with tinc-up's address and the control socket
#   answers (checked the moment READY=1 arrives), after STATUS lines about the start;
# - neither tinc-up nor sluice-dp inherits NOTIFY_SOCKET;
# - SIGHUP: RELOADING=1 with a MONOTONIC_USEC taken after the signal, then READY=1; a
#   refused reload says so in STATUS;
# - SIGINT toggles debug level 5 (tincd's signal), sluiced runs on;
# - SIGTERM: STOPPING=1, and sluiced exits 0.
#
# Usage: service_readiness.sh SLUICECTL SLUICED
source "$(dirname "$0")/lib.sh"
SLUICECTL=${1:?usage: $0 SLUICECTL SLUICED}
SLUICED=${2:?usage: $0 SLUICECTL SLUICED}
require_root
require_cmd ip python3
DATA_PLANE=managed

make_ns alpha
node alpha sluice 198.18.0.1 198.19.0.1
# A slow tinc-up that records its environment: READY=1 before it finished would be caught
# by the check below, which runs when READY=1 arrives.
cat >"$TMP/alpha/tinc-up" <<'UP'
#!/bin/sh
env >"$(dirname "$0")/../tinc-up.env"
sleep 1
ip addr add 198.19.0.1/24 dev "$INTERFACE"
ip link set "$INTERFACE" up
UP
chmod +x "$TMP/alpha/tinc-up"

notify="$TMP/notify.sock"
messages="$TMP/notify.log"
ready_check="ip addr show dev alpha | grep -q 'inet 198.19.0.1/24' && '$SLUICECTL' -c '$TMP/alpha' pid >'$TMP/pid-at-ready'"
# In alpha's namespace, so that `ip` in the check sees alpha's device.
ip netns exec "$(ns alpha)" python3 "$(dirname "$0")/notify_listener.py" "$notify" "$messages" \
    --on-ready "$ready_check" &
PIDS+=("$!")
wait_for 10 "the notification socket exists" grep -q LISTENING "$messages"

# The interface is named after... nothing (-c, no netname): name it so the check can find it.
printf 'Interface = alpha\n' >>"$TMP/alpha/tinc.conf"
NOTIFY_SOCKET=$notify ip netns exec "$(ns alpha)" "$SLUICED" -c "$TMP/alpha" -D -d3 --logfile="$TMP/alpha.log" &
sluiced=$!
PIDS+=("$sluiced")

messages_with() { grep -c -- "$1" "$messages" || true; }
wait_for 30 "READY=1" grep -q "READY=1" "$messages"
wait_for 10 "the check made when READY=1 arrived finished" grep -q "^ON-READY" "$messages"
grep -q "^ON-READY 0$" "$messages" ||
    die "at READY=1 the device had no tinc-up address or the control socket did not answer: $(cat "$messages")"
[[ $(cat "$TMP/pid-at-ready") == "$sluiced" ]] || die "sluicectl pid at READY=1 said $(cat "$TMP/pid-at-ready")"
log "ok: at READY=1 the device had its address and the control socket answered"

# What came before READY=1, in order.
python3 - "$messages" <<'PY' || die "unexpected start-up messages (above)"
import sys
lines = [l.rstrip("\n").split(" ", 1)[1] for l in open(sys.argv[1]) if l[0].isdigit()]
print("\n".join(lines))
ready = next(i for i, l in enumerate(lines) if "READY=1" in l.split(" | "))
before = lines[:ready]
want = ["STATUS=Starting the data plane (sluice-dp)", "STATUS=Running tinc-up"]
assert before == want, f"before READY=1: {before}, wanted {want}"
assert "STATUS=0 of 0 nodes reachable, 0 meta connections, interface alpha" in lines[ready], lines[ready]
PY
log "ok: STATUS lines before READY=1, and READY=1 with the running status"

[[ -s "$TMP/tinc-up.env" ]] || die "tinc-up did not record its environment"
! grep -q NOTIFY_SOCKET "$TMP/tinc-up.env" || die "tinc-up inherited NOTIFY_SOCKET"
dp=$(dp_pid alpha)
[[ -n $dp ]] || die "no sluice-dp pid in the log"
! tr '\0' '\n' <"/proc/$dp/environ" | grep -q NOTIFY_SOCKET || die "sluice-dp inherited NOTIFY_SOCKET"
log "ok: neither tinc-up nor sluice-dp got NOTIFY_SOCKET"

# monotonic_usec: CLOCK_MONOTONIC in microseconds, the clock MONOTONIC_USEC is on.
monotonic_usec() { python3 -c 'import time; print(time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000)'; }

log "--- reload"
before_hup=$(monotonic_usec)
readies=$(messages_with "READY=1")
kill -HUP "$sluiced"
wait_for 10 "RELOADING=1" grep -q "RELOADING=1" "$messages"
wait_for 10 "READY=1 after the reload" bash -c "(( \$(grep -c 'READY=1' '$messages') > $readies ))"
reloading=$(grep "RELOADING=1" "$messages" | tail -n 1)
stamp=$(sed -n 's/.*MONOTONIC_USEC=\([0-9]*\).*/\1/p' <<<"$reloading")
[[ -n $stamp ]] || die "RELOADING=1 without MONOTONIC_USEC: $reloading"
((stamp >= before_hup)) || die "MONOTONIC_USEC=$stamp is before the signal ($before_hup)"
log "ok: RELOADING=1 with MONOTONIC_USEC after the signal, then READY=1"

log "--- a refused reload"
cp "$TMP/alpha/tinc.conf" "$TMP/tinc.conf.good"
printf 'Mode = bridge\n' >>"$TMP/alpha/tinc.conf"
readies=$(messages_with "READY=1")
kill -HUP "$sluiced"
wait_for 10 "READY=1 after the refused reload" bash -c "(( \$(grep -c 'READY=1' '$messages') > $readies ))"
grep "READY=1" "$messages" | tail -n 1 | grep -q "reload refused, running the previous configuration: tinc.conf:.*Mode" ||
    die "the status does not tell of the refused reload: $(tail -n 1 "$messages")"
cp "$TMP/tinc.conf.good" "$TMP/alpha/tinc.conf"
readies=$(messages_with "READY=1")
kill -HUP "$sluiced"
wait_for 10 "READY=1 after the repaired reload" bash -c "(( \$(grep -c 'READY=1' '$messages') > $readies ))"
! grep "READY=1" "$messages" | tail -n 1 | grep -q "reload refused" || die "the refusal outlived a good reload"
log "ok: a refused reload shows in STATUS until a good one"

log "--- SIGINT toggles debug level 5, as in tincd"
kill -INT "$sluiced"
wait_for 10 "debug level 5" grep -q "Got INT signal: debug level 5 until the next INT, then back to 3" "$TMP/alpha.log"
kill -0 "$sluiced" || die "sluiced stopped on SIGINT"
kill -INT "$sluiced"
wait_for 10 "back to the debug level" grep -q "Got INT signal: back to debug level 3" "$TMP/alpha.log"
"$SLUICECTL" -c "$TMP/alpha" pid >/dev/null || die "sluiced does not answer after two SIGINTs"
log "ok: SIGINT toggled the debug level and sluiced went on"

log "--- stop"
kill -TERM "$sluiced"
wait_for 10 "STOPPING=1" grep -q "STOPPING=1 | STATUS=Stopping: Got TERM signal" "$messages"
status=0
wait "$sluiced" || status=$?
((status == 0)) || die "sluiced exited with status $status"
log "ok: STOPPING=1, and sluiced exited 0"
log "PASS"
