#!/bin/bash
# M3UA optional parameters of tandemd against tests/peers/m3ua-sg over TCP:
#   Network Appearance (RFC 4666 3.3.1): in the routing key (3.6.1), in the
#     DATA tandem sends; DATA naming another NA -> ERR Invalid Network
#     Appearance (3.8.1, 0x15) carrying it, a log line, and the DATA is not
#     taken; DATA with the configured NA is taken (RSC -> RLC)
#   ASP Identifier (3.5.1) in ASPUP
# and tshark decodes both parameters in tandem's messages; then two tandemd
# as IPSPs in double exchange (4.3.1): both send ASPUP/ASPAC, both answer,
# ISUP both ways, one stops -> the other sees its peer down.
source "$(dirname "$0")/../lib.sh"
[ -x "$BUILD/peers/m3ua-sg" ] || { skip "it:m3ua-opt: m3ua-sg not built"; exit 0; }
VTY=25800 SG=25801 SIP=25803 SPAN_L=25804 SPAN_R=25805 RTP0=25810
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
timer m3ua X1 1500
timer sip T1 400
sigtran
 asp a1
  remote 127.0.0.1 $SG
  transport tcp
  network-appearance 8
  asp-identifier 4242
  timer ack 500
  routing-key 11 destination 2 origin 1 cic-range 1 31
isup
 linkset sw1
  asp a1
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
exec 3<>"$TMPD/sg.in"
start_bg "$out" "$BUILD/peers/m3ua-sg" --listen "127.0.0.1:$SG" --rkm accept:100 --na 8 \
	--timeout 60 --commands "$TMPD/sg.in"
sgpid=$BG_PID
sg() { echo "$*" >&3; }
wait_ev "$out" "^READY" 50 || { fail "it:m3ua-opt:sg-start"; cat "$out"; exit 1; }
start_bg "$TMPD/td.log" "$BUILD/tandemd" -c "$TMPD/t.cfg"
td=$BG_PID
wait_tcp $VTY 50 || { fail "it:m3ua-opt:tandemd-start"; cat "$TMPD/td.log"; exit 1; }

check "it:m3ua-opt:aspup-asp-identifier" wait_ev "$out" "EV UP conn=0 aspid=4242" 50
check "it:m3ua-opt:routing-key-network-appearance" \
	wait_ev "$out" "EV REG conn=0 lrk=11 .* -> accepted na=8" 50
check "it:m3ua-opt:data-out-network-appearance (GRS)" \
	wait_ev "$out" "EV DATA conn=0 rc=100 opc=2 dpc=1 si=5 sls=[0-9]+ hex=010017.* na=8" 50
sg "data-na 9 1 2 5 050012"
check "it:m3ua-opt:data-other-na->err-0x15" wait_ev "$out" "EV ERR conn=0 code=0x15 na=9" 50
check "it:m3ua-opt:data-other-na-logged" \
	wait_ev "$TMPD/td.log" "Network Appearance 9, configured 8: ERR invalid Network Appearance" 20
check "it:m3ua-opt:data-other-na-not-taken (no RLC)" \
	bash -c "sleep 0.3; ! grep -q 'hex=050010' '$out'"
check "it:m3ua-opt:show-na-refused" bash -c "$BUILD/tandem-tool vty --port $VTY 'show m3ua' | grep -q 'network appearance 8; refused for another 1'"
sg "data 1 2 5 050012"
check "it:m3ua-opt:data-same-na-taken (RSC -> RLC)" \
	wait_ev "$out" "EV DATA conn=0 rc=100 opc=2 dpc=1 si=5 sls=5 hex=050010.* na=8" 50
check "it:m3ua-opt:show-timer-m3ua-tack (X1 = 1500 ms)" bash -c "$BUILD/tandem-tool vty --port $VTY 'show timer m3ua' | grep -q 'X1 = 1500 ms'"
run=$(vty $VTY enable "show running-config")
check "it:m3ua-opt:running-config" bash -c "grep -qx '  network-appearance 8' <<<'$run' && grep -qx '  asp-identifier 4242' <<<'$run'"
# the timers the file set are written back, those at their default are not
check "it:m3ua-opt:running-config-timers (m3ua X1, sip T1; nothing else)" bash -c "grep -qx 'timer m3ua X1 1500' <<<'$run' && grep -qx 'timer sip T1 400' <<<'$run' && [ \$(grep -c '^timer ' <<<'$run') = 2 ]"

kill -TERM "$td"
for _ in $(seq 1 30); do kill -0 "$td" 2>/dev/null || break; sleep 0.1; done
sg "quit"
for _ in $(seq 1 30); do kill -0 "$sgpid" 2>/dev/null || break; sleep 0.1; done

# --- tandem to tandem, IPSP double exchange (B listens, A connects; both ask)
VTYA=25860 VTYB=25861 DE=25862
mkcfg() { # VTY ROLE-LINES PC-LOCAL PC-REMOTE SPAN-L SPAN-R SIP RTP
	cat <<CFG
log stderr
 logging filter all 1
 logging level set-all info
line vty
 bind 127.0.0.1 $1
sigtran
 asp peer
$2
  role ipsp-de
  transport tcp
  routing-context 7
  timer ack 500
isup
 linkset t
  asp peer
  variant itu
  point-code local $3 remote $4
  cic 1 8 span 0 timeslot 1
sip
 listen udp 127.0.0.1 $7
media
 rtp-port-range $8 $(($8 + 19))
 span 0 e1 local 127.0.0.1 $5 remote 127.0.0.1 $6 frames 8
CFG
}
mkcfg $VTYB "  listen 127.0.0.1 $DE" 1 2 25863 25864 25867 25870 >"$TMPD/b.cfg"
mkcfg $VTYA "  remote 127.0.0.1 $DE" 2 1 25864 25863 25868 25890 >"$TMPD/a.cfg"
start_bg "$TMPD/tb.log" "$BUILD/tandemd" -c "$TMPD/b.cfg"
tb=$BG_PID
wait_tcp $VTYB 50 || { fail "it:m3ua-opt:ipsp-de-b-start"; cat "$TMPD/tb.log"; }
start_bg "$TMPD/ta.log" "$BUILD/tandemd" -c "$TMPD/a.cfg"
ta=$BG_PID
wait_tcp $VTYA 50 || { fail "it:m3ua-opt:ipsp-de-a-start"; cat "$TMPD/ta.log"; }
de_up() {
	for _ in $(seq 1 50); do
		vty $VTYA "show isup linksets" | grep -q "linkset t: asp peer, available" &&
			vty $VTYB "show isup linksets" | grep -q "linkset t: asp peer, available" && return 0
		sleep 0.1
	done
	return 1
}
check "it:m3ua-opt:ipsp-de-both-linksets-available" de_up
sleep 0.3
for side in A:$VTYA B:$VTYB; do
	check "it:m3ua-opt:ipsp-de-${side%%:*}-asked (ASPUP 1 ASPAC 1)" bash -c "$BUILD/tandem-tool vty --port ${side#*:} 'show m3ua' | grep -q 'asp peer: ASP_ACTIVE.*tx ASPUP 1 ASPAC 1'"
	check "it:m3ua-opt:ipsp-de-${side%%:*}-peer-active" bash -c "$BUILD/tandem-tool vty --port ${side#*:} 'show m3ua' | grep -q 'double exchange: the peer IPSP is ASP_ACTIVE'"
done
check "it:m3ua-opt:ipsp-de-isup-both-ways (GRS/GRA)" bash -c "$BUILD/tandem-tool vty --port $VTYA 'show isup circuits' | grep -q '0 resetting' && $BUILD/tandem-tool vty --port $VTYB 'show isup circuits' | grep -q '0 resetting'"
kill -TERM "$ta"
for _ in $(seq 1 30); do kill -0 "$ta" 2>/dev/null || break; sleep 0.1; done
# (polled: B notices when the association goes, not a fixed time after)
peer_down() { "$BUILD/tandem-tool" vty --port "$VTYB" 'show m3ua' | grep -q 'double exchange: the peer IPSP is ASP_DOWN'; }
check "it:m3ua-opt:ipsp-de-a-stops->b-sees-peer-down" until_tenths 50 peer_down
kill -TERM "$tb"

if [ -n "$have_cap" ]; then
	sleep 0.3
	kill -INT "$cap"
	wait "$cap" 2>/dev/null
	lua="$TOP/tests/tools/m3ua_tcp.lua"
	TANDEM_M3UA_PORT=$SG tshark -r "$TMPD/m3ua.pcap" -X lua_script:"$lua" -V \
		>"$TMPD/all.txt" 2>&1
	check "it:m3ua-opt:tshark-no-malformed" \
		bash -c "! grep -qiE 'malformed|Expert Info \(Error' '$TMPD/all.txt'"
	TANDEM_M3UA_PORT=$SG tshark -r "$TMPD/m3ua.pcap" -X lua_script:"$lua" \
		-Y "tcp.dstport==$SG && m3ua" -T fields -e m3ua.network_appearance \
		-e m3ua.asp_identifier >"$TMPD/f.txt" 2>/dev/null
	check "it:m3ua-opt:tshark-decodes-network-appearance" grep -qE '(^|,)8(,|\s|$)' "$TMPD/f.txt"
	check "it:m3ua-opt:tshark-decodes-asp-identifier" grep -qE '4242' "$TMPD/f.txt"
else
	skip "it:m3ua-opt:tshark: tshark missing or cannot capture on lo"
fi
[ -n "$M3UA_DEBUG_DIR" ] && cp -r "$TMPD"/. "$M3UA_DEBUG_DIR"/
exit ${FAILED:-0}
