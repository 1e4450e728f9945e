#!/usr/bin/env bash
# sluiced and Debian's tincd 1.0.36 form a link in both directions and agree on the graph.
#
#    ns alpha (sluiced) 198.18.0.1 ---- veth ---- 198.18.0.2 ns beta (tincd)
#    case 1: alpha ConnectTo beta;  case 2 (after both restart): beta ConnectTo alpha
#
# Usage: meta_direct.sh SLUICECTL SLUICED
source "$(dirname "$0")/../netns/lib.sh"
SLUICECTL=${1:?usage: $0 SLUICECTL SLUICED}
SLUICED=${2:?usage: $0 SLUICECTL SLUICED}
require_root
require_cmd ip tincd

make_ns alpha
make_ns beta
link alpha 198.18.0.1/24 beta 198.18.0.2/24
node alpha sluice 198.18.0.1 198.19.0.1
node beta tinc 198.18.0.2 198.19.0.2
printf 'Subnet = 2001:db8:1::/48\n' >>"$TMP/alpha/hosts/alpha"
share_hosts
# sluiced runs tinc's scripts with tinc's environment; each one logs what it was given.
for script in tinc-up tinc-down host-up host-down subnet-up subnet-down hosts/beta-up; do
    cat >"$TMP/alpha/$script" <<'SCRIPT'
#!/bin/sh
echo "$(basename "$0") NETNAME=$NETNAME NAME=$NAME NODE=$NODE SUBNET=$SUBNET WEIGHT=$WEIGHT REMOTEADDRESS=$REMOTEADDRESS REMOTEPORT=$REMOTEPORT" >>"$(dirname "$0")/scripts.log"
SCRIPT
    chmod +x "$TMP/alpha/$script"
done
# hosts/beta-up runs from the configuration directory like the others.
sed -i 's|"$(dirname "$0")/scripts.log"|"$PWD/scripts.log"|' "$TMP/alpha/hosts/beta-up"

check_scripts() {
    local log="$TMP/alpha/scripts.log"
    wait_for 10 "tinc-up ran with NAME" grep -q "^tinc-up NETNAME= NAME=alpha " "$log"
    wait_for 10 "subnet-up ran for alpha's own subnet" grep -q "^subnet-up .*NODE=alpha SUBNET=198.19.0.1/32 WEIGHT=10 " "$log"
    wait_for 10 "host-up ran for beta with its address" grep -q "^host-up .*NODE=beta .*REMOTEADDRESS=198.18.0.2 REMOTEPORT=655" "$log"
    wait_for 10 "hosts/beta-up ran" grep -q "^beta-up .*NODE=beta" "$log"
    wait_for 10 "subnet-up ran for beta's subnet" grep -q "^subnet-up .*NODE=beta SUBNET=198.19.0.2/32 WEIGHT=10 REMOTEADDRESS=198.18.0.2" "$log"
}

check_agreement() {
    wait_for 20 "alpha (sluice) sees beta (tinc) reachable" sees_reachable alpha beta
    wait_for 20 "beta (tinc) sees alpha (sluice) reachable" sees_reachable beta alpha
    wait_for 10 "alpha knows beta's subnet" knows_subnet alpha beta 198.19.0.2/32
    wait_for 10 "beta knows alpha's IPv4 subnet" knows_subnet beta alpha 198.19.0.1/32
    wait_for 10 "beta knows alpha's IPv6 subnet in tinc's form" knows_subnet beta alpha 2001:db8:1:0:0:0:0:0/48
    wait_for 10 "alpha has beta's session key (unsolicited ANS_KEY)" has_key alpha beta
    wait_for 10 "beta has alpha's session key" has_key beta alpha
    "$SLUICECTL" -c "$TMP/alpha" dump nodes
    "$SLUICECTL" -c "$TMP/alpha" dump edges
    "$SLUICECTL" -c "$TMP/alpha" dump connections | grep -q "beta .*active" || die "alpha's connection to beta is not active"
    no_errors alpha beta
}

log "case 1: sluiced connects to tincd"
connect_to alpha beta
start beta
start alpha
check_agreement
check_scripts

log "case 2: tincd connects to sluiced"
"$SLUICECTL" -c "$TMP/alpha" stop
wait_for 10 "sluiced stopped and removed its pid file" test ! -e "$TMP/alpha/sluiced.pid"
wait_for 10 "tincd saw the DEL_EDGE of the clean shutdown" sees_unreachable beta alpha
wait_for 10 "host-down ran for beta at shutdown" grep -q "^host-down .*NODE=beta" "$TMP/alpha/scripts.log"
wait_for 10 "tinc-down ran last" bash -c "tail -n 1 '$TMP/alpha/scripts.log' | grep -q '^tinc-down '"
stop_hard beta
sed -i '/^ConnectTo/d' "$TMP/alpha/tinc.conf"
connect_to beta alpha
: >"$TMP/alpha.log"
: >"$TMP/beta.log"
start alpha
start beta
check_agreement
log "PASS"
