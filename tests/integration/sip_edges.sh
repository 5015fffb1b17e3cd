#!/bin/bash
# SIP interop edges (issue 18 items 1 and 7), ISUP -> SIP with the libss7
# switch (ISUP over M3UA) as the caller, sipp scenarios as the SIP trunk,
# an emulated E1 and an RTP endpoint for the voice:
#   - "offer delayed" toward a trunk: the INVITE has no SDP, the trunk
#     offers in its 200 and our answer goes in the ACK (sipp checks both);
#     voice crosses both ways to the address of that offer
#   - the same with "prack": the offer in a reliable 183, the answer in the
#     PRACK; the 200 and its ACK then carry none
#   - forking: two 200s with different To tags for one INVITE: the first
#     wins (one ANM), the second is ACKed and BYEd in its own dialog, no
#     leg is left behind (tandem_sip_legs_active 0)
source "$(dirname "$0")/../lib.sh"
[ -x "$BUILD/peers/isup-switch" ] || { skip "it:sip-edges: isup-switch not built"; exit 0; }
command -v sipp >/dev/null || { skip "it:sip-edges: sipp is not installed"; exit 0; }
cd "$TMPD" || exit 1
SIPP=$TOP/tests/integration/sipp
VTY=27600 M3UA=27601 SIP=27602 UAS=27603 UAS2=27604 UAS3=27605 SPAN_L=27606 SPAN_R=27607 RTP=27640

near() { # VALUE TARGET TOLERANCE
	awk -v v="$1" -v t="$2" -v d="$3" 'BEGIN { exit !(v != "" && v >= t - d && v <= t + d) }'
}

cat >"$TMPD/t.cfg" <<CFG
log stderr
 logging filter all 1
 logging print category 1
 logging print level 1
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
 trunk late
  remote 127.0.0.1 $UAS
  offer delayed
 trunk lateprack
  remote 127.0.0.1 $UAS2
  offer delayed
  prack
 trunk forked
  remote 127.0.0.1 $UAS3
routing
 numbering country-code 49 national-prefix 0 international-prefix 00
 route to-sip 4971 via late
 route to-sip 4972 via lateprack
 route to-sip 4973 via forked
 route to-isup default via sw1
media
 rtp-port-range 27610 27629
 span 0 e1 local 127.0.0.1 $SPAN_L remote 127.0.0.1 $SPAN_R frames 8
CFG
out=$TMPD/sw.out
mkfifo "$TMPD/sw.in"
trap '' PIPE
start_bg "$out" "$BUILD/peers/isup-switch" --listen "127.0.0.1:$M3UA" --variant itu --opc 1 \
	--dpc 2 --cics 1-31 --timeout 300 --script "$TMPD/sw.in"
exec 3>"$TMPD/sw.in"
start_bg "$TMPD/td.log" "$TANDEMD" -c "$TMPD/t.cfg"
wait_tcp $VTY 50 || { fail "it:sip-edges:tandemd-start"; cat "$TMPD/td.log"; exit 1; }
sw() { echo "$*" >&3; }
sw "wait-link 10"
wait_ev "$out" "EV GRS cic=1" 100 || fail "it:sip-edges:link-up"
sleep 0.5
grep -q "^  offer delayed$" <<<"$(vty $VTY enable "show running-config")" &&
	pass "it:sip-edges:offer-delayed:config-written" || fail "it:sip-edges:offer-delayed:config-written"

# voice CIC: E1 timeslot CIC sends -10 dBm0, the RTP endpoint -13 dBm0;
# each side measures what reaches it
voice() { # NAME CIC
	start_bg "$TMPD/rtp-$1.out" "$BUILD/peers/rtp-peer" --local 127.0.0.1:$RTP --latch \
		--tone 1004:-13 --seconds 3 --drain 1000
	local rtp=$BG_PID
	"$BUILD/peers/e1-emu" --local 127.0.0.1:$SPAN_R --remote 127.0.0.1:$SPAN_L --timeslots 1-31 \
		--ts "$2:tone:1004:-10" --seconds 3 >"$TMPD/e1-$1.out"
	wait "$rtp"
	local rx_rtp rx_e1
	rx_rtp=$(tr ' ' '\n' <"$TMPD/rtp-$1.out" | sed -n 's/^f1004_dbm0=//p' | head -1)
	rx_e1=$(grep "^TS $2 " "$TMPD/e1-$1.out" | tr ' ' '\n' | sed -n 's/^f1004_dbm0=//p')
	echo "   $1: E1 TS$2 -> RTP ${rx_rtp:-?} dBm0 (sent -10); RTP -> E1 TS$2 ${rx_e1:-?} dBm0 (sent -13)"
	check "it:sip-edges:$1:voice-tdm-to-rtp (-10 dBm0 +-3)" near "$rx_rtp" -10 3
	check "it:sip-edges:$1:voice-rtp-to-tdm (-13 dBm0 +-3)" near "$rx_e1" -13 3
}

# --- 1. offer delayed: offer in the 200, answer in the ACK
start_bg "$TMPD/uas-late.out" timeout 60 sipp -sf "$SIPP/uas_offer_in_200.xml" -key rtpport $RTP \
	-i 127.0.0.1 -p $UAS -m 1 -nostdin -trace_msg -message_file "$TMPD/uas-late.msg"
uas=$BG_PID
sw "call 3 7112345 89555"
check "it:sip-edges:offer-delayed:acm" wait_ev "$out" "EV ACM cic=3" 50
check "it:sip-edges:offer-delayed:anm" wait_ev "$out" "EV ANM cic=3" 50
check "it:sip-edges:offer-delayed:log (offer in the 200 answered in the ACK)" \
	grep -q "delayed offer: the 200 offered 127.0.0.1:$RTP, answered in the ACK" "$TMPD/td.log"
voice offer-delayed 3
sw "release 3 16"
check "it:sip-edges:offer-delayed:rel->rlc" wait_ev "$out" "EV RLC cic=3" 50
wait "$uas"
check "it:sip-edges:offer-delayed:sipp (INVITE without SDP, answer in the ACK, BYE)" test $? -eq 0

# --- 1b. offer delayed + prack: offer in a reliable 183, answer in the PRACK
start_bg "$TMPD/uas-lp.out" timeout 60 sipp -sf "$SIPP/uas_offer_in_183_prack.xml" \
	-key rtpport $RTP -i 127.0.0.1 -p $UAS2 -m 1 -nostdin -trace_msg \
	-message_file "$TMPD/uas-lp.msg"
uas=$BG_PID
sw "call 4 7212345 89555"
check "it:sip-edges:offer-delayed-prack:acm (183)" wait_ev "$out" "EV ACM cic=4" 50
check "it:sip-edges:offer-delayed-prack:log (offer in the 183 answered in the PRACK)" \
	wait_ev "$TMPD/td.log" "delayed offer: the 183 offered 127.0.0.1:$RTP, answered in the PRACK" 30
check "it:sip-edges:offer-delayed-prack:anm" wait_ev "$out" "EV ANM cic=4" 50
voice offer-delayed-prack 4
sw "release 4 16"
check "it:sip-edges:offer-delayed-prack:rel->rlc" wait_ev "$out" "EV RLC cic=4" 50
wait "$uas"
check "it:sip-edges:offer-delayed-prack:sipp (answer in the PRACK, ACK without body)" test $? -eq 0

# --- 2. forking: two 200s, different To tags
start_bg "$TMPD/uas-fork.out" timeout 60 sipp -sf "$SIPP/uas_fork_two_200.xml" -key rtpport $RTP \
	-i 127.0.0.1 -p $UAS3 -m 1 -nostdin -trace_msg -message_file "$TMPD/uas-fork.msg"
uas=$BG_PID
sw "call 5 7312345 89555"
check "it:sip-edges:fork:anm" wait_ev "$out" "EV ANM cic=5" 50
check "it:sip-edges:fork:second-2xx-ended (log)" \
	wait_ev "$TMPD/td.log" "a 2xx from another fork \(To tag forkb\) after the first: ACK, BYE" 30
sleep 0.5
nanm=$(grep -c "EV ANM cic=5" "$out")
check "it:sip-edges:fork:one-anm ($nanm)" test "$nanm" -eq 1
check "it:sip-edges:fork:no-rel-while-up" bash -c "! grep -q 'EV REL cic=5' '$out'"
calls=$(vty $VTY "show calls")
check "it:sip-edges:fork:show-calls (the call is up)" grep -q "ISUP->SIP active: +4989555 -> +497312345" <<<"$calls"
voice fork 5
sw "release 5 16"
check "it:sip-edges:fork:rel->rlc" wait_ev "$out" "EV RLC cic=5" 50
wait "$uas"
check "it:sip-edges:fork:sipp (ACK+BYE to forkb, the call on forka, its BYE)" test $? -eq 0
sleep 0.5
met=$(vty $VTY "show metrics")
forks=$(awk '/^tandem_sip_forks_ended_total/ {print $2}' <<<"$met")
legs=$(awk '/^tandem_sip_legs_active/ {print $2}' <<<"$met")
check "it:sip-edges:fork:counted (tandem_sip_forks_ended_total ${forks:-?})" test "${forks:-0}" = 1
check "it:sip-edges:no-leg-left (tandem_sip_legs_active ${legs:-?})" test "${legs:-x}" = 0
calls=$(vty $VTY "show calls")
check "it:sip-edges:no-call-left (show calls: $(grep -o '^[0-9]* calls;' <<<"$calls"))" \
	grep -q "^0 calls;" <<<"$calls"

grep -E "ERROR|is not a transition" "$TMPD/td.log" | head -5
check "it:sip-edges:no-leg-state-errors" bash -c "! grep -q 'is not a transition' '$TMPD/td.log'"
exit ${FAILED:-0}
