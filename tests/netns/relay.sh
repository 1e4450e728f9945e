#!/usr/bin/env bash
# Relaying: A and C cannot reach each other's underlay; B, linked to both, carries their
# traffic. Run for sluice and tinc in each role (ROLES is three letters, s = sluice,
# t = tincd 1.0.36, for A, B and C). UDP to C fails for A (no route), so A's PMTU probes to C
# never come back and A sends C's frames to its next hop B, which routes them on (tinc's
# "relay through nexthop"; sluice-dp does the same on both ends).
#
#    A  198.18.1.1 ---- 198.18.1.2  B  198.18.2.2 ---- 198.18.2.3  C
#    overlay 198.19.0.1             198.19.0.2                    198.19.0.3 (+ 2001:db8:1::1..3)
#
# Meta connections A -> B and C -> B. B does not forward IP between its links.
# With three sluice nodes (sss) A's operator views are checked too: `dump graph` must render
# with Graphviz and show C relayed through B; `info` for a node, a subnet and an address.
#
# FAMILY (ipv4 or ipv6) is the underlay's address family; the IPv6 underlay uses
# 2001:db8:f1::/64 and 2001:db8:f2::/64 for the two links, and iperf3 then runs over the IPv6
# overlay (pings cover both overlays in either case).
#
# Usage: relay.sh SLUICECTL SLUICED ROLES [FAMILY]
source "$(dirname "$0")/lib.sh"
SLUICECTL=${1:?usage: $0 SLUICECTL SLUICED ROLES [ipv4|ipv6]}
SLUICED=${2:?usage: $0 SLUICECTL SLUICED ROLES [ipv4|ipv6]}
ROLES=${3:?usage: $0 SLUICECTL SLUICED ROLES [ipv4|ipv6]}
FAMILY=${4:-ipv4}
require_root
require_cmd ip tincd ping iperf3 python3
[[ $ROLES != sss ]] || require_cmd dot
DATA_PLANE=managed
kind() { [[ ${ROLES:$1:1} == s ]] && echo sluice || echo tinc; }

# u LINK HOST: the underlay address of HOST on link LINK (1: a-b, 2: b-c).
if [[ $FAMILY == ipv4 ]]; then
    u() { echo "198.18.$1.$2"; }
    plen=24
    iperf_target=198.19.0.3
else
    u() { echo "2001:db8:f$1::$2"; }
    plen=64
    iperf_target=2001:db8:1::3
fi
for n in a b c; do make_ns "$n"; done
link a "$(u 1 1)/$plen" b "$(u 1 2)/$plen"
link b "$(u 2 2)/$plen" c "$(u 2 3)/$plen"
node a "$(kind 0)" "$(u 1 1)" 198.19.0.1 2001:db8:1::1
node b "$(kind 1)" "$(u 1 2)" 198.19.0.2 2001:db8:1::2
node c "$(kind 2)" "$(u 2 3)" 198.19.0.3 2001:db8:1::3
printf 'Address = %s\n' "$(u 2 2)" >>"$TMP/b/hosts/b"
if [[ $FAMILY == ipv6 ]]; then
    # Duplicate address detection must finish before the addresses can be used.
    for n in a b c; do
        wait_for 10 "$n's underlay address is usable" bash -c "! ip -n $(ns "$n") addr show tentative | grep -q inet6"
    done
fi
share_hosts
connect_to a b
connect_to c b
[[ $(in_ns b sysctl -n net.ipv4.ip_forward) == 0 ]] || die "b forwards IPv4: the scenario would not test relaying"
[[ $(in_ns b sysctl -n net.ipv6.conf.all.forwarding) == 0 ]] || die "b forwards IPv6: the scenario would not test relaying"
start b
start a
start c
wait_for 30 "a sees c reachable" sees_reachable a c
wait_for 30 "c sees a reachable" sees_reachable c a

for target in 198.19.0.3 2001:db8:1::3; do
    wait_for 30 "ping a -> $target through b" in_ns a ping -c1 -W1 "$target"
done
for target in 198.19.0.1 2001:db8:1::1; do
    wait_for 30 "ping c -> $target through b" in_ns c ping -c1 -W1 "$target"
done
in_ns a ping -c5 -i0.2 198.19.0.3 | tail -n 2
# Until path MTU discovery settles, frames above the confirmed size travel as PACKET over the
# meta connections (tinc and sluice alike): wait for each hop to fix its MTU before measuring.
wait_for 60 "a fixed its path MTU to b" fixed_mtu a b
wait_for 60 "c fixed its path MTU to b" fixed_mtu c b
wait_for 60 "b fixed its path MTU to a" fixed_mtu b a
wait_for 60 "b fixed its path MTU to c" fixed_mtu b c

spawn c iperf3 -s -p 5201
wait_for 10 "iperf3 listens on c" in_ns c bash -c "ss -ltn | grep -q :5201"
in_ns a iperf3 -c "$iperf_target" -p 5201 -t 3 -J >"$TMP/iperf.json" || die "iperf3 a -> c failed"
mbits=$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]/1e6))' "$TMP/iperf.json")
((mbits > 0)) || die "iperf3 a -> c moved nothing"
log "ok: iperf3 a -> $iperf_target through b: $mbits Mbit/s (roles $ROLES, $FAMILY underlay)"
if [[ $(kind 0) == sluice ]]; then
    "$SLUICECTL" -c "$TMP/a" dump peers
    "$SLUICECTL" -c "$TMP/a" dump peers --json | grep -q '"name": "c", "node_id": [0-9]*, "path": "udp via b' ||
        die "a's data plane does not send c's packets through b"
fi
if [[ $(kind 1) == sluice ]]; then
    "$SLUICECTL" -c "$TMP/b" dump workers
    relayed=$("$SLUICECTL" -c "$TMP/b" dump workers --json |
        python3 -c 'import json,sys; w=json.load(sys.stdin); print(min(sum(x["rx_bytes"] for x in w), sum(x["tx_bytes"] for x in w)))')
    ((relayed > 1000000)) || die "b's sluice-dp relayed only $relayed bytes over UDP"
fi
if [[ $ROLES == sss ]]; then
    # The operator's views on a: the mesh as DOT, which Graphviz must render, showing c reached
    # through b; and `info` for a node, a subnet and an address.
    "$SLUICECTL" -c "$TMP/a" dump graph | tee "$TMP/graph.dot"
    dot -Tsvg "$TMP/graph.dot" >/dev/null || die "Graphviz cannot render a's dump graph"
    for want in '"a" [label="a\nthis node"' '"b" [label="b\nudp"' '"c" [label="c\nudp via b' \
        '"a" -> "b" [dir=both' '"b" -> "c" [dir=both' '"c" -> "b" [style=dashed'; do
        grep -qF "$want" "$TMP/graph.dot" || die "a's dump graph lacks $want"
    done
    log "ok: dump graph renders and shows c relayed through b"
    # expect_info WHAT ERE...: `sluicectl info WHAT` on a has a whole line matching each ERE.
    expect_info() {
        local what=$1 out re
        shift
        out=$("$SLUICECTL" -c "$TMP/a" info "$what") || die "sluicectl info $what failed"
        printf '%s\n' "$out"
        for re in "$@"; do
            grep -qxE -- "$re" <<<"$out" || die "info $what: no line matching $re"
        done
    }
    expect_info c 'node: c' 'reachable: yes' "address: $(u 2 3 | sed 's/\./\\./g') port 655" 'nexthop: b' \
        'path: UDP through relay b.*' 'distance: 2' 'hops: a -> b -> c' 'edge: b address .* weight [0-9]+ .*' \
        'subnet: 198\.19\.0\.3/32 weight 10' 'subnet: 2001:db8:1::3/128 weight 10' 'key_valid: yes' \
        'in_key: [0-9]+' 'out_key: [0-9]+' 'pmtu: .*' 'native: .*'
    expect_info 2001:db8:1::3/128 'subnet: 2001:db8:1::3/128' \
        'match: 2001:db8:1::3/128 weight 10 owner c \(reachable\)' 'owner: c' 'path: UDP through relay b.*'
    expect_info 198.19.0.2 'address: 198\.19\.0\.2' 'route: 198\.19\.0\.2/32 weight 10 owner b' \
        'path: direct UDP'
    expect_info 198.19.0.0/24 'match: none' 'route: none .*'
    err=$("$SLUICECTL" -c "$TMP/a" info nosuchnode 2>&1) && die "info of an unknown node succeeded"
    grep -q 'unknown node "nosuchnode"' <<<"$err" || die "info nosuchnode: $err"
    log "ok: info for a node, a subnet and an address"
fi
log "PASS"
