#!/usr/bin/env bash
# The metrics endpoint: alpha serves GET /metrics on 127.0.0.1:9100 inside its namespace
# (MetricsAddress). promtool must accept what it serves and what `sluicectl metrics` prints;
# after a ping the counters must show it. Requests other than GET /metrics get 404, 405 or
# 400, and a client that sends nothing is closed at the read timeout. beta first tries a
# MetricsAddress whose port is taken: a start-up error that names the address. alpha gets
# beta's host file only after it started, and must take beta's connection all the same.
#
#          hub (bridge)
#       +---------------+
#   alpha (sluiced)   beta (sluiced, ConnectTo = alpha)
#   198.18.0.1        198.18.0.2        underlay
#   198.19.0.1        198.19.0.2        overlay
#
# Usage: metrics.sh SLUICECTL SLUICED
source "$(dirname "$0")/lib.sh"
SLUICECTL=${1:?usage: $0 SLUICECTL SLUICED}
SLUICED=${2:?usage: $0 SLUICECTL SLUICED}
require_root
require_cmd ip ping python3 promtool
DATA_PLANE=managed
PORT=9100

for n in hub alpha beta; do make_ns "$n"; done
bridge hub alpha 198.18.0.1/24 beta 198.18.0.2/24
node alpha sluice 198.18.0.1 198.19.0.1
node beta sluice 198.18.0.2 198.19.0.2
share_hosts
connect_to beta alpha
printf 'MetricsAddress = 127.0.0.1:%s\n' "$PORT" >>"$TMP/alpha/tinc.conf"

# http NS METHOD PATH [RAW]: sends one request to 127.0.0.1:PORT from inside namespace NS
# (RAW: these bytes instead of a request line) and prints the response as it came.
http() {
    in_ns "$1" python3 - "$PORT" "$2" "$3" "${4:-}" <<'PY'
import socket, sys
port, method, path, raw = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
request = raw.encode() if raw else f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
    s.sendall(request)
    data = b""
    while chunk := s.recv(65536):
        data += chunk
sys.stdout.write(data.decode())
PY
}

log "--- a MetricsAddress whose port is taken is a start-up error"
printf 'MetricsAddress = 127.0.0.1:%s\n' "$PORT" >>"$TMP/beta/tinc.conf"
ip netns exec "$(ns beta)" python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen()
print("bound", flush=True); time.sleep(120)' "$PORT" >"$TMP/squatter.out" &
PIDS+=("$!")
wait_for 10 "port $PORT is taken in beta" grep -q bound "$TMP/squatter.out"
status=0
timeout 20 ip netns exec "$(ns beta)" "$SLUICED" -c "$TMP/beta" -D -d5 --logfile="$TMP/beta-refused.log" \
    2>"$TMP/beta-refused.err" || status=$?
((status != 0 && status != 124)) || die "sluiced started although port $PORT was taken (status $status)"
grep -q "MetricsAddress = 127.0.0.1:$PORT: bind 127.0.0.1 port $PORT: Address already in use" \
    "$TMP/beta-refused.err" "$TMP/beta-refused.log" || die "unclear start-up error: $(cat "$TMP/beta-refused.err")"
log "ok: $(grep -h MetricsAddress "$TMP/beta-refused.err" "$TMP/beta-refused.log" | tail -n 1)"
sed -i '/^MetricsAddress/d' "$TMP/beta/tinc.conf"

# alpha starts without beta's host file, which arrives afterwards: like tincd, alpha reads it
# when beta connects, with no reload.
mv "$TMP/alpha/hosts/beta" "$TMP/hosts-beta.later"
# alpha's workers read the TUN queue with plain reads, the path of kernels before 6.7 (beta's
# use the multishot read): the pings below cross both.
SLUICE_DP_TUN_READS=plain start alpha
mv "$TMP/hosts-beta.later" "$TMP/alpha/hosts/beta"
start beta
wait_for 20 "alpha sees beta" sees_reachable alpha beta
wait_for 20 "ping alpha -> beta" in_ns alpha ping -c1 -W1 198.19.0.2
wait_for 20 "ping beta -> alpha" in_ns beta ping -c1 -W1 198.19.0.1
wait_for 60 "alpha fixed its path MTU to beta" fixed_mtu alpha beta
in_ns beta ping -c3 -i0.2 -W1 198.19.0.1 >/dev/null || die "ping beta -> alpha failed"

# sample FILE SERIES: the value of one series (name with labels, as printed) in FILE.
sample() { awk -v s="$2" '$1 == s { print $2 }' "$1"; }
# rx_packets FILE: UDP datagrams received by all of alpha's workers.
rx_packets() { awk '$1 ~ /^sluice_worker_rx_packets_total\{/ { n += $2 } END { print n + 0 }' "$1"; }
# peer_settled: alpha's published tables have beta on a direct UDP path.
peer_settled() {
    "$SLUICECTL" -c "$TMP/alpha" metrics | grep -q '^sluice_peer_info{peer="beta",path="udp",cipher="[^"]*"} 1$'
}
wait_for 20 "alpha publishes a direct UDP path to beta" peer_settled

log "--- GET /metrics"
http alpha GET /metrics >"$TMP/response.txt"
head -n 1 "$TMP/response.txt" | grep -q "^HTTP/1.1 200 OK" || die "GET /metrics: $(head -n 1 "$TMP/response.txt")"
grep -qi "^Content-Type: text/plain; version=0.0.4; charset=utf-8" "$TMP/response.txt" || die "no exposition content type"
grep -qi "^Connection: close" "$TMP/response.txt" || die "no Connection: close"
python3 - "$TMP/response.txt" "$TMP/http.txt" <<'PY' || die "the body does not match Content-Length"
import sys
raw = open(sys.argv[1], "rb").read()
head, body = raw.split(b"\r\n\r\n", 1)
length = [int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0]
assert length == len(body), (length, len(body))
open(sys.argv[2], "wb").write(body)
PY
"$SLUICECTL" -c "$TMP/alpha" metrics >"$TMP/ctl.txt" || die "sluicectl metrics failed"
for f in http ctl; do
    promtool check metrics <"$TMP/$f.txt" >"$TMP/promtool-$f.out" 2>&1 ||
        die "promtool rejects the $f exposition: $(cat "$TMP/promtool-$f.out")"
    [[ ! -s "$TMP/promtool-$f.out" ]] || die "promtool complains about the $f exposition: $(cat "$TMP/promtool-$f.out")"
    log "ok: promtool check metrics accepts the $f exposition ($(wc -l <"$TMP/$f.txt") lines)"
done

[[ $(sample "$TMP/http.txt" sluice_data_plane_attached) == 1 ]] || die "data plane not attached"
grep -q '^sluice_info{version="[^"]*",abi="[0-9]*",node="alpha"} 1$' "$TMP/http.txt" || die "no sluice_info for alpha"
[[ $(sample "$TMP/http.txt" 'sluice_peer_reachable{peer="beta"}') == 1 ]] || die "beta not reachable in the metrics"
[[ $(sample "$TMP/http.txt" 'sluice_meta_connections{state="active"}') == 1 ]] || die "not one active meta connection"
[[ $(sample "$TMP/http.txt" sluice_nodes_reachable) == 2 ]] || die "not 2 reachable nodes"
(($(rx_packets "$TMP/http.txt") > 0)) || die "no UDP packets counted after the pings"
(($(grep -c '^sluice_worker_drops_total{worker="0",reason=' "$TMP/http.txt") == 15)) || die "drop reasons missing"
(($(grep -c '^sluice_peer_drops_total{peer="beta",reason=' "$TMP/http.txt") == 15)) || die "beta's drop reasons missing"
# The worker's buffers and rings: every receive buffer exists, and none is missing for long.
[[ $(sample "$TMP/http.txt" 'sluice_worker_recv_buffers{worker="0"}') == 256 ]] || die "worker 0 has no 256 receive buffers"
[[ $(sample "$TMP/http.txt" 'sluice_worker_tun_reads{worker="0"}') == 8 ]] || die "alpha's worker 0 does not use 8 plain TUN reads"
"$SLUICECTL" -c "$TMP/beta" metrics | grep -qx 'sluice_worker_tun_reads{worker="0"} 1' || die "beta's worker 0 has no multishot TUN read"
(($(sample "$TMP/http.txt" 'sluice_worker_recv_buffers_free{worker="0"}') > 0)) || die "worker 0 has no free receive buffer"
[[ -n $(sample "$TMP/http.txt" 'sluice_worker_ring_capacity{worker="0",ring="event"}') ]] || die "no event ring capacity"
[[ -n $(sample "$TMP/http.txt" 'sluice_peer_key_age_seconds{peer="beta"}') ]] || die "no key age for beta"
grep -q '^sluice_peer_info{peer="beta",path="udp",cipher="[a-z0-9/-]\+"} 1$' "$TMP/http.txt" || die "no cipher for beta"
# The per-peer counters: what alpha's workers received came from beta, the only peer.
peer_rx=$(sample "$TMP/http.txt" 'sluice_peer_rx_packets_total{peer="beta"}')
((peer_rx > 0 && peer_rx <= $(rx_packets "$TMP/http.txt"))) ||
    die "beta's rx packets ($peer_rx) do not match the workers' ($(rx_packets "$TMP/http.txt"))"
[[ -n $(sample "$TMP/http.txt" 'sluice_peer_last_rx_age_seconds{peer="beta"}') ]] || die "no last-rx age for beta"
log "ok: alpha's workers received $(rx_packets "$TMP/http.txt") UDP packets; beta reachable on a direct UDP path"

log "--- other requests"
http alpha GET / | head -n 1 | grep -q "^HTTP/1.1 404 " || die "GET / is not 404"
http alpha POST /metrics | head -n 1 | grep -q "^HTTP/1.1 405 " || die "POST /metrics is not 405"
http alpha HEAD /metrics >"$TMP/head.txt"
head -n 1 "$TMP/head.txt" | grep -q "^HTTP/1.1 200 " || die "HEAD /metrics is not 200"
[[ $(tail -c 4 "$TMP/head.txt" | od -An -tx1 | tr -d ' \n') == 0d0a0d0a ]] || die "HEAD /metrics sent a body"
http alpha GET /metrics $'\x16\x03\x01\x00garbage' | head -n 1 | grep -q "^HTTP/1.1 400 " || die "garbage is not 400"
# A client that connects and sends nothing is closed at the read timeout (5 s).
in_ns alpha python3 - "$PORT" <<'PY' || die "an idle client was not closed at the timeout"
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=15)
start = time.monotonic()
assert s.recv(1) == b""
elapsed = time.monotonic() - start
print(f"closed after {elapsed:.1f} s")
assert 4 <= elapsed <= 8, elapsed
PY
http alpha GET /metrics | head -n 1 | grep -q "^HTTP/1.1 200 " || die "GET /metrics after the bad requests failed"
log "ok: 404, 405, HEAD, 400, the idle timeout, and the endpoint still answers"
sed -n '/sluice_worker_rx_packets_total/,+3p;/sluice_peer_info/,+3p' "$TMP/http.txt"
log "PASS"
