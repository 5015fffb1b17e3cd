#!/bin/bash
# Call transfer by REFER (RFC 3515, issue 18 item 5): the libss7 switch places
# ISUP calls through tandemd to a sipp transferor, which answers and then
# REFERs the call to a second sipp UAS on another trunk. tandem acts as a
# B2BUA: 202, NOTIFY "100 Trying", a new INVITE to the target, NOTIFY with
# the target's final status, the E1 timeslot re-bridged to the target's RTP
# and a BYE to the transferor; the ISUP side never hears of it (no REL until
# the switch releases). Voice is measured both ways between the E1 emulator
# and an RTP endpoint at the target's SDP address after the transfer.
# Then: a trunk without "refer accept" answers 403 and the call stays; a
# target answering 486 gives a NOTIFY with the 486 sipfrag and the call
# stays with the transferor.
# Attended transfer (RFC 3891 Replaces): a sipp phone holding two calls from
# the switch REFERs one with Replaces naming the other; the gateway joins
# the two circuits (voice measured between the two timeslots), BYEs both
# dialogs, and releases the second circuit when the switch releases the
# first (uas_refer_replaces.xml).
# The transferors are a sipp scenario (uas_refer.xml: it checks each
# NOTIFY's sipfrag) and baresip, given its /transfer command through its
# UDP console (the issue's "baresip transferring an ISUP call").
# Ports 25500-25549.
source "$(dirname "$0")/../lib.sh"
[ -x "$BUILD/peers/isup-switch" ] || { skip "it:iw-refer: isup-switch not built"; exit 0; }
[ -x "$BUILD/peers/e1-emu" ] || { skip "it:iw-refer: e1-emu not built"; exit 0; }
[ -x "$BUILD/peers/rtp-peer" ] || { skip "it:iw-refer: rtp-peer not built"; exit 0; }
command -v sipp >/dev/null || { skip "it:iw-refer: sipp is not installed"; exit 0; }
cd "$TMPD" || exit 1
SIPP=$TOP/tests/integration/sipp
VTY=25500 M3UA=25501 SIP=25502 XFER=25503 TARGET=25504 NOXFER=25505 BUSY=25506
SPAN_L=25507 SPAN_R=25508 RTP_X=25520 RTP_T=25522 PHONE=25509 CONS=25515 PHONELIM=25510

near() { # VALUE TARGET TOLERANCE
	awk -v v="$1" -v t="$2" -v d="$3" 'BEGIN { exit !(v != "" && v >= t - d && v <= t + d) }'
}

# voice PORT TS NAME E1NAME: the target's RTP peer on PORT (latched) sends
# 1004 Hz at -13 dBm0 while the e1-emu sends -10 on timeslot TS; sets rx_rtp
# (what the peer heard) and rx_e1 (what the timeslot heard). The peer's tone
# runs 5 s from its own start, so it still covers the e1-emu's analysis
# (0.8-3.3 s after the e1-emu starts) when the e1-emu starts a second late
# on a loaded machine (3 s of tone gave -16.3 dBm0 for -13)
voice() {
	local rtp
	start_bg "$TMPD/$3.out" "$BUILD/peers/rtp-peer" --local "127.0.0.1:$1" --latch \
		--tone 1004:-13 --seconds 5 --drain 1000
	rtp=$BG_PID
	"$BUILD/peers/e1-emu" --local 127.0.0.1:$SPAN_R --remote 127.0.0.1:$SPAN_L --timeslots 1-31 \
		--warmup 800 --ts "$2:tone:1004:-10" --seconds 3 >"$TMPD/$4.out"
	wait "$rtp"
	rx_rtp=$(tr ' ' '\n' <"$TMPD/$3.out" | sed -n 's/^f1004_dbm0=//p' | head -1)
	rx_e1=$(grep "^TS $2 " "$TMPD/$4.out" | tr ' ' '\n' | sed -n 's/^f1004_dbm0=//p')
}

{
	gw_cfg_head info
	cat <<CFG
sip
 listen udp 127.0.0.1 $SIP
 trunk xfer
  remote 127.0.0.1 $XFER
  refer accept
 trunk target
  remote 127.0.0.1 $TARGET
 trunk noxfer
  remote 127.0.0.1 $NOXFER
 trunk busy
  remote 127.0.0.1 $BUSY
 trunk phone
  remote 127.0.0.1 $PHONE
  refer accept
 trunk phonelim
  remote 127.0.0.1 $PHONELIM
  refer accept
  max-call-duration 6
routing
 numbering country-code 49 national-prefix 0 international-prefix 00
 route to-sip 4930 via xfer
 route to-sip 4940 via noxfer
 route to-sip 4950 via phone
 route to-sip 4960 via phonelim
 route to-isup default via sw1
media
 rtp-port-range 25530 25549
 ! the transferors here send no RTP: at ASan speed beside a loaded make
 ! check the blind transfer's call outlived the 30 s RTP timeout, which
 ! released it (cause 41) while the target was being called
 rtp-timeout 0
 span 0 e1 local 127.0.0.1 $SPAN_L remote 127.0.0.1 $SPAN_R frames 8
operations
 cdr file $TMPD/cdr.json format json
CFG
} >"$TMPD/t.cfg"

# a target that is busy
cat >"$TMPD/uas_486.xml" <<'XML'
<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="busy target">
  <recv request="INVITE" />
  <send><![CDATA[

      SIP/2.0 486 Busy Here
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]busy[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
  <recv request="ACK" />
</scenario>
XML

# notify_frags MSGFILE: the sipfrag status lines of the NOTIFYs sipp received
notify_frags() {
	awk '/^NOTIFY / { n = 1; next } /^-----/ { n = 0 } n && /^SIP\/2\.0 [0-9]/ { print }' "$1" |
		tr -d '\r' | paste -sd'|'
}
rel_count() { grep -c "EV REL cic=$1 " "$out"; }

switch_start
tandemd_start iw-refer
switch_link_up iw-refer

# --- 1. transfer to a target that answers
start_bg "$TMPD/target.out" timeout 40 sipp -sf "$SIPP/uas_media.xml" -key rtpport $RTP_T \
	-i 127.0.0.1 -p $TARGET -m 1 -nostdin -trace_msg -message_file "$TMPD/target.msg"
target=$BG_PID
start_bg "$TMPD/xfer.out" timeout 40 sipp -sf "$SIPP/uas_refer.xml" -key rtpport $RTP_X \
	-key target "sip:+4930999@127.0.0.1:$TARGET" -i 127.0.0.1 -p $XFER -m 1 -nostdin \
	-trace_msg -message_file "$TMPD/xfer.msg"
xfer=$BG_PID
wait_udp $XFER 50
wait_udp $TARGET 50
sw "call 3 30123456 89555"
check "it:iw-refer:answered (CON)" wait_ev "$out" "EV CON cic=3( |$)" 50
check "it:iw-refer:invite-at-target" wait_ev "$TMPD/target.msg" "^INVITE sip:\+4930999@127.0.0.1:$TARGET" 50
check "it:iw-refer:transferred (log)" wait_ev "$TMPD/td.log" "transferred to sip:\+4930999@127.0.0.1:$TARGET via trunk target" 50
wait "$xfer"
check "it:iw-refer:transferor-scenario (202, 2 NOTIFYs, BYE)" test $? -eq 0
check "it:iw-refer:202" grep -q "^SIP/2.0 202 Accepted" "$TMPD/xfer.msg"
frags=$(notify_frags "$TMPD/xfer.msg")
check "it:iw-refer:notify-sipfrags (100 Trying then 200 OK: '$frags')" \
	test "$frags" = "SIP/2.0 100 Trying|SIP/2.0 200 OK"
check "it:iw-refer:notify-event-refer-id" grep -q "^Event: refer;id=2" "$TMPD/xfer.msg"
check "it:iw-refer:notify-subscription-terminated" \
	grep -q "^Subscription-State: terminated;reason=noresource" "$TMPD/xfer.msg"
check "it:iw-refer:bye-to-transferor" grep -q "^BYE sip:" "$TMPD/xfer.msg"
check "it:iw-refer:no-rel-during-transfer" test "$(rel_count 3)" -eq 0
calls=$(vty $VTY "show calls")
sed "s/^/   /" <<<"$calls" | head -4
check "it:iw-refer:show-calls (still active, CIC 3, now on trunk target)" \
	grep -q "ISUP->SIP active: +4989555 -> +4930123456; ISUP sw1 CIC 3; SIP trunk target " <<<"$calls"
# voice both ways between the E1 timeslot and the target's RTP address
voice $RTP_T 3 rtp e1
echo "   E1 TS3 -> target RTP: 1004 Hz at ${rx_rtp:-?} dBm0 (sent -10); target RTP -> E1 TS3: ${rx_e1:-?} dBm0 (sent -13)"
check "it:iw-refer:voice-tdm-to-target (-10 dBm0 +-3)" near "$rx_rtp" -10 3
check "it:iw-refer:voice-target-to-tdm (-13 dBm0 +-3)" near "$rx_e1" -13 3
check "it:iw-refer:no-rel-after-transfer" test "$(rel_count 3)" -eq 0
sw "release 3 16"
check "it:iw-refer:rel->rlc" wait_ev "$out" "EV RLC cic=3( |$)" 50
wait "$target"
check "it:iw-refer:bye-to-target (target scenario complete)" test $? -eq 0
check "it:iw-refer:cdr-line (trunk target, cause 16, SIP 200)" wait_ev "$TMPD/td.log" \
	"CDR call=1 dir=isup-sip .* cic=3 trunk=target .* cause=16 sip=200" 30
CDR() { "$TOP/tests/integration/cdr_check.py" "$TMPD/cdr.json" "$@"; }
check "it:iw-refer:cdr-file:transferor-attempt (trunk xfer, sip 202)" \
	CDR direction=isup-sip cic=3 record_type=attempt -- trunk=xfer sip_status=202 attempt=1
check "it:iw-refer:cdr-file:final-at-target (attempt 2, answered, ruri_out the Refer-To)" \
	CDR direction=isup-sip cic=3 record_type=call -- trunk=target attempt=2 result=answered \
	"ruri_out=sip:+4930999@127.0.0.1:$TARGET" cause=16

# --- 2. a trunk without "refer accept": 403, the call unchanged
start_bg "$TMPD/noxfer.out" timeout 30 sipp -sf "$SIPP/uas_refer_refused.xml" -key rtpport $RTP_X \
	-key target "sip:+4930999@127.0.0.1:$TARGET" -i 127.0.0.1 -p $NOXFER -m 1 -nostdin \
	-trace_msg -message_file "$TMPD/noxfer.msg"
noxfer=$BG_PID
wait_udp $NOXFER 50
sw "call 4 40123456 89555"
check "it:iw-refer:policy:answered (CON)" wait_ev "$out" "EV CON cic=4( |$)" 50
check "it:iw-refer:policy:403" wait_ev "$TMPD/noxfer.msg" "^SIP/2.0 403 " 50
sleep 0.5
check "it:iw-refer:policy:no-invite-to-target" test "$(grep -c "^INVITE sip:+4930999" "$TMPD/target.msg")" -eq 1
calls=$(vty $VTY "show calls")
check "it:iw-refer:policy:call-unchanged (active on noxfer, no REL)" \
	test "$(rel_count 4)" -eq 0 -a -n "$(grep -E "ISUP->SIP active: \+4989555 -> \+4940123456; ISUP sw1 CIC 4([^0-9]|$)" <<<"$calls")"
sw "release 4 16"
check "it:iw-refer:policy:rel->rlc" wait_ev "$out" "EV RLC cic=4( |$)" 50
wait "$noxfer"
check "it:iw-refer:policy:bye-after-rel (scenario complete)" test $? -eq 0

# --- 2b. a trunk that takes transfers, but a Refer-To host that is no
# configured trunk's (an SBC is not steered to arbitrary hosts): 403
start_bg "$TMPD/foreign.out" timeout 30 sipp -sf "$SIPP/uas_refer_refused.xml" -key rtpport $RTP_X \
	-key target "sip:+4930999@192.0.2.7:5060" -i 127.0.0.1 -p $XFER -m 1 -nostdin \
	-trace_msg -message_file "$TMPD/foreign.msg"
foreign=$BG_PID
wait_udp $XFER 50
sw "call 9 30123450 89555"
check "it:iw-refer:foreign:answered (CON)" wait_ev "$out" "EV CON cic=9( |$)" 50
check "it:iw-refer:foreign:403" wait_ev "$TMPD/foreign.msg" "^SIP/2.0 403 " 50
check "it:iw-refer:foreign:logged" wait_ev "$TMPD/td.log" \
	"REFER to sip:\+4930999@192.0.2.7:5060 refused: not a sip URI without headers on a configured trunk" 30
check "it:iw-refer:foreign:call-unchanged (no REL)" test "$(rel_count 9)" -eq 0
sw "release 9 16"
check "it:iw-refer:foreign:rel->rlc" wait_ev "$out" "EV RLC cic=9( |$)" 50
wait "$foreign"
check "it:iw-refer:foreign:bye-after-rel (scenario complete)" test $? -eq 0

# --- 3. a target answering 486: NOTIFY with the 486 sipfrag, the call
# stays with the transferor
start_bg "$TMPD/busy.out" timeout 30 sipp -sf "$TMPD/uas_486.xml" -i 127.0.0.1 -p $BUSY -m 1 \
	-nostdin -trace_msg -message_file "$TMPD/busy.msg"
busy=$BG_PID
start_bg "$TMPD/xfer2.out" timeout 30 sipp -sf "$SIPP/uas_refer.xml" -key rtpport $RTP_X \
	-key target "sip:+4930888@127.0.0.1:$BUSY" -i 127.0.0.1 -p $XFER -m 1 -nostdin \
	-trace_msg -message_file "$TMPD/xfer2.msg"
xfer2=$BG_PID
wait_udp $XFER 50
wait_udp $BUSY 50
sw "call 5 30123457 89555"
check "it:iw-refer:busy:answered (CON)" wait_ev "$out" "EV CON cic=5( |$)" 50
check "it:iw-refer:busy:invite-at-target" wait_ev "$TMPD/busy.msg" "^INVITE sip:\+4930888@" 50
wait "$busy"
check "it:iw-refer:busy:486-notify" wait_ev "$TMPD/td.log" "transfer to sip:\+4930888@127.0.0.1:$BUSY failed: SIP 486" 50
# the final NOTIFY in the transferor's trace, its sipfrag the 486
wait_ev "$TMPD/xfer2.msg" "^SIP/2.0 486 " 50
frags=$(notify_frags "$TMPD/xfer2.msg")
check "it:iw-refer:busy:notify-sipfrags (100 Trying then 486: '$frags')" \
	test "$frags" = "SIP/2.0 100 Trying|SIP/2.0 486 Busy Here"
calls=$(vty $VTY "show calls")
check "it:iw-refer:busy:call-stays-with-transferor (active on xfer, no REL, no BYE yet)" \
	test "$(rel_count 5)" -eq 0 -a -z "$(grep '^BYE ' "$TMPD/xfer2.msg")" -a \
	-n "$(grep "+4930123457; ISUP sw1 CIC 5; SIP trunk xfer " <<<"$calls")"
sed "s/^/   /" <<<"$calls" | head -4
# the transferor's media is still the call's: voice from its RTP address
voice $RTP_X 5 rtp2 e1b
check "it:iw-refer:busy:voice-still-to-transferor (${rx_rtp:-?} dBm0, sent -10)" near "$rx_rtp" -10 3
sw "release 5 16"
check "it:iw-refer:busy:rel->rlc" wait_ev "$out" "EV RLC cic=5( |$)" 50
wait "$xfer2"
check "it:iw-refer:busy:bye-to-transferor-after-rel (scenario complete)" test $? -eq 0

# --- 3b. the transferor hangs up right after the 202 (blind transfer,
# RFC 5589 6): the call waits for the target and goes on with it
start_bg "$TMPD/target3.out" timeout 30 sipp -sf "$SIPP/uas_media.xml" -key rtpport $RTP_T \
	-i 127.0.0.1 -p $TARGET -m 1 -nostdin -trace_msg -message_file "$TMPD/target3.msg"
target=$BG_PID
start_bg "$TMPD/xfer3.out" timeout 30 sipp -sf "$SIPP/uas_refer_blind.xml" -key rtpport $RTP_X \
	-key target "sip:+4930666@127.0.0.1:$TARGET" -i 127.0.0.1 -p $XFER -m 1 -nostdin \
	-trace_msg -message_file "$TMPD/xfer3.msg"
xfer3=$BG_PID
wait_udp $XFER 50
wait_udp $TARGET 50
sw "call 7 30123458 89555"
check "it:iw-refer:blind:answered (CON)" wait_ev "$out" "EV CON cic=7( |$)" 50
wait "$xfer3"
check "it:iw-refer:blind:transferor-left (202, NOTIFY 100, its BYE answered 200)" test $? -eq 0
check "it:iw-refer:blind:waits-for-target (log)" wait_ev "$TMPD/td.log" \
	"call [0-9]+ \(CIC 7, .*transferor hung up during the transfer" 30
check "it:iw-refer:blind:transferred" wait_ev "$TMPD/td.log" \
	"transferred to sip:\+4930666@127.0.0.1:$TARGET via trunk target" 50
calls=$(vty $VTY "show calls")
check "it:iw-refer:blind:call-on-target (active, no REL)" test "$(rel_count 7)" -eq 0 -a \
	-n "$(grep "+4930123458; ISUP sw1 CIC 7; SIP trunk target " <<<"$calls")"
voice $RTP_T 7 rtp3 e1d
check "it:iw-refer:blind:voice-target-to-tdm (${rx_e1:-?} dBm0, sent -13)" near "$rx_e1" -13 3
sw "release 7 16"
check "it:iw-refer:blind:rel->rlc" wait_ev "$out" "EV RLC cic=7( |$)" 50
wait "$target"
check "it:iw-refer:blind:bye-to-target (scenario complete)" test $? -eq 0

# --- 3c. the ISUP side releases while the target rings: the transferor
# gets its BYE, the target's INVITE is cancelled
start_bg "$TMPD/target5.out" timeout 30 sipp -sf "$SIPP/uas_ringing.xml" -i 127.0.0.1 \
	-p $TARGET -m 1 -nostdin -trace_msg -message_file "$TMPD/target5.msg"
target=$BG_PID
start_bg "$TMPD/xfer5.out" timeout 30 sipp -sf "$SIPP/uas_refer_abandon.xml" -key rtpport $RTP_X \
	-key target "sip:+4930555@127.0.0.1:$TARGET" -i 127.0.0.1 -p $XFER -m 1 -nostdin \
	-trace_msg -message_file "$TMPD/xfer5.msg"
xfer5=$BG_PID
wait_udp $XFER 50
wait_udp $TARGET 50
sw "call 8 30123459 89555"
check "it:iw-refer:abandon:answered (CON)" wait_ev "$out" "EV CON cic=8( |$)" 50
check "it:iw-refer:abandon:invite-at-target" wait_ev "$TMPD/target5.msg" "^INVITE sip:\+4930555@" 50
sleep 0.5
sw "release 8 16"
check "it:iw-refer:abandon:rel->rlc" wait_ev "$out" "EV RLC cic=8( |$)" 50
wait "$xfer5"
check "it:iw-refer:abandon:bye-to-transferor (scenario complete)" test $? -eq 0
wait "$target"
check "it:iw-refer:abandon:target-cancelled (CANCEL, 487)" test $? -eq 0
check "it:iw-refer:abandon:cdr-line (trunk xfer, cause 16)" wait_ev "$TMPD/td.log" \
	"CDR call=[0-9]+ dir=isup-sip .* cic=8 trunk=xfer .* cause=16 sip=200" 30
no_calls() {
	for _ in $(seq 1 30); do
		vty $VTY "show calls" | grep -q "^0 calls" && return 0
		sleep 0.2
	done
	return 1
}
check "it:iw-refer:abandon:no-call-left (show calls: 0 calls)" no_calls

# --- 5. SIP -> ISUP: the caller on the SIP side transfers the call the
# switch answered
start_bg "$TMPD/target6.out" timeout 30 sipp -sf "$SIPP/uas_media.xml" -key rtpport $RTP_T \
	-i 127.0.0.1 -p $TARGET -m 1 -nostdin -trace_msg -message_file "$TMPD/target6.msg"
target=$BG_PID
wait_udp $TARGET 50
# the switch rings and answers the moment the IAM comes, not after the
# script has seen it (a loaded run's script was late)
answer_on_iam 89777123
start_bg "$TMPD/uac.out" timeout 30 sipp -sf "$SIPP/uac_refer.xml" 127.0.0.1:$SIP -s +4989777123 \
	-key target "sip:+4930444@127.0.0.1:$TARGET" -i 127.0.0.1 -p $XFER -m 1 -nostdin \
	-trace_msg -message_file "$TMPD/uac.msg"
uac=$BG_PID
if wait_ev "$out" "EV IAM cic=[0-9]+ called=89777123 " 50; then
	cic=$(grep -E "EV IAM cic=[0-9]+ called=89777123 " "$out" | head -1 | sed -n 's/.*cic=\([0-9]*\).*/\1/p')
	wait "$uac"
	check "it:iw-refer:sip-isup:caller-scenario (202, 2 NOTIFYs, BYE)" test $? -eq 0
	frags=$(notify_frags "$TMPD/uac.msg")
	check "it:iw-refer:sip-isup:notify-sipfrags ('$frags')" \
		test "$frags" = "SIP/2.0 100 Trying|SIP/2.0 200 OK"
	calls=$(vty $VTY "show calls")
	check "it:iw-refer:sip-isup:call-on-target (SIP->ISUP active, trunk target, no REL)" \
		test "$(rel_count "$cic")" -eq 0 -a \
		-n "$(grep "SIP->ISUP active: .*CIC $cic; SIP trunk target " <<<"$calls")"
	voice $RTP_T $cic rtp6 e1f
	rx_e1=$(grep "^TS $cic " "$TMPD/e1f.out" | tr ' ' '\n' | sed -n 's/^f1004_dbm0=//p')
	check "it:iw-refer:sip-isup:voice-target-to-tdm (${rx_e1:-?} dBm0, sent -13)" near "$rx_e1" -13 3
	check "it:iw-refer:sip-isup:voice-tdm-to-target (${rx_rtp:-?} dBm0, sent -10)" near "$rx_rtp" -10 3
	sw "release $cic 16"
	check "it:iw-refer:sip-isup:rel->rlc" wait_ev "$out" "EV RLC cic=$cic( |$)" 50
	wait "$target"
	check "it:iw-refer:sip-isup:bye-to-target (scenario complete)" test $? -eq 0
	check "it:iw-refer:sip-isup:cdr-line (dir sip-isup, trunk target)" wait_ev "$TMPD/td.log" \
		"CDR call=[0-9]+ dir=sip-isup .* cic=$cic trunk=target .* cause=16" 30
else
	fail "it:iw-refer:sip-isup:iam"
fi

# --- 6. attended transfer (RFC 5589 7, RFC 3891 Replaces): the phone
# holds two ISUP->SIP calls (CIC 10 = A, CIC 11 = B) and REFERs A with
# Replaces naming B. The gateway joins circuit 10 with circuit 11 (each
# channel's RTP to the other's), NOTIFY 200, BYE on both dialogs, no REL;
# then the switch releases CIC 10 and the gateway releases CIC 11 with
# the same cause; two CDRs.
start_bg "$TMPD/att.out" timeout 40 sipp -sf "$SIPP/uas_refer_replaces.xml" -key rtpport $RTP_X \
	-key target "sip:+4950999@127.0.0.1:$SIP" -i 127.0.0.1 -p $PHONE -m 2 -nostdin \
	-trace_msg -message_file "$TMPD/att.msg"
att=$BG_PID
wait_udp $PHONE 50
# the phone REFERs A 2.5 s after A's ACK, naming B: the switch places B
# itself the moment A is answered, not after the script has seen that (a
# loaded run's script was late and B was not up in time)
sw "call 10 50123410 89555"
sw "expect CON 10 30"
sw "call 11 50123411 89556"
check "it:iw-refer:attended:call-a-answered (CON 10)" wait_ev "$out" "EV CON cic=10( |$)" 50
check "it:iw-refer:attended:call-b-answered (CON 11)" wait_ev "$out" "EV CON cic=11( |$)" 50
check "it:iw-refer:attended:joined (log)" wait_ev "$TMPD/td.log" \
	"CIC 10, .*attended transfer: joined with call [0-9]+ \(CIC 11, " 50
wait "$att"
check "it:iw-refer:attended:phone-scenario (202, 2 NOTIFYs, BYE on A and on B)" test $? -eq 0
check "it:iw-refer:attended:202" grep -q "^SIP/2.0 202 Accepted" "$TMPD/att.msg"
frags=$(notify_frags "$TMPD/att.msg")
check "it:iw-refer:attended:notify-sipfrags (100 Trying then 200 OK: '$frags')" \
	test "$frags" = "SIP/2.0 100 Trying|SIP/2.0 200 OK"
byes=$(grep -c "^BYE sip:" "$TMPD/att.msg")
check "it:iw-refer:attended:bye-on-both-dialogs ($byes BYEs, distinct Call-IDs)" test "$byes" -eq 2 -a \
	"$(awk '/^BYE sip:/ { b = 1 } b && /^Call-ID:/ { print; b = 0 }' "$TMPD/att.msg" | sort -u | wc -l)" -eq 2
check "it:iw-refer:attended:referred-by-logged-not-passed-on" \
	grep -q "REFER Referred-By <sip:+4950123456@127.0.0.1:$PHONE> (kept here, not passed on)" "$TMPD/td.log"
calls=$(vty $VTY "show calls")
sed "s/^/   /" <<<"$calls" | head -4
check "it:iw-refer:attended:no-rel (CIC 10, 11)" test "$(rel_count 10)" -eq 0 -a "$(rel_count 11)" -eq 0
check "it:iw-refer:attended:both-calls-active (show calls)" test \
	"$(grep -cE "ISUP->SIP active: .*ISUP sw1 CIC (10|11);" <<<"$calls")" -eq 2
check "it:iw-refer:attended:show-calls-joined (each names the other)" test \
	"$(grep -cE "^  joined with call [0-9]+ \(attended transfer, no SIP leg\)" <<<"$calls")" -eq 2
# voice between the two circuits: 1004 Hz -10 dBm0 on TS 10, 1500 Hz -13
# dBm0 on TS 11, each measured on the other timeslot
"$BUILD/peers/e1-emu" --local 127.0.0.1:$SPAN_R --remote 127.0.0.1:$SPAN_L --timeslots 1-31 \
	--warmup 800 --ts "10:tone:1004:-10" --ts "11:tone:1500:-13" --freq 1500 --seconds 3 \
	>"$TMPD/e1j.out"
a_to_b=$(grep "^TS 11 " "$TMPD/e1j.out" | tr ' ' '\n' | sed -n 's/^f1004_dbm0=//p')
b_to_a=$(grep "^TS 10 " "$TMPD/e1j.out" | tr ' ' '\n' | sed -n 's/^f1500_dbm0=//p')
echo "   TS 10 -> TS 11: 1004 Hz at ${a_to_b:-?} dBm0 (sent -10); TS 11 -> TS 10: 1500 Hz at ${b_to_a:-?} dBm0 (sent -13)"
check "it:iw-refer:attended:voice-cic10-to-cic11 (-10 dBm0 +-3)" near "$a_to_b" -10 3
check "it:iw-refer:attended:voice-cic11-to-cic10 (-13 dBm0 +-3)" near "$b_to_a" -13 3
# each channel admitted the other's RTP (media admission: only the
# remote it was given; the workers' figures come every 2 s)
joined_media_ok() {
	local m
	for _ in $(seq 1 20); do
		m=$(vty $VTY "show calls" | grep -E "^  media .*RTP rx [1-9][0-9]* .*; refused 0;")
		[ "$(grep -c . <<<"$m")" -eq 2 ] && return 0
		sleep 0.3
	done
	vty $VTY "show calls" | sed "s/^/   /"
	return 1
}
check "it:iw-refer:attended:rtp-admitted (both channels rx > 0, refused 0)" joined_media_ok
sw "release 10 16"
check "it:iw-refer:attended:rel-10->rlc" wait_ev "$out" "EV RLC cic=10( |$)" 50
check "it:iw-refer:attended:rel-on-11 (cause 16, the joined call's)" wait_ev "$out" "EV REL cic=11 cause=16" 50
check "it:iw-refer:attended:cdr-lines (CIC 10 and 11, cause 16)" wait_ev "$TMPD/td.log" \
	"CDR call=[0-9]+ dir=isup-sip .* cic=11 trunk=phone .* cause=16 sip=200" 30
check "it:iw-refer:attended:cdr-line-10" grep -qE \
	"CDR call=[0-9]+ dir=isup-sip .* cic=10 trunk=phone .* cause=16 sip=200" "$TMPD/td.log"
check "it:iw-refer:attended:cdr-file (both calls answered, cause 16)" \
	CDR direction=isup-sip cic=10 record_type=call -- trunk=phone result=answered cause=16
check "it:iw-refer:attended:cdr-file-11" \
	CDR direction=isup-sip cic=11 record_type=call -- trunk=phone result=answered cause=16
check "it:iw-refer:attended:no-call-left" no_calls

# --- 6b. Replaces naming no dialog of ours: 202, then the 481 an INVITE
# with it would get in the final NOTIFY (RFC 3891 3); the call stays
start_bg "$TMPD/att481.out" timeout 30 sipp -sf "$SIPP/uas_refer.xml" -key rtpport $RTP_X \
	-key target "sip:+4930999@127.0.0.1:$SIP?Replaces=nosuch%40x%3Bto-tag%3Da%3Bfrom-tag%3Db" \
	-i 127.0.0.1 -p $XFER -m 1 -nostdin -trace_msg -message_file "$TMPD/att481.msg"
att481=$BG_PID
wait_udp $XFER 50
sw "call 12 30123412 89555"
check "it:iw-refer:replaces-481:answered (CON)" wait_ev "$out" "EV CON cic=12( |$)" 50
check "it:iw-refer:replaces-481:logged" wait_ev "$TMPD/td.log" \
	"REFER Replaces nosuch@x: no such confirmed dialog: 481" 50
# the final NOTIFY in the transferor's trace, its sipfrag the 481
wait_ev "$TMPD/att481.msg" "^SIP/2.0 481 " 50
frags=$(notify_frags "$TMPD/att481.msg")
check "it:iw-refer:replaces-481:notify-sipfrags (100 then 481: '$frags')" \
	test "$frags" = "SIP/2.0 100 Trying|SIP/2.0 481 Call/Transaction Does Not Exist"
check "it:iw-refer:replaces-481:call-stays (no REL, no BYE)" \
	test "$(rel_count 12)" -eq 0 -a -z "$(grep '^BYE ' "$TMPD/att481.msg")"
sw "release 12 16"
check "it:iw-refer:replaces-481:rel->rlc" wait_ev "$out" "EV RLC cic=12( |$)" 50
wait "$att481"
check "it:iw-refer:replaces-481:scenario (202, NOTIFYs, BYE after REL)" test $? -eq 0

# --- 6c. Replaces naming a dialog of another trunk (the phone's) from a
# transferor on trunk xfer: 403, both calls unchanged
start_bg "$TMPD/attb.out" timeout 30 sipp -sf "$SIPP/uas_media.xml" -key rtpport $RTP_T \
	-i 127.0.0.1 -p $PHONE -m 1 -nostdin -trace_msg -message_file "$TMPD/attb.msg"
attb=$BG_PID
wait_udp $PHONE 50
sw "call 13 50123413 89555"
check "it:iw-refer:replaces-other-trunk:b-answered (ANM 13)" wait_ev "$out" "EV (ANM|CON) cic=13( |$)" 50
# dialog B as the phone has it: Call-ID, tandem's tag (From), the phone's (To)
b_cid=$(sed -n 's/^Call-ID: *//p' "$TMPD/attb.msg" | head -1 | tr -d '\r')
b_ftag=$(grep -m1 "^From:" "$TMPD/attb.msg" | sed -n 's/.*;tag=\([^;> ]*\).*/\1/p' | tr -d '\r')
b_ttag=$(grep "^To:.*;tag=" "$TMPD/attb.msg" | head -1 | sed -n 's/.*;tag=\([^;> ]*\).*/\1/p' | tr -d '\r')
start_bg "$TMPD/attx.out" timeout 30 sipp -sf "$SIPP/uas_refer_refused.xml" -key rtpport $RTP_X \
	-key target "sip:+4930999@127.0.0.1:$SIP?Replaces=$b_cid%3Bto-tag%3D$b_ftag%3Bfrom-tag%3D$b_ttag" \
	-i 127.0.0.1 -p $XFER -m 1 -nostdin -trace_msg -message_file "$TMPD/attx.msg"
attx=$BG_PID
wait_udp $XFER 50
sw "call 14 30123414 89555"
check "it:iw-refer:replaces-other-trunk:a-answered (CON 14)" wait_ev "$out" "EV CON cic=14( |$)" 50
check "it:iw-refer:replaces-other-trunk:403" wait_ev "$TMPD/attx.msg" "^SIP/2.0 403 " 50
check "it:iw-refer:replaces-other-trunk:logged (dialog $b_cid)" grep -q \
	"REFER with Replaces names a dialog of trunk phone, not xfer: 403" "$TMPD/td.log"
check "it:iw-refer:replaces-other-trunk:calls-unchanged (no REL on 13, 14)" \
	test "$(rel_count 13)" -eq 0 -a "$(rel_count 14)" -eq 0
sw "release 14 16"
sw "release 13 16"
check "it:iw-refer:replaces-other-trunk:rel->rlc" wait_ev "$out" "EV RLC cic=13( |$)" 50
wait "$attx"
check "it:iw-refer:replaces-other-trunk:a-bye-after-rel (scenario complete)" test $? -eq 0
wait "$attb"
check "it:iw-refer:replaces-other-trunk:b-bye-after-rel (scenario complete)" test $? -eq 0

# --- 6d. Replaces from a trunk without "refer accept": 403 (its policy)
start_bg "$TMPD/attp.out" timeout 30 sipp -sf "$SIPP/uas_refer_refused.xml" -key rtpport $RTP_X \
	-key target "sip:+4930999@127.0.0.1:$SIP?Replaces=k%3Bto-tag%3Da%3Bfrom-tag%3Db" \
	-i 127.0.0.1 -p $NOXFER -m 1 -nostdin -trace_msg -message_file "$TMPD/attp.msg"
attp=$BG_PID
wait_udp $NOXFER 50
sw "call 15 40123415 89555"
check "it:iw-refer:replaces-policy:answered (CON)" wait_ev "$out" "EV CON cic=15( |$)" 50
check "it:iw-refer:replaces-policy:403" wait_ev "$TMPD/attp.msg" "^SIP/2.0 403 " 50
check "it:iw-refer:replaces-policy:logged" grep -q \
	"REFER with Replaces: trunk noxfer does not take transfers: 403" "$TMPD/td.log"
sw "release 15 16"
check "it:iw-refer:replaces-policy:rel->rlc" wait_ev "$out" "EV RLC cic=15( |$)" 50
wait "$attp"
check "it:iw-refer:replaces-policy:bye-after-rel (scenario complete)" test $? -eq 0

# --- 6e. attended transfer the other way: the phone called two ISUP
# parties through tandem (SIP->ISUP, tandem is the UAS of both dialogs, so
# its tag is the To tag) and REFERs the first with Replaces naming the
# second. The switch rings and answers each call the moment its IAM comes
# (the phone REFERs A 2.5 s after A's ACK: B must be up by then), not
# after the script has seen both IAMs (a loaded run's script was late)
for _ in 1 2; do
	answer_on_iam 89777124
done
start_bg "$TMPD/attu.out" timeout 40 sipp -sf "$SIPP/uac_refer_replaces.xml" 127.0.0.1:$SIP \
	-s +4989777124 -key target "sip:+4989777124@127.0.0.1:$SIP" -i 127.0.0.1 -p $PHONE \
	-m 2 -nostdin -trace_msg -message_file "$TMPD/attu.msg"
attu=$BG_PID
if wait_ev "$out" "EV IAM cic=[0-9]+ called=89777124 " 50 2; then
	cics=$(grep -E "EV IAM cic=[0-9]+ called=89777124 " "$out" | sed -n 's/.*cic=\([0-9]*\).*/\1/p')
	ca=$(head -1 <<<"$cics")
	cb=$(tail -1 <<<"$cics")
	wait "$attu"
	check "it:iw-refer:attended-sip-isup:phone-scenario (202, 2 NOTIFYs, BYE on both)" test $? -eq 0
	frags=$(notify_frags "$TMPD/attu.msg")
	check "it:iw-refer:attended-sip-isup:notify-sipfrags ('$frags')" \
		test "$frags" = "SIP/2.0 100 Trying|SIP/2.0 200 OK"
	check "it:iw-refer:attended-sip-isup:joined (log)" grep -qE \
		"attended transfer: joined with call [0-9]+ \(CIC ($ca|$cb), " "$TMPD/td.log"
	check "it:iw-refer:attended-sip-isup:no-rel (CIC $ca, $cb)" \
		test "$(rel_count $ca)" -eq 0 -a "$(rel_count $cb)" -eq 0
	"$BUILD/peers/e1-emu" --local 127.0.0.1:$SPAN_R --remote 127.0.0.1:$SPAN_L \
		--timeslots 1-31 --warmup 800 --ts "$ca:tone:1004:-10" --ts "$cb:tone:1500:-13" \
		--freq 1500 --seconds 3 >"$TMPD/e1u.out"
	a_to_b=$(grep "^TS $cb " "$TMPD/e1u.out" | tr ' ' '\n' | sed -n 's/^f1004_dbm0=//p')
	b_to_a=$(grep "^TS $ca " "$TMPD/e1u.out" | tr ' ' '\n' | sed -n 's/^f1500_dbm0=//p')
	echo "   TS $ca -> TS $cb: ${a_to_b:-?} dBm0 (sent -10); TS $cb -> TS $ca: ${b_to_a:-?} dBm0 (sent -13)"
	check "it:iw-refer:attended-sip-isup:voice-a-to-b (-10 dBm0 +-3)" near "$a_to_b" -10 3
	check "it:iw-refer:attended-sip-isup:voice-b-to-a (-13 dBm0 +-3)" near "$b_to_a" -13 3
	sw "release $cb 31"
	check "it:iw-refer:attended-sip-isup:rel-b->rlc" wait_ev "$out" "EV RLC cic=$cb( |$)" 50
	check "it:iw-refer:attended-sip-isup:rel-on-a (cause 31, the joined call's)" \
		wait_ev "$out" "EV REL cic=$ca cause=31" 50
	check "it:iw-refer:attended-sip-isup:cdr-lines (dir sip-isup, cause 31, both)" test "$(grep -cE \
		"CDR call=[0-9]+ dir=sip-isup .* cic=($ca|$cb) trunk=phone .* cause=31 sip=200" "$TMPD/td.log")" -eq 2
	check "it:iw-refer:attended-sip-isup:no-call-left" no_calls
else
	fail "it:iw-refer:attended-sip-isup:two-iams"
	kill "$attu" 2>/dev/null
fi

# --- 6f. a joined call keeps its trunk's max-call-duration (6 s here):
# the first call's limit ends it, and the call joined to it goes too
start_bg "$TMPD/attl.out" timeout 40 sipp -sf "$SIPP/uas_refer_replaces.xml" -key rtpport $RTP_X \
	-key target "sip:+4960999@127.0.0.1:$SIP" -i 127.0.0.1 -p $PHONELIM -m 2 -nostdin \
	-trace_msg -message_file "$TMPD/attl.msg"
attl=$BG_PID
wait_udp $PHONELIM 50
# (B placed by the switch the moment A is answered, as in 6)
sw "call 16 60123416 89555"
sw "expect CON 16 30"
sw "call 17 60123417 89556"
check "it:iw-refer:joined-limit:a-answered (CON 16)" wait_ev "$out" "EV CON cic=16( |$)" 50
check "it:iw-refer:joined-limit:b-answered (CON 17)" wait_ev "$out" "EV CON cic=17( |$)" 50
wait "$attl"
check "it:iw-refer:joined-limit:joined (202, NOTIFYs, BYE on both)" test $? -eq 0
check "it:iw-refer:joined-limit:no-rel-yet" test "$(rel_count 16)" -eq 0 -a "$(rel_count 17)" -eq 0
check "it:iw-refer:joined-limit:limit-reached (log)" wait_ev "$TMPD/td.log" \
	"CIC 16, .*maximum call duration \(6 s\) reached" 100
check "it:iw-refer:joined-limit:rel-16 (cause 16)" wait_ev "$out" "EV REL cic=16 cause=16" 50
check "it:iw-refer:joined-limit:rel-17 (the joined call, cause 16)" wait_ev "$out" "EV REL cic=17 cause=16" 50
check "it:iw-refer:joined-limit:no-call-left" no_calls

# --- 4. baresip as the transferor: its /transfer command (menu module),
# given through its UDP console (cons module), on an ISUP call it answered
BARESIP=$(command -v baresip)
MODS=$(dirname "$(dpkg -L baresip-core 2>/dev/null | grep '/g711\.so$' | head -1)")
if [ -z "$BARESIP" ]; then
	skip "it:iw-refer:baresip: baresip (package baresip-core) is not installed"
elif ! [ -f "$MODS/cons.so" -a -f "$MODS/menu.so" -a -f "$MODS/g711.so" ]; then
	skip "it:iw-refer:baresip: baresip modules cons/menu/g711 not found (in '$MODS')"
else
	mkdir -p "$TMPD/phone"
	cat >"$TMPD/phone/config" <<BCFG
poll_method		epoll
sip_listen		127.0.0.1:$PHONE
net_interface		127.0.0.1
audio_player		aubridge,nil
audio_source		aubridge,nil
audio_alert		aubridge,nil
rtp_ports		25524-25529
module_path		$MODS
module			g711.so
module			aubridge.so
module			cons.so
module_app		account.so
module_app		menu.so
cons_listen		127.0.0.1:$CONS
BCFG
	echo "<sip:+4950123456@127.0.0.1:$PHONE>;answermode=auto;regint=0" >"$TMPD/phone/accounts"
	: >"$TMPD/phone/contacts"
	start_bg "$TMPD/phone.log" "$BARESIP" -f "$TMPD/phone" -t 60
	start_bg "$TMPD/target4.out" timeout 40 sipp -sf "$SIPP/uas_media.xml" -key rtpport $RTP_T \
		-i 127.0.0.1 -p $TARGET -m 1 -nostdin -trace_msg -message_file "$TMPD/target4.msg"
	target=$BG_PID
	wait_ev "$TMPD/phone.log" "baresip is ready" 50 || fail "it:iw-refer:baresip:start"
	wait_udp $TARGET 50
	sw "call 6 50123456 89555"
	check "it:iw-refer:baresip:answered (ANM)" wait_ev "$out" "EV (ANM|CON) cic=6( |$)" 50
	# /transfer needs the call established at the phone (tandem's ACK in)
	check "it:iw-refer:baresip:phone-established" wait_ev "$TMPD/phone.log" "Call established" 50
	# and a second more: a /transfer right at "Call established" got the
	# NOTIFYs but baresip never ended its call (no BYE), twice in a row
	sleep 1
	echo "/transfer sip:+4930777@127.0.0.1:$TARGET" >/dev/udp/127.0.0.1/$CONS
	check "it:iw-refer:baresip:invite-at-target" \
		wait_ev "$TMPD/target4.msg" "^INVITE sip:\+4930777@127.0.0.1:$TARGET" 50
	check "it:iw-refer:baresip:transferred (log)" wait_ev "$TMPD/td.log" \
		"transferred to sip:\+4930777@127.0.0.1:$TARGET via trunk target" 50
	check "it:iw-refer:baresip:phone-sent-the-refer" wait_ev "$TMPD/phone.log" \
		"transferring call to sip:\+4930777@127.0.0.1:$TARGET" 30
	check "it:iw-refer:baresip:phone-call-ended (BYE after the transfer)" wait_ev "$TMPD/phone.log" \
		"Call with sip:\+4989555@127.0.0.1;user=phone terminated" 50
	check "it:iw-refer:baresip:no-rel-during-transfer" test "$(rel_count 6)" -eq 0
	voice $RTP_T 6 rtp4 e1c
	echo "   E1 TS6 -> target RTP: ${rx_rtp:-?} dBm0 (sent -10); target -> E1 TS6: ${rx_e1:-?} dBm0 (sent -13)"
	check "it:iw-refer:baresip:switch-hears-the-target (-13 dBm0 +-3)" near "$rx_e1" -13 3
	check "it:iw-refer:baresip:target-hears-the-switch (-10 dBm0 +-3)" near "$rx_rtp" -10 3
	sw "release 6 16"
	check "it:iw-refer:baresip:rel->rlc" wait_ev "$out" "EV RLC cic=6( |$)" 50
	wait "$target"
	check "it:iw-refer:baresip:bye-to-target (scenario complete)" test $? -eq 0
fi

exit ${FAILED:-0}
