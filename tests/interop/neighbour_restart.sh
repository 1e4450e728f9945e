#!/usr/bin/env bash
# A neighbour killed with SIGKILL is detected, its edges are withdrawn everywhere and it
# becomes unreachable everywhere; restarted, it rejoins. Both kinds of neighbour are killed.
#
#    beta (tincd) 198.18.1.2 ---- 198.18.1.1 alpha (sluiced) 198.18.2.1 ---- 198.18.2.3 gamma (sluiced)
#
# Usage: neighbour_restart.sh SLUICECTL SLUICED
source "$(dirname "$0")/../netns/lib.sh"
SLUICECTL=${1:?usage: $0 SLUICECTL SLUICED}
SLUICED=${2:?usage: $0 SLUICECTL SLUICED}
require_root
require_cmd ip tincd

for n in alpha beta gamma; do make_ns "$n"; done
link alpha 198.18.1.1/24 beta 198.18.1.2/24
link alpha 198.18.2.1/24 gamma 198.18.2.3/24
node alpha sluice 198.18.1.1 198.19.0.1
node beta tinc 198.18.1.2 198.19.0.2
node gamma sluice 198.18.2.3 198.19.0.3
printf 'Address = 198.18.2.1\n' >>"$TMP/alpha/hosts/alpha"
# Short ping timers so a silent peer would be found quickly too; SIGKILL closes the socket,
# which is found at once.
for n in alpha beta gamma; do printf 'PingInterval = 5\nPingTimeout = 2\n' >>"$TMP/$n/tinc.conf"; done
share_hosts
connect_to beta alpha
connect_to gamma alpha
start alpha
start beta
start gamma
wait_for 20 "gamma sees beta" sees_reachable gamma beta
wait_for 20 "beta sees gamma" sees_reachable beta gamma

edge_gone() { ! "$SLUICECTL" -c "$TMP/$1" dump edges | grep -Eq "^$2 +$3 "; }

log "kill -9 tincd beta"
stop_hard beta
wait_for 20 "alpha sees beta unreachable" sees_unreachable alpha beta
wait_for 20 "gamma sees beta unreachable" sees_unreachable gamma beta
wait_for 10 "gamma no longer has the edge alpha -> beta" edge_gone gamma alpha beta
wait_for 10 "gamma no longer has the edge beta -> alpha" edge_gone gamma beta alpha
: >"$TMP/beta.log"
start beta
wait_for 30 "beta rejoined: gamma sees it" sees_reachable gamma beta
wait_for 30 "beta sees gamma again" sees_reachable beta gamma

log "kill -9 sluiced gamma"
stop_hard gamma
wait_for 20 "alpha sees gamma unreachable" sees_unreachable alpha gamma
wait_for 20 "beta (tinc) sees gamma unreachable" sees_unreachable beta gamma
wait_for 10 "alpha no longer has the edge gamma -> alpha" edge_gone alpha gamma alpha
: >"$TMP/gamma.log"
start gamma
wait_for 30 "gamma rejoined: beta sees it" sees_reachable beta gamma
wait_for 30 "gamma sees beta again" sees_reachable gamma beta
no_errors beta
log "PASS"
