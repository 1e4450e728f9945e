#!/usr/bin/env bash
# The quick-start demo, run by `tools/dev demo` after the build.
#
# A live mesh in three network namespaces: two Debian tincd 1.0.36 nodes whose only link
# runs through sluiced. sluicectl makes all three configurations, sluice validates them,
# sluiced joins the tinc mesh, relays the key exchange and carries a ping between the two
# tinc nodes as PACKET requests. (Once sluice-dp exists, the demo adds its UDP data path.)
#
#    alpha (tincd)  198.18.1.1 ---- 198.18.1.2  beta (sluiced)  198.18.2.2 ---- 198.18.2.3  gamma (tincd)
#    tun 198.19.0.1/24                                                            tun 198.19.0.3/24
set -euo pipefail

build=${1:?usage: demo.sh BUILD_DIR}
sluicectl="$build/tools/sluicectl"
sluiced="$build/controlplane/sluiced"
tmp=$(mktemp -d /tmp/sluice-demo.XXXXXX)
prefix="sldemo$$"
pids=()
namespaces=()

cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
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

step "sluicectl init: three nodes with RSA (tinc) and Ed25519 (sluice) keys"
for n in alpha beta gamma; do "$sluicectl" -c "$tmp/$n" init "$n" | tail -n 1; done

step "adding addresses and subnets the tinc way, and exchanging host files"
printf 'Address = 198.18.1.1\nSubnet = 198.19.0.1/32\n' >>"$tmp/alpha/hosts/alpha"
printf 'Address = 198.18.1.2\nAddress = 198.18.2.2\nSubnet = 198.19.0.2/32\n' >>"$tmp/beta/hosts/beta"
printf 'Address = 198.18.2.3\nSubnet = 198.19.0.3/32\n' >>"$tmp/gamma/hosts/gamma"
printf 'ConnectTo = beta\n' >>"$tmp/alpha/tinc.conf"
printf 'ConnectTo = beta\n' >>"$tmp/gamma/tinc.conf"
for a in alpha beta gamma; do
    for b in alpha beta gamma; do [[ $a == "$b" ]] || cp "$tmp/$b/hosts/$b" "$tmp/$a/hosts/$b"; done
done
for n in alpha gamma; do
    ip=1
    [[ $n == gamma ]] && ip=3
    printf '#!/bin/sh\nip addr add 198.19.0.%s/24 dev "$INTERFACE"\nip link set "$INTERFACE" up\n' "$ip" >"$tmp/$n/tinc-up"
    chmod +x "$tmp/$n/tinc-up"
done

step "sluicectl fsck: sluice validates beta's configuration"
"$sluicectl" -c "$tmp/beta" fsck

if [[ $(id -u) -ne 0 ]] || ! command -v tincd >/dev/null; then
    echo "demo: the live part needs root and Debian's tinc package; stopping here"
    exit 0
fi

step "three network namespaces: tincd alpha, sluiced beta, tincd gamma"
for n in alpha beta gamma; do
    ip netns add "$prefix-$n"
    namespaces+=("$prefix-$n")
    ip -n "$prefix-$n" link set lo up
done
ip link add sdemo-ab netns "$prefix-alpha" type veth peer name sdemo-ba netns "$prefix-beta"
ip link add sdemo-gb netns "$prefix-gamma" type veth peer name sdemo-bg netns "$prefix-beta"
ip -n "$prefix-alpha" addr add 198.18.1.1/24 dev sdemo-ab
ip -n "$prefix-beta" addr add 198.18.1.2/24 dev sdemo-ba
ip -n "$prefix-beta" addr add 198.18.2.2/24 dev sdemo-bg
ip -n "$prefix-gamma" addr add 198.18.2.3/24 dev sdemo-gb
ip -n "$prefix-alpha" link set sdemo-ab up
ip -n "$prefix-beta" link set sdemo-ba up
ip -n "$prefix-beta" link set sdemo-bg up
ip -n "$prefix-gamma" link set sdemo-gb up

ip netns exec "$prefix-beta" "$sluiced" -c "$tmp/beta" -D -d3 --logfile="$tmp/beta.log" &
pids+=($!)
wait_for 20 "sluiced" grep -q "Ready" "$tmp/beta.log"
for n in alpha gamma; do
    ip netns exec "$prefix-$n" tincd -c "$tmp/$n" -D -d2 --logfile="$tmp/$n.log" --pidfile="$tmp/$n.pid" &
    pids+=($!)
done
wait_for 20 "alpha's link to beta" grep -q "Connection with beta .* activated" "$tmp/alpha.log"
wait_for 20 "gamma's link to beta" grep -q "Connection with beta .* activated" "$tmp/gamma.log"
grep -h "activated" "$tmp/alpha.log" "$tmp/gamma.log"

step "ping from tincd alpha to tincd gamma, carried through sluiced"
wait_for 30 "a ping through the mesh" ip netns exec "$prefix-alpha" ping -c1 -W1 198.19.0.3
ip netns exec "$prefix-alpha" ping -c5 -i0.2 198.19.0.3

step "what sluiced sees (sluicectl dump)"
"$sluicectl" -c "$tmp/beta" dump nodes
echo
"$sluicectl" -c "$tmp/beta" dump edges
echo
"$sluicectl" -c "$tmp/beta" dump subnets
echo
"$sluicectl" -c "$tmp/beta" dump connections

step "done"
echo "sluiced joined a tinc 1.0.36 mesh and relayed traffic between two tincd nodes."
"$sluicectl" -c "$tmp/beta" stop
