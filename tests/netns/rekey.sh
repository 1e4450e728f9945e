#!/usr/bin/env bash
# Key rotation under load: KeyExpire = 4 on two sluice nodes and a tincd 1.0.36, so every
# node replaces its keys several times (KEY_CHANGED, fresh ANS_KEYs) while iperf3 runs through
# sluice-dp; no one-second interval may be empty. Once between the two sluice nodes, once
# between sluice and tinc. Between the sluice nodes the traffic is native, and KeyExpire
# below 120 s renews their native sessions as often (docs/protocol.md 6.4, 7.1): the run
# must carry it through at least two new native sessions too.
#
#          hub (bridge)
#   +-------------+-------------+
# alpha (sluiced) beta (sluiced) gamma (tincd)   198.18.0.1-3, overlay 198.19.0.1-3
#
# FAMILY (ipv4 or ipv6) is the underlay's family; with ipv6 the underlay is 2001:db8:ff::1-3
# and iperf3 runs over the IPv6 overlay 2001:db8:1::1-3.
#
# Usage: rekey.sh SLUICECTL SLUICED [FAMILY]
source "$(dirname "$0")/lib.sh"
SLUICECTL=${1:?usage: $0 SLUICECTL SLUICED [ipv4|ipv6]}
SLUICED=${2:?usage: $0 SLUICECTL SLUICED [ipv4|ipv6]}
FAMILY=${3:-ipv4}
require_root
require_cmd ip tincd ping iperf3 python3
DATA_PLANE=managed

if [[ $FAMILY == ipv4 ]]; then
    u() { echo "198.18.0.$1"; }
    ucidr() { echo "198.18.0.$1/24"; }
    beta_overlay=198.19.0.2
else
    u() { echo "2001:db8:ff::$1"; }
    ucidr() { echo "2001:db8:ff::$1/64"; }
    beta_overlay=2001:db8:1::2
fi
for n in hub alpha beta gamma; do make_ns "$n"; done
bridge hub alpha "$(ucidr 1)" beta "$(ucidr 2)" gamma "$(ucidr 3)"
node alpha sluice "$(u 1)" 198.19.0.1 2001:db8:1::1
node beta sluice "$(u 2)" 198.19.0.2 2001:db8:1::2
node gamma tinc "$(u 3)" 198.19.0.3 2001:db8:1::3
if [[ $FAMILY == ipv6 ]]; then
    for n in alpha beta gamma; do
        wait_for 10 "$n's underlay address is usable" bash -c "! ip -n $(ns "$n") addr show tentative | grep -q inet6"
    done
fi
for n in alpha beta gamma; do printf 'KeyExpire = 4\nPingTimeout = 1\n' >>"$TMP/$n/tinc.conf"; done
share_hosts
connect_to alpha beta
connect_to gamma beta
start beta
start alpha
start gamma
wait_for 20 "alpha sees beta" sees_reachable alpha beta
wait_for 20 "gamma sees beta" sees_reachable gamma beta
wait_for 20 "ping alpha -> beta" in_ns alpha ping -c1 -W1 "$beta_overlay"
wait_for 20 "ping gamma -> beta" in_ns gamma ping -c1 -W1 "$beta_overlay"
wait_for 60 "beta fixed its path MTU to alpha" fixed_mtu beta alpha
wait_for 60 "alpha fixed its path MTU to beta" fixed_mtu alpha beta
wait_for 60 "gamma fixed its path MTU to beta" fixed_mtu gamma beta

# expiries NODE: how many times NODE replaced its keys so far.
expiries() { grep -c "Expiring symmetric keys" "$TMP/$1.log" || true; }
# sessions NODE: how many native sessions NODE has installed so far.
sessions() { grep -c "Native session with .* ready" "$TMP/$1.log" || true; }
# native_packets NODE: native packets NODE's data plane opened plus sealed.
native_packets() {
    "$SLUICECTL" -c "$TMP/$1" dump workers --json |
        python3 -c 'import json,sys; print(sum(w["native_rx_packets"] + w["native_tx_packets"] for w in json.load(sys.stdin)))'
}

spawn beta iperf3 -s -p 5201
wait_for 10 "iperf3 listens on beta" in_ns beta bash -c "ss -ltn | grep -q :5201"
for client in alpha gamma; do
    before_beta=$(expiries beta)
    before_client=$(expiries "$client")
    sessions_before=$(sessions beta)
    native_before=$(native_packets beta)
    in_ns "$client" iperf3 -c "$beta_overlay" -p 5201 -t 12 -J >"$TMP/iperf-$client.json" ||
        die "iperf3 $client -> beta failed: $(tail -c 300 "$TMP/iperf-$client.json")"
    iperf_no_stall "$TMP/iperf-$client.json"
    (($(expiries beta) >= before_beta + 2)) || die "beta did not rekey during the run"
    (($(expiries "$client") >= before_client + 2)) || die "$client did not rekey during the run"
    log "ok: $client -> beta kept flowing through $(($(expiries beta) - before_beta)) rekeys of beta and $(($(expiries "$client") - before_client)) of $client"
    if [[ $client == alpha ]]; then
        new_sessions=$(($(sessions beta) - sessions_before))
        native_moved=$(($(native_packets beta) - native_before))
        bytes=$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["end"]["sum_received"]["bytes"]))' "$TMP/iperf-$client.json")
        ((new_sessions >= 2)) || die "beta installed $new_sessions native sessions with alpha during the run"
        ((native_moved >= bytes / 1420)) || die "beta moved $native_moved native packets for $bytes bytes: not native"
        log "ok: alpha -> beta went native through $new_sessions new native sessions"
    fi
done
"$SLUICECTL" -c "$TMP/beta" dump workers
log "PASS"
