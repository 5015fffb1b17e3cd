#!/bin/bash
# A trunk by host name (RFC 3263): dnsmasq serves carrier.test's NAPTR
# (SIP+D2U at order 10 beats SIP+D2T at 20), the SRV records of
# _sip._udp.carrier.test (dead.carrier.test priority 10, live.carrier.test
# priority 20) and their A records (127.0.0.2, 127.0.0.3).
#   - the dead target (a UDP socket that never answers) gets the first
#     INVITE; after Timer B tandem passes it over and sends the same
#     request to the live one (sipp), which answers: the ISUP call is up
#   - the second call goes to the live target at once (the dead one is
#     passed over: it sees no second Call-ID)
#   - show sip trunks lists the NAPTR/SRV path, both targets and their state
#   - a target with nothing listening (closed.test's first SRV target: the
#     kernel answers ICMP port unreachable) is passed over at once, not
#     after Timer B (RFC 3261 18.4): the call is answered by the second
#     target well within Timer B; a trunk whose only target is a closed
#     port fails the call at once (REL, cause of a SIP 503); show sip
#     security counts the ICMP reports
#   - admission follows the resolved addresses: an INVITE from 127.0.0.3
#     (a target) reaches ISUP, one from 127.0.0.4 is refused
#   - "in use": a trunk without keep-alive carrying a call says so, with the
#     last response it gave
#   - TLS client toward a real TLS server (stunnel, OpenSSL, in front of a
#     sipp UAS on TCP): secure.test's NAPTR says SIPS+D2T; its first SRV
#     target shows a certificate of another CA: the handshake fails, the
#     INVITE goes to the second target and is answered. A numeric trunk
#     that verifies fails the same way and the route advances to a trunk
#     that does not verify (verification per trunk), which is answered.
#   - an SRV pair of real proxies: pair.test's SRV names two Kamailio
#     instances (127.0.0.8 and 127.0.0.9, same priority, weights 50/50),
#     each relaying to its own sipp UAS (ringing, answer 1 s later).
#     ISUP calls spread over both; one Kamailio is killed (SIGKILL) while a
#     call rings through it and calls go on: the next INVITE it gets
#     meets a closed port (ICMP port unreachable: 503 at once; or, were
#     the ICMP lost, no answer: 408 at Timer B), tandem sends it to the
#     other one, which takes every later call; show sip trunks has the
#     dead target passed over (last 503 or 408) and the other answering. Calls lost: exactly those in
#     flight in the dead proxy at the kill (relayed, no final answer back:
#     counted from its log), every other call is answered.
#   - a 302 whose Contact is a tel: URI (RFC 3966), local with a
#     phone-context, then global with visual separators: the number through
#     the numbering rules, routed like an IAM's (trunk tgt), answered
#   - a 302 not followed (trunk norecurse: redirect follow 0): REL cause 23
#     with the redirection number (the Contact's number, national form) and
#     redirection information, as the switch reads them off the wire
# Ports 26000-26026.
source "$(dirname "$0")/../lib.sh"
[ -x "$BUILD/peers/isup-switch" ] || { skip "it:sip-trunk-dns: isup-switch not built"; exit 0; }
command -v sipp >/dev/null || { skip "it:sip-trunk-dns: sipp is not installed"; exit 0; }
DNSMASQ=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)
[ -x "$DNSMASQ" ] || { skip "it:sip-trunk-dns: dnsmasq (package dnsmasq-base) is not installed"; exit 0; }
command -v python3 >/dev/null || { skip "it:sip-trunk-dns: python3 needed for the dead target"; exit 0; }
cd "$TMPD" || exit 1
VTY=26000 M3UA=26001 SIP=26002 DNS=26003 DEAD=26011 LIVE=26012 SPAN_L=26005 SPAN_R=26006 UAC=26007
TLS_BAD=26013 TLS_GOOD=26014 TLS_UAS=26015 TLS_NOVERIFY=26016 TLS_LISTEN=26017
CLOSED=26008 LIVE2=26009 CLOSED_ONLY=26010
KAM1=26020 KAM2=26021 KUAS1=26022 KUAS2=26023 REDIR=26024 TGT=26025 NOREC=26026
SIPP=$TOP/tests/integration/sipp
V=$TOP/tests/vectors/tls
ST=$(command -v stunnel4 || command -v stunnel)

cat >"$TMPD/dnsmasq.conf" <<CONF
port=$DNS
listen-address=127.0.0.1
bind-interfaces
no-resolv
no-hosts
local=/carrier.test/
local=/pair.test/
local=/closed.test/
local-ttl=60
naptr-record=carrier.test,20,10,S,SIP+D2T,,_sip._tcp.carrier.test
naptr-record=carrier.test,10,10,S,SIP+D2U,,_sip._udp.carrier.test
srv-host=_sip._udp.carrier.test,dead.carrier.test,$DEAD,10,50
srv-host=_sip._udp.carrier.test,live.carrier.test,$LIVE,20,50
srv-host=_sip._tcp.carrier.test,live.carrier.test,$LIVE,10,50
host-record=dead.carrier.test,127.0.0.2
host-record=live.carrier.test,127.0.0.3
naptr-record=secure.test,10,10,S,SIPS+D2T,,_sips._tcp.secure.test
srv-host=_sips._tcp.secure.test,bad.secure.test,$TLS_BAD,10,50
srv-host=_sips._tcp.secure.test,good.secure.test,$TLS_GOOD,20,50
host-record=bad.secure.test,127.0.0.5
host-record=good.secure.test,127.0.0.6
naptr-record=pair.test,10,10,S,SIP+D2U,,_sip._udp.pair.test
srv-host=_sip._udp.pair.test,kam1.pair.test,$KAM1,10,50
srv-host=_sip._udp.pair.test,kam2.pair.test,$KAM2,10,50
host-record=kam1.pair.test,127.0.0.8
host-record=kam2.pair.test,127.0.0.9
naptr-record=closed.test,10,10,S,SIP+D2U,,_sip._udp.closed.test
srv-host=_sip._udp.closed.test,shut.closed.test,$CLOSED,10,50
srv-host=_sip._udp.closed.test,open.closed.test,$LIVE2,20,50
host-record=shut.closed.test,127.0.0.10
host-record=open.closed.test,127.0.0.11
CONF
start_bg "$TMPD/dnsmasq.log" "$DNSMASQ" -k -C "$TMPD/dnsmasq.conf" --pid-file= --user=nobody \
	--log-facility=- --log-queries
wait_udp $DNS 50 || { fail "it:sip-trunk-dns:dnsmasq-start"; cat "$TMPD/dnsmasq.log"; exit 1; }

# the dead target: takes the datagrams, never answers, notes each Call-ID
start_bg "$TMPD/dead.out" python3 -u -c "
import socket, re
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.2', $DEAD))
s.settimeout(120)
while True:
    d = s.recv(65535).decode('latin-1')
    m = re.search(r'^Call-ID: *(\S+)', d, re.M | re.I)
    print(d.split('\r\n', 1)[0], m.group(1) if m else '-', flush=True)"
# (python's start on a loaded machine: the INVITE must find it bound)
wait_udp $DEAD 50 || fail "it:sip-trunk-dns:dead-target-start"

cat >"$TMPD/t.cfg" <<CFG
log stderr
 logging filter all 1
 logging print category 1
 logging level set-all info
line vty
 bind 127.0.0.1 $VTY
sigtran
 asp sg1
  remote 127.0.0.1 $M3UA
  transport tcp
isup
 linkset sw1
  asp sg1
  variant itu
  point-code local 2 remote 1
  cic 1 31 span 0 timeslot 1
sip
 listen udp 127.0.0.1 $SIP
 resolver servers 127.0.0.1:$DNS
 listen tls 127.0.0.1 $TLS_LISTEN certificate $V/server.pem key $V/server.key
 trunk carrier
  remote carrier.test
 trunk secure
  remote secure.test
  tls ca $V/ca.pem server-name localhost
 trunk strict
  remote 127.0.0.5 $TLS_NOVERIFY
  transport tls
  tls ca $V/ca.pem server-name localhost
 trunk noverify
  remote 127.0.0.7 $TLS_NOVERIFY
  transport tls
 trunk pair
  remote pair.test
 trunk closed
  remote closed.test
 trunk closedonly
  remote 127.0.0.12 $CLOSED_ONLY
 trunk redirsrv
  remote 127.0.0.1 $REDIR
 trunk tgt
  remote 127.0.0.1 $TGT
 trunk norecurse
  remote 127.0.0.1 $NOREC
  redirect follow 0
routing
 numbering country-code 49 national-prefix 0 international-prefix 00
 route to-sip default via carrier
 route to-sip 4930555 via secure
 route to-sip 4930777 via strict noverify
 route to-sip 4930888 via pair
 route to-sip 4930221 via closed
 route to-sip 4930222 via closedonly
 route to-sip 4930444 via redirsrv
 route to-sip 4930666 via tgt
 route to-sip 4930333 via norecurse
 route to-isup default via sw1
media
 rtp-port-range 26040 26059
 ! the calls here carry no RTP (their sipp UASs send none) and are
 ! released by the script; the RTP timeout (30 s) ended three of them in
 ! a loaded run where the script's next command reached the switch 30 s
 ! late (it:sip-trunk-dns:pair:all-released then counted 11 RLC of 14)
 rtp-timeout 0
 span 0 e1 local 127.0.0.1 $SPAN_L remote 127.0.0.1 $SPAN_R frames 8
timer sip T1 50
CFG

out=$TMPD/sw.out
mkfifo "$TMPD/sw.in"
# the switch's own end (the script stops it by PID): 35-54 s idle, 168 s
# in a loaded run whose switch, then at 160 s, ended before the script
start_bg "$out" "$BUILD/peers/isup-switch" --listen "127.0.0.1:$M3UA" --variant itu --opc 1 \
	--dpc 2 --cics 1-31 --timeout 400 --script "$TMPD/sw.in"
exec 3>"$TMPD/sw.in"
start_bg "$TMPD/td.log" "$TANDEMD" -c "$TMPD/t.cfg"
wait_tcp $VTY 50 || { fail "it:sip-trunk-dns:tandemd-start"; cat "$TMPD/td.log"; exit 1; }
sw "wait-link 10"
wait_ev "$out" "EV GRS cic=1( |$)" 100 || fail "it:sip-trunk-dns:link-up"
check "it:sip-trunk-dns:resolved (NAPTR -> SRV -> A)" \
	wait_ev "$TMPD/td.log" "trunk carrier: carrier.test -> 2 target\(s\) \(NAPTR SIP\+D2U -> SRV _sip._udp.carrier.test\)" 50
check "it:sip-trunk-dns:dnsmasq-saw-naptr-srv-a" eval \
	'grep -q "query\[NAPTR\] carrier.test" "$TMPD/dnsmasq.log" &&
	 grep -q "query\[SRV\] _sip._udp.carrier.test" "$TMPD/dnsmasq.log" &&
	 grep -q "query\[A\] live.carrier.test" "$TMPD/dnsmasq.log"'

# the live target answers two calls and waits for BYE
start_bg "$TMPD/live.out" timeout 60 sipp -sn uas -i 127.0.0.3 -p $LIVE -m 2 -nostdin \
	-trace_msg -message_file "$TMPD/live.msg"
live=$BG_PID
wait_udp $LIVE 50

# --- call 1: dead first (priority 10), Timer B (64 x 50 ms), then live
t0=$(date +%s%N)
sw "call 3 30123456 89555"
check "it:sip-trunk-dns:dead-target-got-the-invite" wait_ev "$TMPD/dead.out" "^INVITE " 50
check "it:sip-trunk-dns:failover-answered (ANM)" wait_ev "$out" "EV ANM cic=3( |$)" 100
ms=$((($(date +%s%N) - t0) / 1000000))
echo "   call 1: answered ${ms} ms after the IAM (Timer B = 3.2 s on the dead target)"
check "it:sip-trunk-dns:failover-logged" grep -qE \
	"trunk carrier: target dead.carrier.test 127.0.0.2:$DEAD gave 408: passed over for 30 s, next target" \
	"$TMPD/td.log"
cid1=$(awk '/^INVITE / { print $NF; exit }' "$TMPD/dead.out")
check "it:sip-trunk-dns:same-call-id-on-live (${cid1:-none})" \
	grep -qiF "Call-ID: $cid1" "$TMPD/live.msg"

trunks=$(vty $VTY "show sip trunks")
echo "$trunks" | sed 's/^/   /'
check "it:sip-trunk-dns:show:in-use-with-last-response" \
	grep -qE "^carrier .* in use, calls 1/0, last response 200 [0-9]+ s ago" <<<"$trunks"
check "it:sip-trunk-dns:show:resolved-line" \
	grep -qE "resolved carrier.test: NAPTR SIP\+D2U -> SRV _sip._udp.carrier.test, 2 target\(s\), TTL left [0-9]+ s" <<<"$trunks"
check "it:sip-trunk-dns:show:dead-passed-over" \
	grep -qE "target dead.carrier.test UDP:127.0.0.2:$DEAD prio 10 weight 50: passed over for [0-9]+ s, last 408" <<<"$trunks"
check "it:sip-trunk-dns:show:live-answering" \
	grep -qE "target live.carrier.test UDP:127.0.0.3:$LIVE prio 20 weight 50: answering, last 200" <<<"$trunks"

# --- call 2: straight to the live target
sw "call 4 30123457 89555"
check "it:sip-trunk-dns:second-call-answered" wait_ev "$out" "EV ANM cic=4( |$)" 50
ndead=$(awk '/^INVITE / { print $NF }' "$TMPD/dead.out" | sort -u | wc -l)
check "it:sip-trunk-dns:second-call-skips-dead (dead saw $ndead Call-ID)" test "$ndead" = 1

# --- admission by the resolved addresses: from the live target's address
# an INVITE reaches ISUP; from 127.0.0.4 it is refused
start_bg "$TMPD/uac3.out" timeout 10 sipp -sn uac 127.0.0.1:$SIP -i 127.0.0.3 -p $UAC -m 1 \
	-s 4989111 -nostdin
check "it:sip-trunk-dns:admitted-from-target (IAM)" wait_ev "$out" "EV IAM cic=[0-9]+ called=4989111 " 50
start_bg "$TMPD/uac4.out" timeout 10 sipp -sn uac 127.0.0.1:$SIP -i 127.0.0.4 -p $UAC -m 1 \
	-s 4989222 -nostdin
check "it:sip-trunk-dns:refused-from-other-address" wait_ev "$TMPD/td.log" \
	"127.0.0.4 port $UAC: INVITE from a source that is no trunk" 50
check "it:sip-trunk-dns:no-iam-from-other-address" eval '! grep -q "called=89222" "$out"'

sw "release 3 16"
sw "release 4 16"
wait_ev "$out" "EV RLC cic=4( |$)" 50
wait "$live"
check "it:sip-trunk-dns:live-sipp-complete (2 calls, BYE)" test $? -eq 0

# --- ICMP port unreachable (RFC 3261 18.4): nothing listens on closed.test's
# first target (127.0.0.10:$CLOSED) nor on trunk closedonly's (127.0.0.12)
start_bg "$TMPD/live2.out" timeout 30 sipp -sn uas -i 127.0.0.11 -p $LIVE2 -m 1 -nostdin \
	-trace_msg -message_file "$TMPD/live2.msg"
live2=$BG_PID
wait_udp $LIVE2 50
wait_ev "$TMPD/td.log" "trunk closed: closed.test -> 2 target" 50
# two CICs no other call here uses (tandem seized one for the admitted INVITE)
set -- $(for c in 1 2 30 31; do grep -qE "^EV IAM cic=$c " "$out" || echo $c; done)
C1=$1 C2=$2 C3=$3
t0=$(date +%s%N)
sw "call $C1 30221000 89555"
check "it:sip-trunk-dns:icmp:failover-answered (ANM)" wait_ev "$out" "EV ANM cic=$C1( |$)" 100
ms=$((($(date +%s%N) - t0) / 1000000))
echo "   closed port first: answered ${ms} ms after the IAM (Timer B here: 3.2 s; 32 s at T1 500 ms)"
check "it:sip-trunk-dns:icmp:failover-within-1.5s (${ms} ms, Timer B 3200 ms)" test "$ms" -lt 1500
check "it:sip-trunk-dns:icmp:logged" grep -qE \
	"UDP 127.0.0.10:$CLOSED: ICMP port unreachable .* for INVITE branch z9hG4bK[^ ]*: its transaction fails at the second" "$TMPD/td.log"
check "it:sip-trunk-dns:icmp:passed-over-as-503" grep -qE \
	"trunk closed: target shut.closed.test 127.0.0.10:$CLOSED gave 503: passed over for [0-9]+ s, next target" \
	"$TMPD/td.log"
check "it:sip-trunk-dns:icmp:not-by-timer-b" eval \
	'! grep -q "target shut.closed.test 127.0.0.10:$CLOSED gave 408" "$TMPD/td.log"'
t0=$(date +%s%N)
sw "call $C2 30222000 89555"
check "it:sip-trunk-dns:icmp:only-target-closed:rel (cause 41)" \
	wait_ev "$out" "^EV REL cic=$C2 cause=41\$" 100
ms=$((($(date +%s%N) - t0) / 1000000))
echo "   only target closed: REL ${ms} ms after the IAM"
check "it:sip-trunk-dns:icmp:only-target-closed:rel-within-1.5s (${ms} ms)" test "$ms" -lt 1500
check "it:sip-trunk-dns:icmp:only-target-closed:no-anm" eval '! grep -qE "^EV ANM cic=$C2( |\$)" "$out"'
sec=$(vty $VTY "show sip security")
echo "$sec" | grep "^udp targets" | sed 's/^/   /'
nicmp=$(sed -n 's/^udp targets: ICMP unreachable \([0-9]*\) .*/\1/p' <<<"$sec")
check "it:sip-trunk-dns:icmp:counted (show sip security: ${nicmp:-none})" test "${nicmp:-0}" -ge 2
check "it:sip-trunk-dns:icmp:show-last" grep -qE \
	"^udp targets: .*; last [0-9.]+:[0-9]+ port unreachable" <<<"$sec"
trunks=$(vty $VTY "show sip trunks")
grep -E "^closedonly|target shut.closed.test" <<<"$trunks" | sed 's/^/   /'
check "it:sip-trunk-dns:icmp:per-target (show sip trunks)" grep -qE \
	"target shut.closed.test UDP:127.0.0.10:$CLOSED .*, ICMP unreachable [1-9]" <<<"$trunks"
check "it:sip-trunk-dns:icmp:per-trunk (show sip trunks: closedonly)" grep -qE \
	"^closedonly .*, ICMP unreachable [1-9]" <<<"$trunks"
# "icmp-errors ignore" (where forged ICMP errors matter more than dead
# targets): the same call is counted and logged, and ends by Timer B only
vty $VTY enable "configure terminal" "sip" "icmp-errors ignore" >/dev/null
t0=$(date +%s%N)
sw "call $C3 30222000 89555"
wait_ev "$out" "^EV REL cic=$C3 cause=" 150
ms=$((($(date +%s%N) - t0) / 1000000))
echo "   icmp-errors ignore, only target closed: REL ${ms} ms after the IAM (Timer B 3200 ms)"
check "it:sip-trunk-dns:icmp:ignore:rel-after-timer-b (${ms} ms)" test "$ms" -ge 3200
check "it:sip-trunk-dns:icmp:ignore:logged" grep -qE \
	"UDP 127.0.0.12:[0-9]+: ICMP port unreachable .*ignored \(icmp-errors ignore\)" "$TMPD/td.log"
sec=$(vty $VTY "show sip security")
n2=$(sed -n 's/^udp targets: ICMP unreachable \([0-9]*\) .*/\1/p' <<<"$sec")
check "it:sip-trunk-dns:icmp:ignore:still-counted (${nicmp:-?} -> ${n2:-?}; show sip security: ignored)" \
	eval 'test "${n2:-0}" -gt "${nicmp:-0}" && grep -q "(ignored: icmp-errors ignore)" <<<"$sec"'
check "it:sip-trunk-dns:icmp:ignore:written" eval \
	'vty $VTY enable "write terminal" | grep -q "^ icmp-errors ignore$"'
vty $VTY enable "configure terminal" "sip" "icmp-errors fail-requests" >/dev/null
sw "release $C1 16"
wait_ev "$out" "EV RLC cic=$C1( |$)" 50
wait "$live2"
check "it:sip-trunk-dns:icmp:live2-sipp-complete (call, BYE)" test $? -eq 0

# --- a caller gone after its INVITE (crashed, or gave up without CANCEL):
# its port closes once the 100 came; our 180 and 200 are refused (ICMP
# port unreachable quoting them), and at the second the call ends: REL
# cause 41 at once (before: the 2xx went on for 64*T1 until the no-ACK BYE)
cat >"$TMPD/gone.py" <<'PY'
import socket, sys
port, dst = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", port))
s.settimeout(20)
body = "v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 8\r\n"
msg = ("INVITE sip:+4930999000@127.0.0.1:%d SIP/2.0\r\n"
       "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKgone1\r\n"
       "From: <sip:+4989555@127.0.0.1>;tag=g1\r\nTo: <sip:+4930999000@127.0.0.1>\r\n"
       "Call-ID: gone1@caller\r\nCSeq: 1 INVITE\r\nContact: <sip:c@127.0.0.1:%d>\r\n"
       "Max-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s"
       ) % (dst, port, port, len(body), body)
s.sendto(msg.encode(), ("127.0.0.1", dst))
while True:
    r = s.recv(65535).decode(errors="replace")
    print(r.split("\r\n", 1)[0], flush=True)
    if r.startswith("SIP/2.0 1"):
        break
s.close()
print("closed", flush=True)
PY
start_bg "$TMPD/gone.out" python3 -u "$TMPD/gone.py" $TGT $SIP
gone=$BG_PID
wait_ev "$TMPD/gone.out" "^closed" 100 || fail "it:sip-trunk-dns:caller-gone:no-provisional"
if wait_ev "$out" "^EV IAM cic=[0-9]+ called=(49)?30999000 " 50; then
	gcic=$(sed -nE 's/^EV IAM cic=([0-9]+) called=(49)?30999000 .*/\1/p' "$out" | tail -1)
	sw "ring $gcic"
	wait_ev "$TMPD/td.log" "ICMP port unreachable .* for a response to INVITE branch z9hG4bKgone1" 50
	t0=$(date +%s%N)
	sw "answer $gcic"
	check "it:sip-trunk-dns:caller-gone:rel (cause 41)" \
		wait_ev "$out" "^EV REL cic=$gcic cause=41\$" 100
	ms=$((($(date +%s%N) - t0) / 1000000))
	echo "   caller gone after its INVITE: 180 and 200 refused, REL ${ms} ms after the ANM (64*T1 here: 3.2 s)"
	# (bounded below 64*T1, which a loaded machine must not blur)
	check "it:sip-trunk-dns:caller-gone:rel-before-64xT1 (${ms} ms)" test "$ms" -lt 3000
	check "it:sip-trunk-dns:caller-gone:logged" grep -q \
		"gone1@caller: our responses to the INVITE do not reach the caller (2xx, no ACK): the call ends" \
		"$TMPD/td.log"
	check "it:sip-trunk-dns:caller-gone:counted (tandem_sip_callers_unreachable_total)" eval \
		'vty $VTY "show metrics" | grep -q "^tandem_sip_callers_unreachable_total 1$"'
	check "it:sip-trunk-dns:caller-gone:no-bye" eval '! grep -q "no ACK for our 2xx" "$TMPD/td.log"'
else
	fail "it:sip-trunk-dns:caller-gone:iam"
fi
wait "$gone"

# --- 3xx with a tel: Contact (RFC 3966), and a 3xx not followed
start_bg "$TMPD/tgt.out" timeout 60 sipp -sn uas -i 127.0.0.1 -p $TGT -m 2 -nostdin \
	-trace_msg -message_file "$TMPD/tgt.msg"
tgt=$BG_PID
wait_udp $TGT 50
n=0
for contact in "tel:6661234;phone-context=+4930" "tel:+49-30-666-1235"; do
	cic=$((7 + n)) want=4930666123$((4 + n))
	n=$((n + 1))
	start_bg "$TMPD/redir$n.out" timeout 30 sipp -sf "$SIPP/uas_302_contact.xml" -i 127.0.0.1 \
		-p $REDIR -key contact "$contact" -m 1 -nostdin
	r=$BG_PID
	wait_udp $REDIR 50
	sw "call $cic 30444000$n 30123456"
	check "it:sip-trunk-dns:tel-contact-$n:answered (ANM, $contact)" wait_ev "$out" "EV ANM cic=$cic\$" 80
	check "it:sip-trunk-dns:tel-contact-$n:redirect-logged" grep -qF \
		"SIP 302 from trunk redirsrv: redirect 1/3 to $contact (number +$want) via trunk tgt" "$TMPD/td.log"
	check "it:sip-trunk-dns:tel-contact-$n:invite-at-target (sip:+$want)" \
		grep -q "^INVITE sip:+$want@127.0.0.1;user=phone SIP/2.0" "$TMPD/tgt.msg"
	wait "$r"
	check "it:sip-trunk-dns:tel-contact-$n:sipp-302-scenario (302 ACKed)" test $? -eq 0
	sw "release $cic 16"
	wait_ev "$out" "EV RLC cic=$cic\$" 50
done
check "it:sip-trunk-dns:tel-contact:no-rel-before-answer" eval '! grep -qE "^EV REL cic=(7|8) " "$out"'
wait "$tgt"
# not followed: REL 23, redirection number 30777888 (NOA 3 national),
# redirection information 03 (call diverted) 31 (unconditional, counter 1)
start_bg "$TMPD/norec.out" timeout 30 sipp -sf "$SIPP/uas_302_contact.xml" -i 127.0.0.1 \
	-p $NOREC -key contact "sip:+4930777888@192.0.2.1;user=phone" -m 1 -nostdin
r=$BG_PID
wait_udp $NOREC 50
sw "call 9 30333001 30123456"
check "it:sip-trunk-dns:302-not-followed:rel-23" wait_ev "$out" "^EV REL cic=9 cause=23\$" 80
check "it:sip-trunk-dns:302-not-followed:redirection-number-on-the-wire" \
	grep -q "^EV RELP cic=9 loc=[0-9]* cause=23 len=2 rn=3:30777888 ri=0331\$" "$out"
check "it:sip-trunk-dns:302-not-followed:logged" grep -q \
	"SIP 302 not followed: REL 23 with redirection number 30777888 (NOA 3) from sip:+4930777888@192.0.2.1;user=phone" \
	"$TMPD/td.log"
wait "$r"
check "it:sip-trunk-dns:302-not-followed:sipp (302 ACKed)" test $? -eq 0

# --- an SRV pair of two Kamailio proxies, one killed while calls go on
KAM=$(command -v kamailio || echo /usr/sbin/kamailio)
KMOD=/usr/lib/x86_64-linux-gnu/kamailio/modules
# kam_relay_cfg CFG ADDR PORT UAS: a stateful proxy on udp ADDR:PORT that
# relays every INVITE to the sipp UAS at 127.0.0.1:UAS without
# Record-Route (in-dialog requests that come to it go on to their
# Request-URI, the UAS's Contact);
# it logs "RELAY <Call-ID>" and "FINAL <status> <Call-ID>" (the final
# answer it passes back).
kam_relay_cfg() {
	cat >"$1" <<KCFG
#!KAMAILIO
debug=1
log_stderror=yes
children=1
auto_aliases=no
listen=udp:$2:$3
mpath="$KMOD/"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "maxfwd.so"
loadmodule "pv.so"
loadmodule "siputils.so"
loadmodule "textops.so"
loadmodule "xlog.so"
modparam("tm", "fr_timer", 3000)

request_route {
	if (!mf_process_maxfwd_header("10")) {
		sl_send_reply("483", "Too Many Hops");
		exit;
	}
	if (is_method("CANCEL")) {
		if (t_check_trans())
			t_relay();
		exit;
	}
	if (has_totag()) {
		# in-dialog: to the Request-URI (the UAS's Contact)
		if (!is_method("ACK") || t_check_trans())
			t_relay();
		else
			forward();
		exit;
	}
	t_check_trans();
	if (!is_method("INVITE")) {
		sl_send_reply("405", "Method Not Allowed");
		exit;
	}
	\$du = "sip:127.0.0.1:$4";
	xlog("L_NOTICE", "RELAY \$ci\n");
	t_on_reply("FINAL");
	if (!t_relay())
		sl_reply_error();
}

onreply_route[FINAL] {
	if (\$rs >= 200)
		xlog("L_NOTICE", "FINAL \$rs \$ci\n");
}
KCFG
}
if [ -x "$KAM" ] && [ -f "$KMOD/tm.so" ]; then
	kam_relay_cfg "$TMPD/kam1.cfg" 127.0.0.8 $KAM1 $KUAS1
	kam_relay_cfg "$TMPD/kam2.cfg" 127.0.0.9 $KAM2 $KUAS2
	# the called parties ring, answer 1 s later (a call is in flight that
	# long), wait for the BYE; their RTP goes nowhere (port 26039)
	start_bg "$TMPD/kuas1.out" timeout 100 sipp -sf "$SIPP/uas_media_1s.xml" -key rtpport 26039 \
		-i 127.0.0.1 -p $KUAS1 -nostdin -trace_msg -message_file "$TMPD/kuas1.msg"
	start_bg "$TMPD/kuas2.out" timeout 100 sipp -sf "$SIPP/uas_media_1s.xml" -key rtpport 26039 \
		-i 127.0.0.1 -p $KUAS2 -nostdin -trace_msg -message_file "$TMPD/kuas2.msg"
	start_bg "$TMPD/kam1.log" "$KAM" -DD -E -f "$TMPD/kam1.cfg"
	k1=$BG_PID
	start_bg "$TMPD/kam2.log" "$KAM" -DD -E -f "$TMPD/kam2.cfg"
	wait_udp $KUAS1 50
	wait_udp $KUAS2 50
	wait_udp $KAM1 50 || fail "it:sip-trunk-dns:pair:kamailio-1-start"
	wait_udp $KAM2 50 || fail "it:sip-trunk-dns:pair:kamailio-2-start"
	relayed() { grep -c "RELAY " "$TMPD/$1.log" 2>/dev/null; }
	# relayed by Kamailio 1, no final answer back through it
	in_flight() {
		awk '/RELAY / { r[$NF] = 1 } /FINAL [0-9]+ / { delete r[$NF] } END { print length(r) }' \
			"$TMPD/kam1.log"
	}
	anm() { grep -cE "^EV ANM cic=(1[0-9]|2[0-9]|30)$" "$out"; }
	# answered calls are released at once (the RTP port range holds 10
	# calls): the media channels go round
	declare -A rel_sent=()
	release_answered() {
		local c
		for c in $(sed -nE 's/^EV ANM cic=(1[0-9]|2[0-9]|30)$/\1/p' "$out"); do
			[ -n "${rel_sent[$c]:-}" ] && continue
			rel_sent[$c]=1
			sw "release $c 16"
		done
	}
	# calls on CIC 10..30, one every 250 ms; Kamailio 1 is killed once 8
	# calls went, both proxies took some (the weighted choice) and one is
	# ringing through Kamailio 1 (a call in flight; CIC 22 at the latest)
	cic=10 n_before=0
	while [ $cic -le 22 ]; do
		k1_was=$(relayed kam1)
		# when each call went (kept with the script's files on a FAIL)
		echo "$(date +%T.%N) call $cic" >>"$TMPD/pair.times"
		sw "call $cic 30888$cic 30123456"
		cic=$((cic + 1))
		release_answered
		# this call just went through Kamailio 1 (its answer due in 1 s)
		[ $((cic - 10)) -ge 8 ] && [ "$k1_was" -ge 2 ] && [ "$(relayed kam2)" -ge 1 ] &&
			until_tenths 4 eval '[ "$(relayed kam1)" -gt "$k1_was" ]' && break
		sleep 0.25
	done
	n_before=$((cic - 10))
	# the whole proxy dies at once: its main process and the workers it forked
	kill -KILL $k1 $(pgrep -P $k1)
	wait $k1 2>/dev/null
	k1_relayed=$(relayed kam1) k2_at_kill=$(relayed kam2)
	# in flight at the kill: relayed by Kamailio 1, no final answer back;
	# these are lost (their 200 goes to the dead proxy: ACM, never ANM)
	inflight=$(in_flight)
	echo "   SRV pair: $n_before calls before the kill (kamailio 1 relayed $k1_relayed," \
		"kamailio 2 $(relayed kam2)), $inflight in flight in kamailio 1 at the kill"
	check "it:sip-trunk-dns:pair:both-targets-took-calls (k1 $k1_relayed, k2 $(relayed kam2))" \
		test "$k1_relayed" -ge 1 -a "$(relayed kam2)" -ge 1
	# after the kill: calls go on until one has met the dead proxy and
	# failed over (the weighted choice sends one there soon), then 4 more
	t0=$(date +%s%N) first=$cic extra=-1 t_fo=$(date +%s)
	while [ $cic -le 30 ] && [ $extra -ne 0 ]; do
		sw "call $cic 30888$cic 30123456"
		cic=$((cic + 1))
		release_answered
		if [ $extra -lt 0 ]; then
			wait_ev "$out" "EV ANM cic=$((cic - 1))\$" 60
			grep -qE "trunk pair: target kam1.pair.test 127.0.0.8:$KAM1 gave (408|503): passed over" \
				"$TMPD/td.log" && extra=4 t_fo=$(date +%s)
		else
			extra=$((extra - 1))
			sleep 0.25
		fi
	done
	last=$((cic - 1))
	check "it:sip-trunk-dns:pair:failover-logged (dead kam1 gave 503 by ICMP or 408, passed over)" grep -qE \
		"trunk pair: target kam1.pair.test 127.0.0.8:$KAM1 gave (408|503): passed over for 30 s, next target" \
		"$TMPD/td.log"
	wait_ev "$out" "EV ANM cic=$last\$" 60
	sleep 0.5
	total=$((last - 9)) answered=$(anm)
	echo "   SRV pair: $total calls, $answered answered, $((last - first + 1)) after the kill" \
		"(in $((($(date +%s%N) - t0) / 1000000)) ms)"
	check "it:sip-trunk-dns:pair:calls-after-kill-answered ($answered of $total, $inflight in flight lost)" \
		test "$answered" = $((total - inflight))
	lost=""
	for c in $(seq 10 "$last"); do grep -q "^EV ANM cic=$c\$" "$out" || lost="$lost $c"; done
	all_rang() {
		local c
		for c in $lost; do grep -q "^EV ACM cic=$c " "$out" || return 1; done
	}
	check "it:sip-trunk-dns:pair:lost-calls-were-ringing (CIC${lost:- none}: ACM, no ANM)" all_rang
	k2_after=$(($(relayed kam2) - k2_at_kill))
	check "it:sip-trunk-dns:pair:every-later-call-relayed-by-kam2 ($k2_after of $((last - first + 1)))" \
		test "$k2_after" = $((last - first + 1))
	trunks=$(vty $VTY "show sip trunks")
	echo "$trunks" | grep -A3 "^pair " | sed 's/^/   /'
	# passed over for 30 s from the failover; a loaded machine can take
	# longer than that over the calls after it (loaded run 7: the check
	# failed): then the target is usable again and show says its last
	# answer was the failure
	fo_s=$(($(date +%s) - t_fo))
	if [ $fo_s -lt 29 ]; then
		check "it:sip-trunk-dns:pair:show:kam1-passed-over (${fo_s} s after the failover)" grep -qE \
			"target kam1.pair.test UDP:127.0.0.8:$KAM1 prio 10 weight 50: passed over for [0-9]+ s, last (408|503)" \
			<<<"$trunks"
	else
		check "it:sip-trunk-dns:pair:show:kam1-passed-over (${fo_s} s after the failover: the 30 s are over, last answer the failure)" \
			grep -qE "target kam1.pair.test UDP:127.0.0.8:$KAM1 prio 10 weight 50: (passed over for [0-9]+ s|answering), last (408|503) [0-9]+ s ago, [0-9]+ responses, [1-9][0-9]* failures" \
			<<<"$trunks"
	fi
	check "it:sip-trunk-dns:pair:show:kam2-answering" grep -qE \
		"target kam2.pair.test UDP:127.0.0.9:$KAM2 prio 10 weight 50: answering, last 200" <<<"$trunks"
	release_answered
	# an unanswered one (in flight at the kill) is released by the switch
	for c in $(seq 10 "$last"); do [ -n "${rel_sent[$c]:-}" ] || sw "release $c 16"; done
	check "it:sip-trunk-dns:pair:all-released ($total RLC)" \
		wait_ev "$out" "^EV RLC cic=(1[0-9]|2[0-9]|30)\$" 50 "$total"
else
	skip "it:sip-trunk-dns:pair kamailio is not installed"
fi

# --- TLS client (tandemd toward stunnel + sipp)
if [ -z "$ST" ]; then
	skip "it:sip-trunk-dns:tls stunnel is not installed"
	exit ${FAILED:-0}
fi
# a certificate for localhost from a CA tandem does not trust
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj /CN=other-ca -keyout "$TMPD/oca.key" -out "$TMPD/oca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=localhost \
	-keyout "$TMPD/other.key" -out "$TMPD/other.csr" 2>/dev/null
echo "subjectAltName=DNS:localhost" >"$TMPD/san.ext"
openssl x509 -req -in "$TMPD/other.csr" -CA "$TMPD/oca.pem" -CAkey "$TMPD/oca.key" \
	-CAcreateserial -days 2 -extfile "$TMPD/san.ext" -out "$TMPD/other.pem" 2>/dev/null
cat >"$TMPD/stunnel.conf" <<CONF
foreground = yes
pid =
connect = 127.0.0.1:$TLS_UAS
[bad]
accept = 127.0.0.5:$TLS_BAD
cert = $TMPD/other.pem
key = $TMPD/other.key
[good]
accept = 127.0.0.6:$TLS_GOOD
cert = $V/server.pem
key = $V/server.key
[strict]
accept = 127.0.0.5:$TLS_NOVERIFY
cert = $TMPD/other.pem
key = $TMPD/other.key
[noverify]
accept = 127.0.0.7:$TLS_NOVERIFY
cert = $TMPD/other.pem
key = $TMPD/other.key
CONF
start_bg "$TMPD/stunnel.log" "$ST" "$TMPD/stunnel.conf"
start_bg "$TMPD/tls-uas.out" timeout 40 sipp -sn uas -t t1 -i 127.0.0.1 -p $TLS_UAS -m 2 -nostdin \
	-trace_msg -message_file "$TMPD/tls-uas.msg"
tls_uas=$BG_PID
wait_tcp $TLS_UAS 50
# (a probe loop that fell through after 5 s left the bad target refusing
# the connection instead of failing the handshake)
wait_listen 127.0.0.5:$TLS_BAD 127.0.0.6:$TLS_GOOD 127.0.0.5:$TLS_NOVERIFY \
	127.0.0.7:$TLS_NOVERIFY || fail "it:sip-trunk-dns:tls:stunnel-start"
check "it:sip-trunk-dns:tls:resolved (NAPTR SIPS+D2T)" \
	grep -qE "trunk secure: secure.test -> 2 target\(s\) \(NAPTR SIPS\+D2T -> SRV _sips._tcp.secure.test\)" \
	"$TMPD/td.log"
sw "call 5 30555000 89555"
check "it:sip-trunk-dns:tls:answered-after-handshake-failure (ANM)" wait_ev "$out" "EV ANM cic=5( |$)" 100
check "it:sip-trunk-dns:tls:handshake-failure-logged" \
	grep -qE "TLS .*127.0.0.5:$TLS_BAD.*handshake failed|handshake failed.*127.0.0.5:$TLS_BAD" "$TMPD/td.log"
check "it:sip-trunk-dns:tls:bad-target-passed-over" grep -qE \
	"trunk secure: target bad.secure.test 127.0.0.5:$TLS_BAD gave 503: passed over" "$TMPD/td.log"
check "it:sip-trunk-dns:tls:invite-came-over-tls (Via TLS at the UAS)" \
	grep -qE "^Via: SIP/2.0/TLS .*" "$TMPD/tls-uas.msg"
sw "call 6 30777000 89555"
check "it:sip-trunk-dns:tls:no-verify-trunk-answered-after-route-advance (ANM)" \
	wait_ev "$out" "EV ANM cic=6( |$)" 100
check "it:sip-trunk-dns:tls:route-advance-logged" \
	grep -qE "SIP 503 from trunk strict: trying trunk noverify" "$TMPD/td.log"
vty $VTY "show sip trunks" | grep -A3 -E "^(secure|strict|noverify) " | sed 's/^/   /'
sw "release 5 16"
sw "release 6 16"
wait_ev "$out" "EV RLC cic=6( |$)" 50
exit ${FAILED:-0}
