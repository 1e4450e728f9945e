#!/usr/bin/env bash
# Direct UDP paths through sluice-dp: sluice-tinc and sluice-sluice, ping over IPv4 and IPv6
# overlay, iperf3 both ways, and the proof that UDP (not PACKET over TCP) carried it: the
# data plane's UDP byte counters cover what iperf3 moved.
#
#                         hub (bridge)
#        +-------------------+-------------------+
#    alpha (tincd)      beta (sluiced)      gamma (sluiced)
#    .1                 .2                  .3          underlay 198.18.0.0/24 or 2001:db8:ff::/64
#    198.19.0.1         198.19.0.2          198.19.0.3  overlay, and 2001:db8:1::1..3
#
# Meta connections: alpha -> beta, gamma -> beta. alpha and gamma talk UDP directly, without
# a meta connection between them (tinc learns gamma's address from beta's edge).
#
# Usage: direct_paths.sh SLUICECTL SLUICED ipv4|ipv6
source "$(dirname "$0")/lib.sh"
SLUICECTL=${1:?usage: $0 SLUICECTL SLUICED ipv4|ipv6}
SLUICED=${2:?usage: $0 SLUICECTL SLUICED ipv4|ipv6}
FAMILY=${3:?usage: $0 SLUICECTL SLUICED ipv4|ipv6}
require_root
require_cmd ip tincd ping iperf3 python3
DATA_PLANE=managed

if [[ $FAMILY == ipv4 ]]; then
    u() { echo "198.18.0.$1"; }
    ucidr() { echo "198.18.0.$1/24"; }
    overlay_for_iperf() { echo "198.19.0.$1"; }
else
    u() { echo "2001:db8:ff::$1"; }
    ucidr() { echo "2001:db8:ff::$1/64"; }
    overlay_for_iperf() { echo "2001:db8:1::$1"; }
fi

for n in hub alpha beta gamma; do make_ns "$n"; done
bridge hub alpha "$(ucidr 1)" beta "$(ucidr 2)" gamma "$(ucidr 3)"
node alpha tinc "$(u 1)" 198.19.0.1 2001:db8:1::1
node beta sluice "$(u 2)" 198.19.0.2 2001:db8:1::2
node gamma sluice "$(u 3)" 198.19.0.3 2001:db8:1::3
share_hosts
connect_to alpha beta
connect_to gamma beta
# IPv6 underlay addresses need duplicate address detection to finish before they can be used.
for n in alpha beta gamma; do
    wait_for 10 "$n's underlay address is usable" bash -c "! ip -n $(ns "$n") addr show tentative | grep -q inet6"
done
start beta
start gamma
start alpha

for a in alpha beta gamma; do
    for b in alpha beta gamma; do
        [[ $a == "$b" ]] && continue
        wait_for 30 "$a sees $b reachable" sees_reachable "$a" "$b"
    done
done

for a in alpha beta gamma; do
    for b in 1 2 3; do
        [[ $a == alpha && $b == 1 || $a == beta && $b == 2 || $a == gamma && $b == 3 ]] && continue
        wait_for 20 "ping $a -> 198.19.0.$b" in_ns "$a" ping -c1 -W1 "198.19.0.$b"
        wait_for 20 "ping $a -> 2001:db8:1::$b" in_ns "$a" ping -c1 -W1 "2001:db8:1::$b"
    done
done
# tincd asks for a key only when it has a packet to send, so keys are checked after the pings.
for a in alpha beta gamma; do
    for b in alpha beta gamma; do
        [[ $a == "$b" ]] || wait_for 30 "$a has a key for $b" has_key "$a" "$b"
    done
done
# tincd sends every frame larger than its discovered path MTU over TCP (spec 5.6): wait for
# its discovery to finish before measuring which path carries the traffic.
wait_for 60 "alpha fixed its path MTU to beta" fixed_mtu alpha beta
wait_for 60 "alpha fixed its path MTU to gamma" fixed_mtu alpha gamma
# sluice-dp discovers path MTUs the same way (sluiced logs the result).
for a in beta gamma; do
    for b in alpha beta gamma; do
        [[ $a == "$b" ]] || wait_for 60 "$a fixed its path MTU to $b" fixed_mtu "$a" "$b"
    done
done

# udp_bytes NODE: UDP bytes the node's data plane received plus sent, over all workers.
udp_bytes() {
    "$SLUICECTL" -c "$TMP/$1" dump workers --json |
        python3 -c 'import json,sys; print(sum(w["rx_bytes"] + w["tx_bytes"] for w in json.load(sys.stdin)))'
}

# native_packets NODE: native packets the node's data plane opened plus sealed.
native_packets() {
    "$SLUICECTL" -c "$TMP/$1" dump workers --json |
        python3 -c 'import json,sys; print(sum(w["native_rx_packets"] + w["native_tx_packets"] for w in json.load(sys.stdin)))'
}
# has_native NODE PEER: NODE seals packets to PEER with a native session.
has_native() {
    "$SLUICECTL" -c "$TMP/$1" dump peers --json |
        python3 -c 'import json,sys; sys.exit(0 if any(p["name"] == sys.argv[1] and "lanes" in (p["native"] or "") for p in json.load(sys.stdin)) else 1)' "$2"
}
# The two sluice nodes agree native sessions (SLUICE-KX1 in REQ_KEY, docs/protocol.md); the
# tinc node gets none and relays nothing of it.
wait_for 30 "beta has a native session with gamma" has_native beta gamma
wait_for 30 "gamma has a native session with beta" has_native gamma beta
! has_native beta alpha || die "beta claims a native session with tincd"
"$SLUICECTL" -c "$TMP/beta" dump peers

spawn beta iperf3 -s -p 5201
spawn gamma iperf3 -s -p 5201
wait_for 10 "iperf3 listens on beta" in_ns beta bash -c "ss -ltn | grep -q :5201"
wait_for 10 "iperf3 listens on gamma" in_ns gamma bash -c "ss -ltn | grep -q :5201"

# transfer CLIENT SERVER_NUMBER DIRECTION_FLAG: 10 s of iperf3; prints the bytes moved.
transfer() {
    local client=$1 server=$2 flag=${3:-}
    in_ns "$client" iperf3 -c "$(overlay_for_iperf "$server")" -p 5201 -t 10 -J $flag >"$TMP/iperf.json" ||
        die "iperf3 from $client to node $server ($flag) failed: $(tail -c 400 "$TMP/iperf.json")"
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(int(d["end"]["sum_received"]["bytes"]), int(d["end"]["sum_received"]["bits_per_second"]/1e6))' "$TMP/iperf.json"
}

# check_udp_carried NODE BEFORE MOVED: NODE's UDP counters grew by at least MOVED bytes.
check_udp_carried() {
    local node=$1 before=$2 moved=$3 after
    after=$(udp_bytes "$node")
    ((after - before >= moved)) || die "$node's data plane moved $((after - before)) UDP bytes for $moved bytes of iperf3: not UDP"
}

for pair in "gamma 2" "alpha 2"; do
    set -- $pair
    client=$1 server=$2
    for flag in "" "-R"; do
        before=$(udp_bytes beta)
        native_before=$(native_packets beta)
        # Forward, the client sends to beta (beta's rx from it); with -R beta sends (tx to it).
        peer_field=rx_bytes
        [[ -z $flag ]] || peer_field=tx_bytes
        peer_before=$(peer_stat beta "$client" "$peer_field")
        read -r bytes mbits < <(transfer "$client" "$server" "$flag")
        ((bytes > 0)) || die "iperf3 $client -> beta $flag moved nothing"
        check_udp_carried beta "$before" "$bytes"
        # sluicectl stats attributes the bytes to the peer, and saw it recently.
        peer_after=$(peer_stat beta "$client" "$peer_field")
        ((peer_after - peer_before >= bytes)) || {
            "$SLUICECTL" -c "$TMP/beta" stats
            die "beta's stats show $((peer_after - peer_before)) $peer_field for $client after iperf3 moved $bytes bytes"
        }
        age=$(peer_stat beta "$client" last_rx_age_s)
        python3 -c 'import sys; sys.exit(0 if sys.argv[1] != "null" and float(sys.argv[1]) < 5 else 1)' "$age" ||
            die "beta last heard from $client $age s ago, right after iperf3"
        stats_consistent beta || die "beta's per-peer counters exceed its workers'"
        native_moved=$(($(native_packets beta) - native_before))
        # Between sluice nodes the native format carries the data: at least one native packet
        # per 1420 bytes moved (the tunnel MTU); with tincd none at all.
        if [[ $client == gamma ]]; then
            ((native_moved >= bytes / 1420)) || {
                "$SLUICECTL" -c "$TMP/beta" dump workers
                "$SLUICECTL" -c "$TMP/gamma" dump workers
                "$SLUICECTL" -c "$TMP/gamma" dump peers
                die "beta moved $native_moved native packets for $bytes bytes from gamma: not the native format"
            }
            format="native"
        else
            ((native_moved == 0)) || die "beta moved $native_moved native packets with tincd"
            format="legacy"
        fi
        log "ok: iperf3 $client <-> beta ${flag:-(forward)}: $mbits Mbit/s over UDP, $format format ($FAMILY underlay)"
    done
done

"$SLUICECTL" -c "$TMP/beta" dump workers
"$SLUICECTL" -c "$TMP/beta" stats
no_errors alpha
log "PASS"
