#!/usr/bin/env bash
# The two processes' lifecycles under load: sluiced killed with SIGKILL during an iperf3 run
# while its sluice-dp keeps forwarding, then restarted and reattached; then sluice-dp killed
# and restarted by sluiced. Traffic must keep flowing: no one-second iperf3 interval empty.
#
#          hub (bridge)
#       +---------------+
#   alpha (sluiced)   beta (sluiced, ConnectTo = alpha)
#   198.18.0.1        198.18.0.2        underlay
#   198.19.0.1        198.19.0.2        overlay
#
# FAMILY (ipv4 or ipv6) is the underlay's family; with ipv6 the underlay is 2001:db8:ff::1-2
# and the traffic runs over the IPv6 overlay 2001:db8:1::1-2.
#
# Usage: lifecycle.sh SLUICECTL SLUICED [FAMILY]
source "$(dirname "$0")/lib.sh"
SLUICECTL=${1:?usage: $0 SLUICECTL SLUICED [ipv4|ipv6]}
SLUICED=${2:?usage: $0 SLUICECTL SLUICED [ipv4|ipv6]}
FAMILY=${3:-ipv4}
require_root
require_cmd ip ping iperf3 python3
DATA_PLANE=managed

if [[ $FAMILY == ipv4 ]]; then
    u() { echo "198.18.0.$1"; }
    ucidr() { echo "198.18.0.$1/24"; }
    o() { echo "198.19.0.$1"; }
else
    u() { echo "2001:db8:ff::$1"; }
    ucidr() { echo "2001:db8:ff::$1/64"; }
    o() { echo "2001:db8:1::$1"; }
fi
for n in hub alpha beta; do make_ns "$n"; done
bridge hub alpha "$(ucidr 1)" beta "$(ucidr 2)"
node alpha sluice "$(u 1)" 198.19.0.1 2001:db8:1::1
node beta sluice "$(u 2)" 198.19.0.2 2001:db8:1::2
if [[ $FAMILY == ipv6 ]]; then
    for n in alpha beta; do
        wait_for 10 "$n's underlay address is usable" bash -c "! ip -n $(ns "$n") addr show tentative | grep -q inet6"
    done
fi
share_hosts
connect_to beta alpha
start alpha
start beta
wait_for 20 "alpha sees beta" sees_reachable alpha beta
wait_for 20 "beta sees alpha" sees_reachable beta alpha
wait_for 20 "ping beta -> alpha" in_ns beta ping -c1 -W1 "$(o 1)"
wait_for 20 "ping alpha -> beta" in_ns alpha ping -c1 -W1 "$(o 2)"
# Until path MTU discovery settles, large frames travel as PACKET over the meta connection.
wait_for 60 "alpha fixed its path MTU to beta" fixed_mtu alpha beta
wait_for 60 "beta fixed its path MTU to alpha" fixed_mtu beta alpha

# rx_bytes NODE: UDP bytes received by the node's data plane, all workers.
rx_bytes() {
    "$SLUICECTL" -c "$TMP/$1" dump workers --json |
        python3 -c 'import json,sys; print(sum(w["rx_bytes"] for w in json.load(sys.stdin)))'
}
# counters_since NODE: when the counters in NODE's shared memory began (stats --json).
counters_since() {
    "$SLUICECTL" -c "$TMP/$1" stats --json |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["daemon"]["dataplane"]["counters_since_unix"])'
}
# grew NODE FROM BYTES: the node's UDP rx counter passed FROM + BYTES.
grew() { (($(rx_bytes "$1") >= $2 + $3)); }

spawn alpha iperf3 -s -p 5201
wait_for 10 "iperf3 listens on alpha" in_ns alpha bash -c "ss -ltn | grep -q :5201"

log "--- part 1: SIGKILL of beta's sluiced while iperf3 runs through beta's sluice-dp"
# Started with ip netns exec directly (not through a function's subshell), so that $! is
# iperf3 itself and the cleanup trap can stop it.
ip netns exec "$(ns beta)" iperf3 -c "$(o 1)" -p 5201 -t 16 -J >"$TMP/iperf1.json" &
client=$!
PIDS+=("$client")
start_bytes=$(rx_bytes alpha)
wait_for 10 "traffic flows" grew alpha "$start_bytes" 5000000
dp_before=$(dp_pid beta)
# beta's counters for alpha live in its sluice-dp: a new sluiced must find them, not zeros.
tx_before=$(peer_stat beta alpha tx_bytes)
since_before=$(counters_since beta)
((tx_before > 5000000)) || die "beta's stats show $tx_before bytes sent to alpha while iperf3 runs"
stop_hard beta
kill -0 "$dp_before" || die "beta's sluice-dp died with its sluiced"
wait_for 20 "alpha notices beta's sluiced is gone" bash -c "grep -q 'Closing connection with beta' '$TMP/alpha.log'"
after_kill=$(rx_bytes alpha)
wait_for 10 "traffic keeps flowing without beta's sluiced" grew alpha "$after_kill" 20000000
start beta
wait_for 20 "beta's new sluiced takes over the running sluice-dp" grep -q "Taking over the running data plane" "$TMP/beta.log"
wait_for 30 "beta's mesh is back and publishes" grep -q "The mesh is back" "$TMP/beta.log"
[[ $(dp_pid beta) == "$dp_before" ]] || die "a new sluice-dp was started instead of reattaching"
tx_after=$(peer_stat beta alpha tx_bytes)
[[ $(counters_since beta) == "$since_before" ]] || die "beta's counters were restarted with its sluiced"
((tx_after >= tx_before)) || die "beta's tx_bytes to alpha went from $tx_before to $tx_after across the sluiced restart"
log "ok: beta's counters for alpha survived the sluiced restart ($tx_before -> $tx_after bytes sent)"
wait "$client" || die "iperf3 failed during the sluiced restart: $(tail -c 300 "$TMP/iperf1.json")"
iperf_no_stall "$TMP/iperf1.json"
wait_for 20 "ping beta -> alpha after the restart" in_ns beta ping -c1 -W1 "$(o 1)"

log "--- part 2: SIGKILL of beta's sluice-dp; sluiced starts a new one"
ip netns exec "$(ns beta)" iperf3 -c "$(o 1)" -p 5201 -t 12 -J >"$TMP/iperf2.json" &
client=$!
PIDS+=("$client")
start_bytes=$(rx_bytes alpha)
wait_for 10 "traffic flows" grew alpha "$start_bytes" 5000000
kill -9 "$dp_before"
wait_for 20 "sluiced notices" grep -q "The data plane went away" "$TMP/beta.log"
wait_for 20 "sluiced starts a new sluice-dp" bash -c "[[ \$(grep -c 'Started sluice-dp' '$TMP/beta.log') -ge 2 ]]"
wait_for 20 "ping beta -> alpha through the new sluice-dp" in_ns beta ping -c1 -W1 "$(o 1)"
wait "$client" || log "iperf3 across the sluice-dp restart ended with an error (the TCP connection may not survive a lost data plane): $(tail -c 200 "$TMP/iperf2.json")"
in_ns beta iperf3 -c "$(o 1)" -p 5201 -t 3 >/dev/null || die "iperf3 after the sluice-dp restart failed"
log "ok: iperf3 works through the restarted sluice-dp"
"$SLUICECTL" -c "$TMP/beta" dump workers
log "PASS"
