#!/bin/bash
# A DNS server that never answers must not fail or stall a call: a route
# marked enum waits at most the ENUM budget (here 300 ms, with c-ares set to
# 2 x 1 s), then the static route is used. The "server" is a UDP socket that
# reads and never replies.
source "$(dirname "$0")/../lib.sh"
[ -x "$BUILD/peers/isup-switch" ] || { skip "it:enum-budget: isup-switch not built"; exit 0; }
command -v sipp >/dev/null || { skip "it:enum-budget: sipp is not installed"; exit 0; }
command -v python3 >/dev/null || { skip "it:enum-budget: python3 is missing"; exit 0; }
cd "$TMPD" || exit 1
VTY=25200 M3UA=25201 SIP=25202 UAS=25203 DNS=25204 SPAN_L=25205 SPAN_R=25206
start_bg "$TMPD/dns.log" python3 -c "
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', $DNS))
print('bound', flush=True)
t = time.time() + $PEER_LIFE
while time.time() < t:
    s.settimeout(1)
    try:
        d, a = s.recvfrom(2048)
        print('query', len(d), flush=True)
    except socket.timeout:
        pass
"
# the silent server must be bound before the query goes out: a query to a
# port nobody holds comes back as ICMP port unreachable, c-ares fails at
# once (ECONNREFUSED) and the budget is never used (python3 may take a
# while to start on a loaded machine); its own word that it holds the port
# (outside a namespace another process might)
wait_ev "$TMPD/dns.log" "^bound" 100 ||
	{ fail "it:enum-budget:dns-peer-start"; cat "$TMPD/dns.log"; exit 1; }
cat >"$TMPD/t.cfg" <<CFG
log stderr
 logging filter all 1
 logging print category 1
 logging level set-all notice
 logging level iw info
line vty
 bind 127.0.0.1 $VTY
sigtran
 asp sg1
  remote 127.0.0.1 $M3UA
isup
 linkset sw1
  asp sg1
  point-code local 2 remote 1
  cic 1 31 span 0 timeslot 1
sip
 listen udp 127.0.0.1 $SIP
 trunk carrier
  remote 127.0.0.1 $UAS
routing
 numbering country-code 49 national-prefix 0 international-prefix 00
 route to-sip default enum via carrier
 enum servers 127.0.0.1:$DNS
 enum timeout 1000
 enum budget 300
media
 rtp-port-range 25210 25229
 span 0 e1 local 127.0.0.1 $SPAN_L remote 127.0.0.1 $SPAN_R frames 8
CFG
out=$TMPD/sw.out
mkfifo "$TMPD/sw.in"
start_bg "$out" "$BUILD/peers/isup-switch" --listen "127.0.0.1:$M3UA" --variant itu --opc 1 \
	--dpc 2 --timeout $PEER_LIFE --script "$TMPD/sw.in"
exec 3>"$TMPD/sw.in"
start_bg "$TMPD/td.log" "$BUILD/tandemd" -c "$TMPD/t.cfg"
wait_tcp $VTY 50 || { fail "it:enum-budget:tandemd-start"; cat "$TMPD/td.log"; exit 1; }
echo "wait-link 10" >&3
wait_ev "$out" "EV GRS" 100
sleep 0.5
start_bg "$TMPD/uas.out" timeout 20 sipp -sn uas -i 127.0.0.1 -p $UAS -m 1 -nostdin \
	-trace_msg -message_file "$TMPD/uas.msg"
uas=$BG_PID
t0=$(date +%s%N)
echo "call 3 30123456 89555" >&3
got=""
for _ in $(seq 1 50); do
	grep -q "^INVITE sip:+4930123456@" "$TMPD/uas.msg" 2>/dev/null && { got=$(date +%s%N); break; }
	sleep 0.02
done
ms=$(((${got:-0} - t0) / 1000000))
echo "   INVITE out ${ms} ms after the IAM (DNS silent; budget 300 ms; c-ares alone: 2 x 1000 ms)"
check "it:enum-budget:static-route-used" test -n "$got"
check "it:enum-budget:within-budget-plus-margin (<1000 ms)" test "$ms" -lt 1000
check "it:enum-budget:the-dns-was-asked" grep -q "^query" "$TMPD/dns.log"
check "it:enum-budget:logged" grep -q "no answer within the budget" "$TMPD/td.log"
wait_ev "$out" "EV ANM cic=3( |$)" 50
check "it:enum-budget:call-answered" grep -qE "EV ANM cic=3( |$)" "$out"
echo "release 3 16" >&3
wait_ev "$out" "EV RLC cic=3( |$)" 50
wait "$uas"
check "it:enum-budget:show-enum" \
	bash -c "$BUILD/tandem-tool vty --port $VTY 'show enum' | grep -q 'after the budget 1'"
echo "quit" >&3
exec 3>&-
exit ${FAILED:-0}
