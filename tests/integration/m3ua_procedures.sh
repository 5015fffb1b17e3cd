#!/bin/bash
# M3UA procedures (RFC 4666) of tandemd against tests/peers/m3ua-sg over
# 127.0.0.1 TCP, captured on lo and decoded by tshark:
#   RKM REG REQ with a CIC-range routing key, accepted (4.4.1) -> the RC
#     learned is used in ASPAC and DATA; refused -> active without an RC
#   BEAT (4.3.4.6) on one association, answered
#   ASPUP/ASPAC (4.3.4.1, 4.3.4.3) on two associations of one AS, override:
#     one active, one standing by
#   DATA both ways (GRS at link-up from us; RSC from the SG -> our RLC)
#   ASPIA from the VTY (4.3.4.4): the standby takes over; ASPAC back: the
#     SG's NTFY Alternate ASP Active sends the other back to standby
#   SSNM (4.5): SCON level, DUPU for ISUP, DRST, DUNA (our DAUD while it
#     lasts, the ISUP linkset unavailable), DAVA (linkset back, GRS again)
#   association drop -> failover to the standby within T(r), DATA again;
#     the dropped one reconnects, registers again and stands by
#   clean stop: ASPIA, DEREG REQ, ASPDN on each association (4.3.4.2, 4.4.3)
# SCTP: tests/integration/m3ua_sctp.sh and m3ua_osmo_stp.sh (run by make check
# through tests/vm/sctp-tests.sh, in a VM where this kernel has no SCTP).
source "$(dirname "$0")/../lib.sh"
[ -x "$BUILD/peers/m3ua-sg" ] || { skip "it:m3ua-proc: m3ua-sg not built"; exit 0; }
VTY=25300 SG=25301 SIP=25303 SPAN_L=25304 SPAN_R=25305 RTP0=25310 VTY2=25350
cd "$TMPD" || exit 1


have_cap=""
if command -v tshark >/dev/null; then
	start_bg "$TMPD/cap.log" tshark -i lo -f "tcp port $SG" -w "$TMPD/m3ua.pcap"
	cap=$BG_PID
	wait_ev "$TMPD/cap.log" "Capturing on" 300 && pcap_tcp_ready "$TMPD/m3ua.pcap" $SG &&
		have_cap=1
fi

cat >"$TMPD/t.cfg" <<CFG
log stderr
 logging filter all 1
 logging print category 1
 logging level set-all info
line vty
 bind 127.0.0.1 $VTY
sigtran
 asp a1
  remote 127.0.0.1 $SG
  transport tcp
  timer ack 500
  timer daud 1000
  timer beat 700
  routing-key 11 destination 2 origin 1 cic-range 1 31
 asp a2
  remote 127.0.0.1 $SG
  transport tcp
  timer ack 500
  timer daud 1000
  routing-key 12 destination 2 origin 1 cic-range 1 31
 as as1
  traffic-mode override
  timer recovery 3000
  asp a1
  asp a2
isup
 linkset sw1
  as as1
  variant itu
  point-code local 2 remote 1
  cic 1 31 span 0 timeslot 1
sip
 listen udp 127.0.0.1 $SIP
media
 rtp-port-range $RTP0 $((RTP0 + 39))
 span 0 e1 local 127.0.0.1 $SPAN_L remote 127.0.0.1 $SPAN_R frames 8
CFG

out=$TMPD/sg.out
mkfifo "$TMPD/sg.in"
exec 3<>"$TMPD/sg.in" # read-write: opening does not wait for the peer
start_bg "$out" "$BUILD/peers/m3ua-sg" --listen "127.0.0.1:$SG" --rkm accept:100 --timeout 90 \
	--commands "$TMPD/sg.in"
sgpid=$BG_PID
sg() { echo "$*" >&3; }
wait_ev "$out" "^READY" 50 || { fail "it:m3ua-proc:sg-start"; cat "$out"; exit 1; }
start_bg "$TMPD/td.log" "$BUILD/tandemd" -c "$TMPD/t.cfg"
td=$BG_PID
wait_tcp $VTY 50 || { fail "it:m3ua-proc:tandemd-start"; cat "$TMPD/td.log"; exit 1; }
show() { vty $VTY "show m3ua"; }
# shows PORT CMD PATTERN: within 5 s, the VTY's answer to CMD has PATTERN
# (a state an SG message sets: polled, not read once after a fixed sleep)
shows() { until_tenths 50 _shows "$@"; }
_shows() { "$BUILD/tandem-tool" vty --port "$1" "$2" | grep -q "$3"; }

check "it:m3ua-proc:rkm-accepted (REG REQ: lrk 11, DPC 2, SI 5, OPC 1, CICs 1-31)" \
	wait_ev "$out" "EV REG conn=[01] lrk=11 dpc=2 si=5 opc=1 cics=1-31 -> accepted" 50
check "it:m3ua-proc:aspac-with-learned-rc (ASPAC carries RC 100)" \
	wait_ev "$out" "EV ACTIVE conn=[01] rc=100 tmt=1" 50
check "it:m3ua-proc:two-associations-both-up" wait_ev "$out" "EV UP conn=" 50 2
A=$(grep -m1 -oE "EV ACTIVE conn=[01]" "$out" | grep -oE "[01]$")
B=$((1 - A))
sleep 0.5
check "it:m3ua-proc:override-one-active-one-standby" \
	test "$(grep -c "EV ACTIVE" "$out")" = 1
check "it:m3ua-proc:beat (BEAT every 700 ms)" wait_ev "$out" "EV RX conn=$A BEAT" 30 3
check "it:m3ua-proc:beat-ack-keeps-association" test "$(grep -c "EV CLOSED" "$out")" = 0
check "it:m3ua-proc:show-as-active" bash -c "$BUILD/tandem-tool vty --port $VTY 'show m3ua' | grep -q 'as as1: AS_ACTIVE, override, T(r) 3000 ms; a1=ASP_ACTIVE a2=ASP_INACTIVE'"
check "it:m3ua-proc:show-rk-registered" bash -c "$BUILD/tandem-tool vty --port $VTY 'show m3ua' | grep -q 'routing key registered (status 0); routing context 100'"
check "it:m3ua-proc:data-out (GRS at link-up, RC 100)" \
	wait_ev "$out" "EV DATA conn=$A rc=100 opc=2 dpc=1 si=5 sls=[0-9]+ hex=010017" 50
sg "data 1 2 5 050012"
check "it:m3ua-proc:data-in->data-out (RSC CIC 5 -> RLC)" \
	wait_ev "$out" "EV DATA conn=$A rc=100 opc=2 dpc=1 si=5 sls=5 hex=050010" 50

# hostile input (RFC 4666 3.8.1): another version -> ERR "Invalid Version",
# the association stays; DATA with a routing context not ours -> ERR
# "Invalid Routing Context", not handed to ISUP (no second RLC)
sg "badver $A"
check "it:m3ua-proc:bad-version->err-invalid-version" wait_ev "$out" "EV ERR conn=$A code=0x01" 30
sg "data-rc 55 1 2 5 050012"
check "it:m3ua-proc:wrong-rc->err-invalid-routing-context" wait_ev "$out" "EV ERR conn=$A code=0x19" 30
sleep 0.3
check "it:m3ua-proc:wrong-rc-not-taken (one RLC only)" \
	test "$(grep -c "EV DATA conn=$A rc=100 opc=2 dpc=1 si=5 sls=5 hex=050010" "$out")" = 1
check "it:m3ua-proc:wrong-rc-counted" bash -c "$BUILD/tandem-tool vty --port $VTY 'show m3ua' | grep -q 'refused for another routing context: 1'"
check "it:m3ua-proc:hostile-logged" grep -q "Routing Context 55, ours is 100: ERR invalid Routing Context" "$TMPD/td.log"
check "it:m3ua-proc:hostile-keeps-association" test "$(grep -c "EV CLOSED" "$out")" = 0

# ASPIA from the VTY: the standby takes over; then a1 active again
vty $VTY enable "m3ua asp a1 inactive" >/dev/null
check "it:m3ua-proc:aspia (VTY)" wait_ev "$out" "EV RX conn=$A ASPIA" 30
check "it:m3ua-proc:aspia-standby-takes-over" wait_ev "$out" "EV ACTIVE conn=$B" 50
vty $VTY enable "m3ua asp a1 active" >/dev/null
check "it:m3ua-proc:aspac-again (VTY)" wait_ev "$out" "EV ACTIVE conn=$A" 50 2
check "it:m3ua-proc:alternate-asp-active-back-to-standby" \
	wait_ev "$out" "EV INACTIVE conn=$B \(alternate active\)" 50
sleep 0.3
check "it:m3ua-proc:no-aspac-fight" test "$(grep -c "EV ACTIVE conn=$B" "$out")" = 1

# SSNM
sg "scon 1 2"
check "it:m3ua-proc:scon-level" shows $VTY "show m3ua" 'destination 1/0: available, congestion 2'
sg "dupu 1 5 2"
check "it:m3ua-proc:dupu-isup" shows $VTY "show m3ua" 'destination 1/0: available, congestion 2, ISUP unavailable (DUPU)'
check "it:m3ua-proc:dupu-logged-by-isup" grep -q "ISUP at 1 unavailable (cause 2): no new calls" "$TMPD/td.log"
sg "drst 1"
check "it:m3ua-proc:drst" shows $VTY "show m3ua" 'destination 1/0: restricted'
grs_before=$(grep -c "hex=010017" "$out")
sg "duna 1"
check "it:m3ua-proc:duna-unavailable" shows $VTY "show m3ua" 'destination 1/0: unavailable'
check "it:m3ua-proc:duna-pauses-linkset" shows $VTY "show isup linksets" 'linkset sw1: as as1, unavailable'
check "it:m3ua-proc:daud-while-unavailable" wait_ev "$out" "EV DAUD conn=$A pc=1 answered=DUNA" 30
check "it:m3ua-proc:daud-periodic" wait_ev "$out" "EV DAUD conn=$A pc=1" 30 2
sg "dava 1"
check "it:m3ua-proc:dava-resumes (GRS again)" wait_ev "$out" "hex=010017" 50 $((grs_before + 1))
check "it:m3ua-proc:dava-linkset-available" bash -c "$BUILD/tandem-tool vty --port $VTY 'show isup linksets' | grep -q 'linkset sw1: as as1, available'"

# association drop: failover within T(r), traffic again; the dropped one comes back
grs_before=$(grep -c "hex=010017" "$out")
sg "drop $A"
check "it:m3ua-proc:drop->failover" wait_ev "$out" "EV ACTIVE conn=$B" 50 2
sg "data 1 2 6 060012"
check "it:m3ua-proc:traffic-after-failover (RSC CIC 6 -> RLC)" \
	wait_ev "$out" "EV DATA conn=$B rc=100 opc=2 dpc=1 si=5 sls=6 hex=060010" 50
check "it:m3ua-proc:reconnect" wait_ev "$out" "EV CONNECTED conn=" 50 3
check "it:m3ua-proc:reconnect-registers-again" wait_ev "$out" "EV REG .*lrk=11.*accepted" 50 2
check "it:m3ua-proc:reconnected-stands-by" bash -c "sleep 0.5; $BUILD/tandem-tool vty --port $VTY 'show m3ua' | grep -q 'as as1: AS_ACTIVE, override, T(r) 3000 ms; a1=ASP_INACTIVE a2=ASP_ACTIVE'"
check "it:m3ua-proc:failover-hidden-from-isup (no GRS)" test "$(grep -c "hex=010017" "$out")" = "$grs_before"

# the destination table grows past 64 entries: DUNA for 70 far point codes
# (not the linkset's), all kept and shown; DAVA clears them again
for pc in $(seq 1001 1070); do sg "duna $pc"; done
check "it:m3ua-proc:dest-table-grows (70 > 64 kept)" bash -c "for i in \$(seq 1 30); do
	$BUILD/tandem-tool vty --port $VTY 'show m3ua' | grep -q 'destinations not available: 70 (16 shown); 0 refused at the table.s limit of 16384' && exit 0; sleep 0.2; done; exit 1"
for pc in $(seq 1001 1070); do sg "dava $pc"; done

# clean stop
kill -TERM "$td"
for _ in $(seq 1 30); do kill -0 "$td" 2>/dev/null || break; sleep 0.1; done
check "it:m3ua-proc:stop-aspia" grep -q "EV RX conn=$B ASPIA" "$out"
check "it:m3ua-proc:stop-dereg (RC 100)" grep -q "EV DEREG conn=$B rc=100" "$out"
check "it:m3ua-proc:stop-aspdn-both" test "$(grep -c "EV RX conn=[01] ASPDN" "$out")" = 2
sg "quit"
for _ in $(seq 1 30); do kill -0 "$sgpid" 2>/dev/null || break; sleep 0.1; done
exec 3>&-

# --- RKM refused: active without a routing context
cat >"$TMPD/r.cfg" <<CFG
line vty
 bind 127.0.0.1 $VTY2
sigtran
 asp r1
  remote 127.0.0.1 $SG
  transport tcp
  timer ack 500
  routing-key 21 destination 2 origin 1 cic-range 32 63
CFG
sleep 0.3
out2=$TMPD/sg2.out
start_bg "$out2" "$BUILD/peers/m3ua-sg" --listen "127.0.0.1:$SG" --rkm refuse:5 --timeout 30
sg2pid=$BG_PID
wait_ev "$out2" "^READY" 50
start_bg "$TMPD/td2.log" "$BUILD/tandemd" -c "$TMPD/r.cfg"
td2=$BG_PID
wait_tcp $VTY2 50 || { fail "it:m3ua-proc:tandemd2-start"; cat "$TMPD/td2.log"; }
check "it:m3ua-proc:rkm-refused (CICs 32-63)" \
	wait_ev "$out2" "EV REG conn=0 lrk=21 dpc=2 si=5 opc=1 cics=32-63 -> refused" 50
check "it:m3ua-proc:refused-active-without-rc" wait_ev "$out2" "EV ACTIVE conn=0 rc=-1" 50
check "it:m3ua-proc:refused-status-shown" bash -c "$BUILD/tandem-tool vty --port $VTY2 'show m3ua' | grep -q 'routing key refused (status 5); routing context none'"
kill -TERM "$td2"
for _ in $(seq 1 30); do kill -0 "$td2" 2>/dev/null || break; sleep 0.1; done
check "it:m3ua-proc:refused-no-dereg" bash -c "! grep -q 'EV DEREG' $out2 && grep -q 'EV RX conn=0 ASPDN' $out2"

# --- tandem to tandem, IPSP single exchange: B listens and answers, A
# connects and sends ASPUP/ASPAC; each one's ISUP linkset toward the other
kill -TERM "$sg2pid"
for _ in $(seq 1 30); do kill -0 "$sg2pid" 2>/dev/null || break; sleep 0.1; done
VTYA=25360 VTYB=25361
mkcfg() { # NAME VTY ROLE-LINES PC-LOCAL PC-REMOTE SPAN-L SPAN-R SIP RTP
	cat <<CFG
log stderr
 logging filter all 1
 logging level set-all info
line vty
 bind 127.0.0.1 $2
sigtran
 asp peer
$3
  transport tcp
  routing-context 7
isup
 linkset t
  asp peer
  variant itu
  point-code local $4 remote $5
  cic 1 8 span 0 timeslot 1
sip
 listen udp 127.0.0.1 $8
media
 rtp-port-range $9 $(($9 + 19))
 span 0 e1 local 127.0.0.1 $6 remote 127.0.0.1 $7 frames 8
CFG
}
mkcfg B $VTYB "  listen 127.0.0.1 $SG
  role ipsp-server" 1 2 25362 25363 25364 25370 >"$TMPD/b.cfg"
mkcfg A $VTYA "  remote 127.0.0.1 $SG
  role ipsp-client" 2 1 25363 25362 25365 25390 >"$TMPD/a.cfg"
start_bg "$TMPD/tb.log" "$BUILD/tandemd" -c "$TMPD/b.cfg"
tb=$BG_PID
wait_tcp $VTYB 50 || { fail "it:m3ua-proc:ipsp-server-start"; cat "$TMPD/tb.log"; }
start_bg "$TMPD/ta.log" "$BUILD/tandemd" -c "$TMPD/a.cfg"
ta=$BG_PID
wait_tcp $VTYA 50 || { fail "it:m3ua-proc:ipsp-client-start"; cat "$TMPD/ta.log"; }
ipsp_up() {
	for _ in $(seq 1 50); do
		vty $VTYA "show isup linksets" | grep -q "linkset t: asp peer, available" &&
			vty $VTYB "show isup linksets" | grep -q "linkset t: asp peer, available" && return 0
		sleep 0.1
	done
	return 1
}
check "it:m3ua-proc:ipsp-se-both-linksets-available" ipsp_up
vty $VTYB "show m3ua" >"$TMPD/b.show"
check "it:m3ua-proc:ipsp-se-server-answered-only" bash -c "$BUILD/tandem-tool vty --port $VTYB 'show m3ua' | grep -q 'asp peer: ASP_ACTIVE.*tx ASPUP 0 ASPAC 0'"
check "it:m3ua-proc:ipsp-se-client-asked" bash -c "$BUILD/tandem-tool vty --port $VTYA 'show m3ua' | grep -q 'asp peer: ASP_ACTIVE.*tx ASPUP 1 ASPAC 1'"
check "it:m3ua-proc:ipsp-se-isup-both-ways (GRS/GRA)" bash -c "$BUILD/tandem-tool vty --port $VTYA 'show isup circuits' | grep -q '0 resetting' && $BUILD/tandem-tool vty --port $VTYB 'show isup circuits' | grep -q '0 resetting'"
kill -TERM "$ta"
for _ in $(seq 1 30); do kill -0 "$ta" 2>/dev/null || break; sleep 0.1; done
check "it:m3ua-proc:ipsp-se-client-stop->server-down" shows $VTYB "show m3ua" 'asp peer: ASP_DOWN'
kill -TERM "$tb"

# --- what tshark saw
if [ -n "$have_cap" ]; then
	sleep 0.3
	kill -INT "$cap"
	wait "$cap" 2>/dev/null
	lua="$TOP/tests/tools/m3ua_tcp.lua"
	TANDEM_M3UA_PORT=$SG tshark -r "$TMPD/m3ua.pcap" -X lua_script:"$lua" -V \
		>"$TMPD/all.txt" 2>&1
	check "it:m3ua-proc:tshark-sees-m3ua" grep -q "MTP 3 User Adaptation Layer" "$TMPD/all.txt"
	check "it:m3ua-proc:tshark-no-malformed" \
		bash -c "! grep -qiE 'malformed|Expert Info \(Error' '$TMPD/all.txt'"
	# tshark prints the PDUs of one segment comma-separated per field: pair them up
	TANDEM_M3UA_PORT=$SG tshark -r "$TMPD/m3ua.pcap" -X lua_script:"$lua" \
		-Y "tcp.dstport==$SG && m3ua" -T fields -e m3ua.message_class -e m3ua.message_type \
		2>/dev/null | awk -F'\t' '{n=split($1,c,","); split($2,t,","); for(i=1;i<=n;i++) print c[i]" "t[i]}' \
		| sort -u >"$TMPD/pairs.txt"
	for pt in "3 1 ASPUP" "3 2 ASPDN" "3 3 BEAT" "4 1 ASPAC" "4 2 ASPIA" "1 1 DATA" \
		"2 3 DAUD" "9 1 REG_REQ" "9 3 DEREG_REQ"; do
		set -- $pt
		check "it:m3ua-proc:tshark-decodes-tandem-$3" grep -qx "$1 $2" "$TMPD/pairs.txt"
	done
else
	skip "it:m3ua-proc:tshark: tshark missing or cannot capture on lo"
fi
[ -n "$M3UA_DEBUG_DIR" ] && cp -r "$TMPD"/. "$M3UA_DEBUG_DIR"/
exit ${FAILED:-0}
