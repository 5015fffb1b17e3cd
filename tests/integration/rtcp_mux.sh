#!/bin/bash
# RTCP multiplexed on the RTP port (RFC 5761), both roles:
#   - ISUP -> SIP toward a trunk with "rtcp-mux offer": the INVITE's offer
#     has a=rtcp-mux, sipp's 200 accepts it, tandem's RTCP socket for the
#     call is closed (its port binds again; the call holds one socket);
#     tandem's SR goes to the peer's RTP port, the peer (rtp-peer
#     --rtcp-mux) answers with an RR on the same port, and show calls
#     counts it ("RTCP rx N (rtcp-mux)", the peer's report, the round trip)
#   - SIP -> ISUP: sipp offers a=rtcp-mux, tandem's 200 answers with it and
#     holds one socket for the call (its RTCP port binds)
#   - "write" keeps the trunk's "rtcp-mux offer"
source "$(dirname "$0")/../lib.sh"
[ -x "$BUILD/peers/isup-switch" ] || { skip "it:rtcp-mux: isup-switch not built"; exit 0; }
[ -x "$BUILD/peers/rtp-peer" ] || { skip "it:rtcp-mux: rtp-peer not built"; exit 0; }
[ -x "$BUILD/peers/e1-emu" ] || { skip "it:rtcp-mux: e1-emu not built"; exit 0; }
command -v sipp >/dev/null || { skip "it:rtcp-mux: sipp is not installed"; exit 0; }
SIPP=$TOP/tests/integration/sipp
VTY=28400 M3UA=28401 SIP=28402 UAS=28403 UAC=28404 SPAN_L=28405 SPAN_R=28406 RTP=28410
RTP_MIN=28420

{
	gw_cfg_head info
	cat <<CFG
sip
 listen udp 127.0.0.1 $SIP
 trunk carrier
  remote 127.0.0.1 $UAS
  rtcp-mux offer
 trunk caller
  remote 127.0.0.1 $UAC
routing
 numbering country-code 49 national-prefix 0 international-prefix 00
 route to-sip default via carrier
 route to-isup default via sw1
media
 rtp-port-range $RTP_MIN $((RTP_MIN + 19))
 span 0 e1 local 127.0.0.1 $SPAN_L remote 127.0.0.1 $SPAN_R frames 8
CFG
} >"$TMPD/t.cfg"
# the called party's 200 accepts the mux (RFC 5761 5.1.1)
sed 's|a=ptime:20|a=ptime:20\n      a=rtcp-mux|' "$SIPP/uas_media.xml" >"$TMPD/uas_mux.xml"
# the calling party offers it
sed 's|a=rtpmap:8 PCMA/8000|a=rtpmap:8 PCMA/8000\n      a=rtcp-mux|' "$TOP/tests/bench/cps/uac.xml" \
	>"$TMPD/uac_mux.xml"
trap '' PIPE
switch_start --auto-answer
tandemd_start rtcp-mux
switch_link_up rtcp-mux

# port P held by a UDP socket in this namespace (tandemd's: nobody else
# binds in its range)
bound() { ss -Huan "sport = :$1" | grep -q .; }
# the call's RTP port P held, its RTCP port P+1 given back (the worker
# closes the socket asynchronously: a bounded wait)
mux_closed() { [ -n "$1" ] && bound "$1" && ! bound $(($1 + 1)); }

# --- ISUP -> SIP: we offer, the trunk accepts
start_bg "$TMPD/uas.out" timeout 60 sipp -sf "$TMPD/uas_mux.xml" -key rtpport $RTP \
	-i 127.0.0.1 -p $UAS -m 1 -nostdin -trace_msg -message_file "$TMPD/uas.msg"
uas=$BG_PID
sw "call 3 30123456 89555"
check "it:rtcp-mux:isup-to-sip:answered" wait_ev "$out" "EV ANM cic=3( |$)" 50
offer=$(sed -n '/INVITE sip:/,/^$/!{/^a=rtcp/p}' "$TMPD/uas.msg" | head -3 | tr '\r\n' '  ')
check "it:rtcp-mux:isup-to-sip:offer-has-rtcp-mux (offer: $offer)" \
	grep -q "^a=rtcp-mux" "$TMPD/uas.msg"
lport=$(sed -n 's/^m=audio \([0-9]*\) .*/\1/p' "$TMPD/uas.msg" | head -1)
check "it:rtcp-mux:isup-to-sip:rtcp-socket-closed (RTP port $lport bound, $((lport + 1)) not)" \
	until_tenths 20 mux_closed "$lport"
# voice both ways clocks the channel; tandem's first SR 2.5 s after media
# starts, answered at once by the peer on the RTP port
start_bg "$TMPD/rtp.out" "$BUILD/peers/rtp-peer" --local 127.0.0.1:$RTP --remote 127.0.0.1:$lport \
	--tone 1004:-13 --seconds 4 --drain 1000 --rtcp-mux
rtp=$BG_PID
"$BUILD/peers/e1-emu" --local 127.0.0.1:$SPAN_R --remote 127.0.0.1:$SPAN_L --timeslots 1-31 \
	--ts 3:tone:1004:-10 --seconds 4 >"$TMPD/e1.out"
wait "$rtp"
sleep 2.2 # show calls' figures are asked for every 2 s
calls=$(vty $VTY "show calls")
echo "$calls" | grep "^  media" | sed 's/^/   /'
peer=$(grep ^RTCP "$TMPD/rtp.out")
check "it:rtcp-mux:isup-to-sip:peer-got-sr-on-rtp-port (peer: ${peer:-nothing})" \
	grep -qE "^RTCP sr_rx=[1-9][0-9]* rr_tx=[1-9]" "$TMPD/rtp.out"
check "it:rtcp-mux:isup-to-sip:show-calls-rtcp-rx ($(grep -o 'RTCP rx [^;]*' <<<"$calls" | head -1))" \
	grep -qE "; RTCP rx [1-9][0-9]* \(rtcp-mux\)" <<<"$calls"
check "it:rtcp-mux:isup-to-sip:peer-report-and-rtt ($(grep -o 'peer reports[^;]*' <<<"$calls" | head -1))" \
	grep -qE "peer reports lost [0-9]+ \([0-9.]+ %\) jitter [0-9.]+ ms rtt [0-9.]+ ms" <<<"$calls"
check "it:rtcp-mux:isup-to-sip:rtp-not-refused (RTCP on the RTP port is not a bad RTP packet)" \
	grep -qE "; refused 0;" <<<"$calls"
sw "release 3 16"
wait_ev "$out" "EV RLC cic=3( |$)" 50 || fail "it:rtcp-mux:isup-to-sip:released"
wait "$uas" 2>/dev/null

# --- SIP -> ISUP: the caller offers, we accept
start_bg "$TMPD/uac.out" timeout 60 sipp -sf "$TMPD/uac_mux.xml" -s 4930123456 127.0.0.1:$SIP \
	-i 127.0.0.1 -p $UAC -m 1 -d 3000 -nostdin -trace_msg -message_file "$TMPD/uac.msg"
uac=$BG_PID
check "it:rtcp-mux:sip-to-isup:answered" wait_ev "$out" "EV ANM" 50
sleep 0.5
aport=$(sed -n '/^SIP\/2.0 200/,$ s/^m=audio \([0-9]*\) .*/\1/p' "$TMPD/uac.msg" | head -1)
check "it:rtcp-mux:sip-to-isup:answer-has-rtcp-mux (RTP port ${aport:-?})" \
	eval "sed -n '/^SIP\/2.0 200/,\$p' '$TMPD/uac.msg' | grep -q '^a=rtcp-mux'"
check "it:rtcp-mux:sip-to-isup:rtcp-socket-closed (RTP port ${aport:-?} bound, $((${aport:-0} + 1)) not)" \
	until_tenths 20 mux_closed "$aport"
wait "$uac"
uac_rc=$?
check "it:rtcp-mux:sip-to-isup:sipp-ok (sipp exit $uac_rc)" test "$uac_rc" = 0

check "it:rtcp-mux:write-keeps-option" grep -q '^  rtcp-mux offer$' <<<"$(vty $VTY enable 'show running-config')"
check "it:rtcp-mux:tandemd-alive" kill -0 $td
exit 0
