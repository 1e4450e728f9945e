#!/usr/bin/env bash
# Two tincd nodes whose only link runs through sluiced reach each other: sluiced (no data
# plane, so it announces TCPOnly) carries their frames as PACKET requests and forwards them
# by subnet.
#
#    alpha (tincd)  198.18.1.1 ---- 198.18.1.2  beta (sluiced)  198.18.2.2 ---- 198.18.2.3  gamma (tincd)
#    tun 198.19.0.1/24                                                           tun 198.19.0.3/24
#
# alpha and gamma have no route to each other's underlay: only the meta links exist.
#
# Usage: packet_relay.sh SLUICECTL SLUICED
source "$(dirname "$0")/../netns/lib.sh"
SLUICECTL=${1:?usage: $0 SLUICECTL SLUICED}
SLUICED=${2:?usage: $0 SLUICECTL SLUICED}
require_root
require_cmd ip tincd ping

for n in alpha beta gamma; do make_ns "$n"; done
link alpha 198.18.1.1/24 beta 198.18.1.2/24
link beta 198.18.2.2/24 gamma 198.18.2.3/24
node alpha tinc 198.18.1.1 198.19.0.1
node beta sluice 198.18.1.2 198.19.0.2
node gamma tinc 198.18.2.3 198.19.0.3
# beta is reached at its address on each side.
printf 'Address = 198.18.2.2\n' >>"$TMP/beta/hosts/beta"
share_hosts
connect_to alpha beta
connect_to gamma beta
start beta
start alpha
start gamma
wait_for 20 "alpha sees gamma reachable" sees_reachable alpha gamma
wait_for 20 "gamma sees alpha reachable" sees_reachable gamma alpha
wait_for 30 "ping from alpha to gamma through sluiced" in_ns alpha ping -c1 -W1 198.19.0.3
in_ns alpha ping -c5 -i0.2 198.19.0.3
in_ns gamma ping -c3 -i0.2 198.19.0.1
grep -q "TCPOnly" "$TMP/beta.log" || die "sluiced did not say it announces TCPOnly"
no_errors alpha gamma
log "PASS"
