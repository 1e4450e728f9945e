#!/usr/bin/env bash
# The quick-start demo, run by `tools/dev demo` after the build.
#
# A live mesh in three network namespaces on one segment: two sluice nodes (sluiced with its
# packet engine sluice-dp) and one Debian tincd 1.0.36. sluicectl makes all three
# configurations, the mesh forms over the tinc protocol, then ping and a short iperf3 run
# cross it over UDP, and the demo prints what each side saw.
#
#                        segment 198.18.0.0/24 (a bridge in its own namespace)
#        +------------------------+------------------------+
#    alpha (sluiced)          beta (sluiced)           gamma (tincd 1.0.36)
#    198.18.0.1               198.18.0.2               198.18.0.3
#    overlay 198.19.0.1       198.19.0.2               198.19.0.3
set -euo pipefail

build=${1:?usage: demo.sh BUILD_DIR [--keep]}
keep=false
[[ ${2:-} == --keep ]] && keep=true
sluicectl="$build/tools/sluicectl"
sluiced="$build/controlplane/sluiced"
tmp=$(mktemp -d /tmp/sluice-demo.XXXXXX)
prefix="sldemo$$"
pids=()
namespaces=()

cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$p" 2>/dev/null || true
    done
    # The sluice-dp processes our sluiced started (sluiced stops them on a clean exit).
    for f in "$tmp"/*.log; do
        [[ -f $f ]] || continue
        for p in $(sed -n 's/.*Started sluice-dp .*, pid \([0-9]*\).*/\1/p' "$f"); do kill "$p" 2>/dev/null || true; done
    done
    for n in "${namespaces[@]}"; do ip netns delete "$n" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
wait_for() {
    local timeout=$1 what=$2
    shift 2
    local deadline=$((SECONDS + timeout))
    until "$@" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)); then
            echo "demo: timed out waiting for $what" >&2
            for f in "$tmp"/*.log; do echo "--- $f"; tail -n 20 "$f"; done >&2
            return 1
        fi
        sleep 0.1
    done
}
in_ns() {
    local n=$1
    shift
    ip netns exec "$prefix-$n" "$@"
}

step "sluicectl init: three nodes with RSA (tinc) and Ed25519 (sluice) keys"
for n in alpha beta gamma; do "$sluicectl" -c "$tmp/$n" init "$n" | tail -n 1; done

step "addresses and subnets the tinc way; host files exchanged; tinc-up scripts"
i=0
for n in alpha beta gamma; do
    i=$((i + 1))
    printf 'Address = 198.18.0.%s\nSubnet = 198.19.0.%s/32\n' "$i" "$i" >>"$tmp/$n/hosts/$n"
    printf '#!/bin/sh\nip addr add 198.19.0.%s/24 dev "$INTERFACE"\nip link set "$INTERFACE" up\n' "$i" >"$tmp/$n/tinc-up"
    chmod +x "$tmp/$n/tinc-up"
done
printf 'ConnectTo = beta\n' >>"$tmp/alpha/tinc.conf"
printf 'ConnectTo = beta\n' >>"$tmp/gamma/tinc.conf"
for a in alpha beta gamma; do
    for b in alpha beta gamma; do [[ $a == "$b" ]] || cp "$tmp/$b/hosts/$b" "$tmp/$a/hosts/$b"; done
done

step "sluicectl fsck: sluice validates the sluice nodes' configurations"
"$sluicectl" -c "$tmp/alpha" fsck
"$sluicectl" -c "$tmp/beta" fsck

if [[ $(id -u) -ne 0 ]] || ! command -v tincd >/dev/null; then
    echo "demo: the live part needs root and Debian's tinc package; stopping here"
    exit 0
fi

step "four network namespaces: a bridge, sluiced alpha, sluiced beta, tincd gamma"
for n in hub alpha beta gamma; do
    ip netns add "$prefix-$n"
    namespaces+=("$prefix-$n")
    ip -n "$prefix-$n" link set lo up
done
ip -n "$prefix-hub" link add br0 type bridge
ip -n "$prefix-hub" link set br0 up
i=0
for n in alpha beta gamma; do
    i=$((i + 1))
    ip link add "sdemo-h$i" netns "$prefix-hub" type veth peer name "sdemo-n$i" netns "$prefix-$n"
    ip -n "$prefix-hub" link set "sdemo-h$i" master br0 up
    ip -n "$prefix-$n" addr add "198.18.0.$i/24" dev "sdemo-n$i"
    ip -n "$prefix-$n" link set "sdemo-n$i" up
done

for n in beta alpha; do
    ip netns exec "$prefix-$n" "$sluiced" -c "$tmp/$n" -D -d5 --logfile="$tmp/$n.log" &
    pids+=($!)
    wait_for 20 "sluiced $n" grep -q "Ready" "$tmp/$n.log"
done
grep -h "Data plane attached" "$tmp/alpha.log" "$tmp/beta.log"
ip netns exec "$prefix-gamma" tincd -c "$tmp/gamma" -D -d5 --logfile="$tmp/gamma.log" --pidfile="$tmp/gamma.pid" &
pids+=($!)
wait_for 20 "gamma's link to beta" grep -q "Connection with beta .* activated" "$tmp/gamma.log"
reachable() { "$sluicectl" -c "$tmp/$1" dump nodes --json | grep -q "\"name\": \"$2\", \"reachable\": true"; }
wait_for 20 "alpha sees gamma" reachable alpha gamma
wait_for 20 "beta sees alpha" reachable beta alpha

step "ping across the mesh: sluice -> sluice, sluice -> tinc, tinc -> sluice"
wait_for 30 "alpha reaches beta" in_ns alpha ping -c1 -W1 198.19.0.2
wait_for 30 "alpha reaches gamma" in_ns alpha ping -c1 -W1 198.19.0.3
wait_for 30 "gamma reaches alpha" in_ns gamma ping -c1 -W1 198.19.0.1
in_ns alpha ping -c3 -i0.2 198.19.0.2 | tail -n 2
in_ns alpha ping -c3 -i0.2 198.19.0.3 | tail -n 2
in_ns gamma ping -c3 -i0.2 198.19.0.1 | tail -n 2

step "iperf3 for 3 s: sluice alpha -> sluice beta, then tincd gamma -> sluice beta"
ip netns exec "$prefix-beta" iperf3 -s -p 5201 >/dev/null 2>&1 &
pids+=($!)
wait_for 10 "iperf3 on beta" in_ns beta bash -c "ss -ltn | grep -q :5201"
# tincd sends frames above its discovered path MTU over TCP; let its discovery settle first.
wait_for 60 "gamma's path MTU to beta" grep -q "Fixing MTU of beta" "$tmp/gamma.log"
wait_for 60 "alpha's path MTU to beta" grep -q "Fixing MTU of beta" "$tmp/alpha.log"
# The two sluice nodes agree a native session (SLUICE-KX1 inside REQ_KEY) a few seconds in.
wait_for 30 "alpha's native session with beta" bash -c \
    "'$sluicectl' -c '$tmp/alpha' dump peers | grep -E '^beta .*lanes'"
# rx_bytes_from NODE PEER: bytes of the datagrams NODE authenticated as PEER's (stats --json).
rx_bytes_from() {
    "$sluicectl" -c "$tmp/$1" stats --json | python3 -c '
import json, sys
peer = [p for p in json.load(sys.stdin)["peers"] if p["name"] == sys.argv[1]][0]
print(peer["rx_bytes"])' "$2"
}
# iperf_run CLIENT: 3 s of iperf3 from CLIENT to beta; prints its summary and compares the
# bytes it moved with what beta's stats say it received from CLIENT.
iperf_run() {
    local before after moved mbits retransmits
    before=$(rx_bytes_from beta "$1")
    in_ns "$1" iperf3 -c 198.19.0.2 -p 5201 -t 3 -J >"$tmp/iperf-$1.json"
    after=$(rx_bytes_from beta "$1")
    read -r moved mbits retransmits < <(python3 -c '
import json, sys
end = json.load(open(sys.argv[1]))["end"]
print(end["sum_received"]["bytes"], round(end["sum_received"]["bits_per_second"] / 1e6),
      end["sum_sent"].get("retransmits", 0))' "$tmp/iperf-$1.json")
    echo "$1 -> beta: $mbits Mbit/s over 3 s, $retransmits retransmits"
    echo "  iperf3 delivered $moved bytes of TCP payload; beta's stats count $((after - before)) bytes of" \
        "datagrams received from $1 meanwhile (tunnel and TCP/IP headers included)"
    ((after - before >= moved)) || { echo "demo: beta's stats counted fewer bytes than iperf3 moved" >&2; return 1; }
}
iperf_run alpha
iperf_run gamma

step "what the sluice nodes see (sluicectl dump)"
"$sluicectl" -c "$tmp/beta" dump nodes
echo
"$sluicectl" -c "$tmp/beta" dump subnets
echo
"$sluicectl" -c "$tmp/beta" dump connections
echo
echo "how beta's data plane reaches each node (path, path MTU, legacy key ids, native session):"
"$sluicectl" -c "$tmp/beta" dump peers
echo
echo "beta's data-plane workers (UDP, native and TUN counters, drops by reason):"
"$sluicectl" -c "$tmp/beta" dump workers

step "monitoring: sluicectl stats, top, metrics, info and dump graph"
"$sluicectl" -c "$tmp/beta" stats
echo
echo "sluicectl top at beta over one second of iperf3 from alpha (on a terminal it redraws in"
echo "place until q):"
in_ns alpha iperf3 -c 198.19.0.2 -p 5201 -t 2 >/dev/null &
iperf=$!
"$sluicectl" -c "$tmp/beta" top --once -d 1
wait "$iperf"
echo
echo "a few of beta's Prometheus metrics (sluicectl metrics; MetricsAddress serves them over HTTP):"
"$sluicectl" -c "$tmp/beta" metrics | grep -E '^sluice_peer_(rx_bytes_total|info)'
echo
echo "where alpha sends packets for gamma's address (sluicectl info 198.19.0.3):"
"$sluicectl" -c "$tmp/alpha" info 198.19.0.3
mkdir -p "$build/demo"
"$sluicectl" -c "$tmp/beta" dump graph >"$build/demo/mesh.dot"
if command -v dot >/dev/null; then
    dot -Tsvg "$build/demo/mesh.dot" -o "$build/demo/mesh.svg"
    echo
    echo "beta's view of the mesh, drawn by Graphviz: $build/demo/mesh.svg (DOT: $build/demo/mesh.dot)"
fi

if $keep; then
    step "the mesh stays up until Ctrl-C"
    cat <<EOT
Look at it from another terminal, for example:
  $sluicectl -c $tmp/beta top
  $sluicectl -c $tmp/beta stats --json
  $sluicectl -c $tmp/alpha dump peers
  ip netns exec $prefix-alpha ping 198.19.0.3
  ip netns exec $prefix-alpha iperf3 -c 198.19.0.2 -t 30
EOT
    trap 'echo; echo "demo: stopping"; exit 0' INT TERM
    while sleep 1; do :; done
fi

step "done"
echo "Two sluice nodes and a tincd 1.0.36 formed one mesh; ping and iperf3 crossed it over UDP:"
echo "sluice's native AEAD format between alpha and beta, tinc's legacy format with gamma."
"$sluicectl" -c "$tmp/alpha" stop
"$sluicectl" -c "$tmp/beta" stop
