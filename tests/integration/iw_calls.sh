#!/bin/bash
# Interworking calls end to end (RFC 3398): the libss7 switch (ISUP over
# M3UA) on one side, sipp on the other, an emulated E1 (CESoPSN) carrying
# the circuits' voice and an RTP endpoint standing for the SIP side's media.
#   - ISUP -> SIP answered: ACM on 180, ANM on 200, a 1004 Hz tone crosses
#     both ways (E1 timeslot <-> RTP), DTMF in-band <-> RFC 4733, REL from the switch -> BYE with
#     Reason: Q.850;cause=16, show calls while it runs
#   - the answered call traced ("trace call ... pcap rtp"): tshark finds its
#     RTP both ways and its RTCP in the pcap, not the refused third party's;
#     its RTCP reports (tandem's SR, the peer's RR) reach a HEP collector as
#     protocol type 5 (JSON) with the call's Call-ID, the same reports
#     tshark decodes from the pcap
#   - hold: a re-INVITE with sendonly is answered recvonly (RFC 3264 8.4)
#   - no answer on the ISUP side (linkset sw2): T9 -> REL 19 and 480 toward SIP
#   - refusals: 404 -> REL 1; 486 -> REL 17; 403 with Reason: Q.850;cause=21 -> REL 21
#     (the Reason wins); a route to a trunk that does not exist -> REL 34
#   - the ISUP caller gives up while the SIP side rings -> CANCEL
#   - failover: a trunk answering 503 -> the rule's next trunk
#   - a diverted call: Diversion or History-Info per trunk
#   - a trunk at its concurrent-call limit: REL 42
#   - SIP-I trunk (Q.1912.5): the INVITE carries the IAM as application/isup
#     in a multipart body; tshark decodes it as the IAM the switch sent
#   - SIP-I on receipt: the ACM/CPG/ANM and INFO-CPG a trunk encapsulates
#     (sipp uas_sipi.xml) reach the switch with their own BCI/OBCI/event,
#     a malformed one is ignored, the BYE's REL cause beats its Reason
#   - 3xx follow: a 302's Contact on a configured trunk is tried (with
#     Diversion), one on a foreign host refused, the loop back skipped; a
#     302 without a usable Contact -> REL 31
#   - Kamailio (tm + record_route) in front: sipp -> kamailio -> tandem ->
#     switch, the route set used by ACK and BYE
#   - SIP -> ISUP: P-Asserted-Identity and Privacy: id (RFC 3325) give the
#     calling number, restricted
#   - SIP -> ISUP: Diversion gives redirecting number, reason, counter and
#     original called number
#   - a graceful stop with a call up releases it on both sides
#   - ENUM (dnsmasq): a route marked enum takes the SIP URI found as the
#     Request-URI; a ported number (tel: with ;npdi;rn=) is routed on its
#     routing number and sent with ;npdi;rn= (RFC 4694)
source "$(dirname "$0")/../lib.sh"
[ -x "$BUILD/peers/isup-switch" ] || { skip "it:iw-calls: isup-switch not built"; exit 0; }
command -v sipp >/dev/null || { skip "it:iw-calls: sipp is not installed"; exit 0; }
cd "$TMPD" || exit 1
SIPP=$TOP/tests/integration/sipp
# each sipp has a bound (timeout 60) only for a script gone wrong: under a
# load of 25 the old 20 s ran out before the hold call's BYE came
ports 25150 VTY M3UA SIP UAS UAS2 SPAN_L SPAN_R DNS UAS3 UAS4 UAS5 UAS6 UAS7 UAS8 KAM UAC9
# sipp's media ports (RTP; RTCP the next one): MP_UE for the UPDATE calls,
# whose scenarios offer MP_UE + 2 next; MP_DO, MP_DP for the delayed offers
MP_UE=25166 RTP=25170 MP_DO=25172 MP_DP=25174 HEPP=25176
# span 1 (linkset sw2's circuits): nothing feeds it, so it sends nothing
SPAN2_L=25178 SPAN2_R=25179
DNSMASQ=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)

near() { # VALUE TARGET TOLERANCE
	awk -v v="$1" -v t="$2" -v d="$3" 'BEGIN { exit !(v != "" && v >= t - d && v <= t + d) }'
}

# iam_for NUMBER: until the switch reports the IAM of a call to NUMBER
# (5 s at most); sets iam (its line) and cic, or fails
iam_for() {
	wait_ev "$out" "EV IAM cic=[0-9]+ called=$1 " 50 || return 1
	iam=$(grep -E "EV IAM cic=[0-9]+ called=$1 " "$out" | head -1)
	cic=$(sed -n 's/.*cic=\([0-9]*\).*/\1/p' <<<"$iam")
}

{
	gw_cfg_head info print-level
	cat <<CFG
 ! sw2: point code 3 toward the same switch (its --dpc-cics 3:32-33), for
 ! the no-answer test alone: T9 3 s there, none on sw1, so sw1's calls
 ! that wait for an event between the ACM and the ANM (UPDATE, PRACK) have
 ! no timer against this script's latency
 linkset sw2
  asp sg1
  variant itu
  point-code local 3 remote 1
  cic 32 33 span 1 timeslot 1
  timer T9 3
sip
 listen udp 127.0.0.1 $SIP
 trunk carrier
  remote 127.0.0.1 $UAS
  redirection diversion
 trunk sipi
  remote 127.0.0.1 $UAS2
  trust-identity yes
  mode sip-i
  redirection history-info
 trunk busytrunk
  remote 127.0.0.1 $UAS3
  trust-identity yes
 trunk small
  remote 127.0.0.1 $UAS4
  limits calls 1 cps 0
  tones us
 trunk toned
  remote 127.0.0.1 $UAS6
  tones-on-failure 2
 trunk infotrunk
  remote 127.0.0.1 $UAS5
  dtmf info
 trunk redir
  remote 127.0.0.1 $UAS7
  redirect follow 2
 trunk redir2
  remote 127.0.0.1 $UAS8
  redirection diversion
 trunk kam
  remote 127.0.0.1 $KAM
routing
 numbering country-code 49 national-prefix 0 international-prefix 00
 route to-sip default via carrier
 route to-sip 49999 via nosuchtrunk
 route to-sip 4930999 enum via carrier
 route to-sip 4977 via carrier
 route to-sip 4940 via sipi
 route to-sip 4950 via busytrunk carrier
 route to-sip 4960 via small
 route to-sip 4970 via infotrunk
 route to-sip 4975 via toned
 route to-sip 4945 via redir
 route to-isup default via sw1
 route to-isup 4989777009 via sw2
 enum servers 127.0.0.1:$DNS
 enum timeout 300
media
 rtp-port-range 25180 25199
 ! the call at CIC 3 stays up across many checks after its RTP peer is
 ! done: in two loaded runs the 30 s RTP timeout released it (cause 41)
 ! in the middle of the DTMF checks
 rtp-timeout 0
 span 0 e1 local 127.0.0.1 $SPAN_L remote 127.0.0.1 $SPAN_R frames 8
 span 1 e1 local 127.0.0.1 $SPAN2_L remote 127.0.0.1 $SPAN2_R frames 8
operations
 cdr file $TMPD/cdr.json format json
hep
 trace-directory $TMPD/trace
 collector 127.0.0.1 $HEPP
 agent-id 2002
CFG
} >"$TMPD/t.cfg"
mkdir -p "$TMPD/trace"
if [ -x "$DNSMASQ" ]; then
	# +4930999001: a SIP URI; +4930999002: ported, routing number +4977001
	cat >"$TMPD/dnsmasq.conf" <<CONF
port=$DNS
listen-address=127.0.0.1
bind-interfaces
no-resolv
no-hosts
local=/e164.arpa/
local-ttl=60
naptr-record=1.0.0.9.9.9.0.3.9.4.e164.arpa,10,10,u,E2U+sip,!^.*\$!sip:enum-found@127.0.0.1!
naptr-record=2.0.0.9.9.9.0.3.9.4.e164.arpa,10,10,u,E2U+pstn:tel,!^(.*)\$!tel:\\1;npdi;rn=+4977001!
CONF
	start_bg "$TMPD/dnsmasq.log" "$DNSMASQ" -k -C "$TMPD/dnsmasq.conf" --pid-file= \
		--user=nobody --log-facility=- --log-queries
	# bound before the first ENUM query (one to a port nobody holds is
	# refused at once and the call routes without ENUM)
	wait_udp $DNS 50
fi
# the switch's --timeout (PEER_LIFE): only a bound for a script that dies; under a load of 20+ this
# script once took 260 s and the switch's old 180 s bound ended it before
# the last command, whose write to the FIFO then killed the script (SIGPIPE,
# exit 141 with no FAIL line); a write to a switch gone now fails the check
# that needed it instead
trap '' PIPE
# CICs 32-33 are sw2's, toward point code 3
switch_start --cics 1-33 --dpc-cics 3:32-33
swpid=$SW_PID
tandemd_start iw-calls
switch_link_up iw-calls

# --- ISUP -> SIP, answered, with voice both ways
# (a bound only: this call carries the voice, RTCP and DTMF checks, about
# 15 s; under a load of 25 they once took more than the old 30 s, sipp
# went before the BYE and every later call met the stray BYE)
start_bg "$TMPD/uas1.out" timeout 90 sipp -sf "$SIPP/uas_media.xml" -key rtpport $RTP \
	-i 127.0.0.1 -p $UAS -m 1 -nostdin -trace_msg -message_file "$TMPD/uas1.msg"
uas=$BG_PID
start_bg "$TMPD/hepc.out" python3 "$TOP/tests/integration/hep_collector.py" serve $HEPP \
	"$TMPD/hep.jsonl" 120
hepc=$BG_PID
wait_udp $HEPP 50 || fail "it:iw-calls:hep-collector-start"
reply=$(vty $VTY enable "trace call 30123456 1 pcap rtp")
check "it:iw-calls:trace-rtp:vty-reply ($reply)" grep -q "(with RTP and RTCP)" <<<"$reply"
sw "call 3 30123456 89555"
check "it:iw-calls:isup-to-sip:acm-on-180" wait_ev "$out" "EV ACM cic=3( |$)" 50
check "it:iw-calls:isup-to-sip:anm-on-200" wait_ev "$out" "EV ANM cic=3( |$)" 50
calls=$(vty $VTY "show calls")
check "it:iw-calls:show-calls (ISUP->SIP active, CIC 3, +4989555 -> +4930123456)" \
	grep -qE "ISUP->SIP active: \+4989555 -> \+4930123456; ISUP sw1 CIC 3([^0-9]|$)" <<<"$calls"
# no OPTIONS keep-alive on these trunks: the one carrying the call is "in
# use", an idle one "unknown", neither "down" (issue 18)
trunks=$(vty $VTY "show sip trunks")
check "it:iw-calls:show-sip-trunks-in-use (no keep-alive, a call up)" \
	grep -qE "^carrier .*, in use, calls 1/" <<<"$trunks"
check "it:iw-calls:show-sip-trunks-unknown (no keep-alive, idle)" \
	grep -qE "^infotrunk .*, unknown, calls 0/" <<<"$trunks"

# --rtcp: the peer answers tandem's SR (2.5 s after media starts) with an
# RR, so the peer's figures and the round trip reach show calls and the CDR
start_bg "$TMPD/rtp.out" "$BUILD/peers/rtp-peer" --local 127.0.0.1:$RTP --latch \
	 --tone 1004:-13 --seconds 3 --drain 1000 --rtcp
rtp=$BG_PID
# Media admission (issue 14 item 5): meanwhile a third party (127.0.0.3,
# the same port as the real peer) floods the call's RTP port with a loud
# 1800 Hz tone, 100 packets/s: dropped, counted, never on the timeslot.
lport=$(sed -n 's/^m=audio \([0-9]*\) .*/\1/p' "$TMPD/uas1.msg" | head -1)
flood=""
if [ -n "$lport" ]; then
	start_bg "$TMPD/flood.out" "$BUILD/peers/rtp-peer" --local 127.0.0.3:$RTP \
		--remote 127.0.0.1:$lport --ptime 10 --tone 1800:-3 --seconds 3
	flood=$BG_PID
fi
"$BUILD/peers/e1-emu" --local 127.0.0.1:$SPAN_R --remote 127.0.0.1:$SPAN_L --timeslots 1-31 \
	--ts 3:tone:1004:-10 --freq 1800 --seconds 3 >"$TMPD/e1.out"
wait "$rtp" $flood
rx_rtp=$(tr ' ' '\n' <"$TMPD/rtp.out" | sed -n 's/^f1004_dbm0=//p' | head -1)
rx_e1=$(grep "^TS 3 " "$TMPD/e1.out" | tr ' ' '\n' | sed -n 's/^f1004_dbm0=//p')
rx_flood=$(grep "^TS 3 " "$TMPD/e1.out" | tr ' ' '\n' | sed -n 's/^f1800_dbm0=//p')
flood_tx=$(tr ' ' '\n' <"$TMPD/flood.out" 2>/dev/null | awk '/^TX$/ {t = 1; next} t && /^pkts=/ {sub("pkts=", ""); print; exit}')
echo "   E1 TS3 -> RTP: 1004 Hz at ${rx_rtp:-?} dBm0 (sent -10); RTP -> E1 TS3: ${rx_e1:-?} dBm0 (sent -13)"
check "it:iw-calls:voice-tdm-to-rtp (-10 dBm0 +-3)" near "$rx_rtp" -10 3
check "it:iw-calls:voice-rtp-to-tdm (-13 dBm0 +-3)" near "$rx_e1" -13 3
check "it:iw-calls:rtp-flood-not-heard (third party's 1800 Hz at ${rx_flood:-?} dBm0 on TS3, sent -3; its ${flood_tx:-?} packets)" \
	awk -v v="${rx_flood:-0}" -v n="${flood_tx:-0}" 'BEGIN { exit !(n >= 100 && v < -50) }'
# the channel's figures reach show calls (asked for every 2 s)
sleep 2.2
calls=$(vty $VTY "show calls")
echo "$calls" | grep "^  media" | sed 's/^/   /'
check "it:iw-calls:show-calls:codec-and-rtp-figures" \
	grep -qE "^  media PCM[AU]/20 ms; RTP rx [1-9][0-9]* tx [1-9][0-9]* lost 0 jitter" <<<"$calls"
check "it:iw-calls:rtcp-peer-report (show calls: $(grep -o 'peer reports[^;]*' <<<"$calls" | head -1); peer: $(grep ^RTCP "$TMPD/rtp.out"))" \
	grep -qE "peer reports lost 0 \(0\.0 %\) jitter [0-9.]+ ms rtt [0-9.]+ ms" <<<"$calls"
refused=$(sed -n 's/.*; refused \([0-9]*\).*/\1/p' <<<"$calls" | head -1)
check "it:iw-calls:rtp-flood-counted (show calls: refused ${refused:-?} of ${flood_tx:-?} sent)" \
	test -n "$refused" -a "${refused:-0}" = "${flood_tx:-x}"
check "it:iw-calls:show-calls:echo-canceller-figures" grep -qE "; EC (ERL|off)" <<<"$calls"
# DTMF: in-band on the E1 side -> RFC 4733 on RTP (the RTP endpoint listens
# first), then RFC 4733 -> in-band on the E1 side (the E1 listens first)
# (with nothing heard in its --seconds, from its own start, the RTP peer
# stops: loaded run 46's e1-emu sent after its 3 s and it heard nothing;
# now it lasts until the E1 side is done, then drains)
start_bg "$TMPD/rtp2.out" "$BUILD/peers/rtp-peer" --local 127.0.0.1:$RTP --latch --seconds 20 \
	--drain 500
rtp=$BG_PID
wait_udp $RTP # it listens (a fixed 0.3 s is a race on a loaded machine)
"$BUILD/peers/e1-emu" --local 127.0.0.1:$SPAN_R --remote 127.0.0.1:$SPAN_L --timeslots 1-31 \
	--ts 3:dtmf:2580 --seconds 2 >/dev/null
kill -USR1 "$rtp" 2>/dev/null
wait "$rtp"
start_bg "$TMPD/e1b.out" "$BUILD/peers/e1-emu" --local 127.0.0.1:$SPAN_R --remote 127.0.0.1:$SPAN_L \
	--timeslots 1-31 --seconds 3
e1=$BG_PID
wait_udp $SPAN_R
"$BUILD/peers/rtp-peer" --local 127.0.0.1:$RTP --latch --events 147 --seconds 2 >/dev/null
wait "$e1"
check "it:iw-calls:dtmf-tdm-to-rfc4733 (2580)" grep -q 'events="2580" inband_dtmf=""' "$TMPD/rtp2.out"
check "it:iw-calls:dtmf-rfc4733-to-tdm (147)" grep -q '^TS 3 .*dtmf="147"' "$TMPD/e1b.out"
sw "release 3 16"
check "it:iw-calls:rel->rlc" wait_ev "$out" "EV RLC cic=3( |$)" 50
wait "$uas"
check "it:iw-calls:rel->bye (sipp scenario complete)" test $? -eq 0
check "it:iw-calls:bye-carries-reason-q850-16" grep -q "Reason: Q.850;cause=16" "$TMPD/uas1.msg"
check "it:iw-calls:invite-has-pai" grep -q "P-Asserted-Identity: <sip:+4989555@" "$TMPD/uas1.msg"
# the traced call's media in its pcap, as tshark decodes it
vty $VTY "show trace" | sed 's/^/   /'
vty $VTY "show hep" | sed 's/^/   /'
vty $VTY enable "no trace call" >/dev/null
kill "$hepc" 2>/dev/null
wait "$hepc" 2>/dev/null
pcapf=$(ls "$TMPD"/trace/trace-30123456-*.pcap 2>/dev/null | head -1)
callid=$(grep -m1 -i '^Call-ID:' "$TMPD/uas1.msg" | sed 's/^[^:]*: *//' | tr -d '\r')
peer_tx=$(tr ' ' '\n' <"$TMPD/rtp.out" | awk '/^TX$/ {t = 1; next} t && /^pkts=/ {sub("pkts=", ""); print; exit}')
if [ -z "$pcapf" ] || [ -z "$lport" ]; then
	fail "it:iw-calls:trace-rtp:pcap (file '${pcapf}', local RTP port '${lport}')"
elif command -v tshark >/dev/null; then
	ts() { tshark -r "$pcapf" -d "udp.port==$lport,rtp" -d "udp.port==$((lport + 1)),rtcp" "$@" 2>/dev/null; }
	rtp_tx=$(ts -Y "rtp && udp.srcport==$lport" -T fields -e rtp.seq | wc -l)
	rtp_rx=$(ts -Y "rtp && udp.dstport==$lport && ip.src==127.0.0.1" -T fields -e rtp.seq | wc -l)
	rtp_3rd=$(ts -Y "ip.src==127.0.0.3" -T fields -e frame.number | wc -l)
	sip_n=$(ts -Y sip -T fields -e frame.number | wc -l)
	check "it:iw-calls:trace-rtp:pcap-rtp-both-ways (tshark: $rtp_tx sent, $rtp_rx received; the first peer sent ${peer_tx:-?}; SIP $sip_n)" \
		test "$rtp_tx" -ge 100 -a "$rtp_rx" -ge "${peer_tx:-1000000}" -a "$sip_n" -gt 0
	check "it:iw-calls:trace-rtp:refused-source-not-in-pcap ($rtp_3rd from 127.0.0.3)" test "$rtp_3rd" = 0
	ts -Y "rtcp.pt==200 && udp.srcport==$((lport + 1))" -T fields -e rtcp.senderssrc \
		-e rtcp.sender.packetcount >"$TMPD/sr-pcap.txt"
	ts -Y "rtcp.pt==201 && udp.dstport==$((lport + 1))" -T fields -e rtcp.senderssrc \
		-e rtcp.ssrc.identifier >"$TMPD/rr-pcap.txt"
	check "it:iw-calls:trace-rtp:pcap-rtcp (tshark: $(wc -l <"$TMPD/sr-pcap.txt") SR sent, $(wc -l <"$TMPD/rr-pcap.txt") RR received)" \
		test -s "$TMPD/sr-pcap.txt" -a -s "$TMPD/rr-pcap.txt"
	# HEP type 5 with the call's Call-ID: the SRs tandem sent and the RRs
	# it received, each as tshark read it from the pcap
	cat >"$TMPD/hep_rtcp.py" <<'PY'
import json, sys
out, callid, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
pk = [json.loads(l) for l in open(out)]
r5 = [p for p in pk if p.get("proto_type") == 5]
bad = [p for p in r5 if "rtcp" not in p or p.get("ip_proto") != 17 or p.get("agent") != 2002]
mine = [p for p in r5 if p.get("corr") == callid]
sr = [p for p in mine if p["rtcp"].get("type") == 200 and p.get("sport") == port]
rr = [p for p in mine if p["rtcp"].get("type") == 201 and p.get("dport") == port]
want_sr = {tuple(int(x, 0) for x in l.split()) for l in open(sys.argv[4]) if l.strip()}
got_sr = {(p["rtcp"]["ssrc"], p["rtcp"]["sender_information"]["packets"]) for p in sr}
want_rr = {tuple(int(x, 0) for x in l.split()) for l in open(sys.argv[5]) if l.strip()}
got_rr = {(p["rtcp"]["ssrc"], p["rtcp"]["report_blocks"][0]["source_ssrc"]) for p in rr
          if p["rtcp"]["report_blocks"]}
why = []
if bad:
    why.append("%d malformed: %s" % (len(bad), bad[0]))
if not sr or got_sr != want_sr:
    why.append("SR sent %s, pcap %s" % (sorted(got_sr), sorted(want_sr)))
if not rr or got_rr != want_rr:
    why.append("RR received %s, pcap %s" % (sorted(got_rr), sorted(want_rr)))
print(("ok " if not why else "") + "%d RTCP reports over HEP, %d of this call (%d SR sent, %d RR received)%s"
      % (len(r5), len(mine), len(sr), len(rr), "; " + "; ".join(why) if why else ""))
PY
	python3 "$TMPD/hep_rtcp.py" "$TMPD/hep.jsonl" "$callid" $((lport + 1)) "$TMPD/sr-pcap.txt" \
		"$TMPD/rr-pcap.txt" >"$TMPD/hep-rtcp.txt" 2>&1
	check "it:iw-calls:hep-rtcp:reports-correlated ($(tail -1 "$TMPD/hep-rtcp.txt"))" \
		grep -q "^ok" "$TMPD/hep-rtcp.txt"
else
	skip "it:iw-calls:trace-rtp tshark not installed"
fi
sleep 0.3
check "it:iw-calls:cdr-line (numbers, CIC, trunk, cause 16, SIP 200)" grep -qE \
	"CDR call=1 dir=isup-sip start=[0-9TZ:-]+ setup_s=[0-9]+ answered=yes talk_s=[0-9]+ calling=\+4989555 called=\+4930123456 linkset=sw1 cic=3 trunk=carrier call_id=[^ ]+ cause=16 sip=200" \
	"$TMPD/td.log"
check "it:iw-calls:cdr-media-line (RTP counted)" grep -qE "CDR media channel=[0-9a-f]+ rtp_rx=[1-9]" \
	"$TMPD/td.log"
check "it:iw-calls:cdr-media-rtcp ($(grep -m1 -oE 'refused=[0-9]+ .* rtcp_rx=[0-9]+' "$TMPD/td.log"))" \
	grep -qE "CDR media channel=[0-9a-f]+ .* refused=[1-9][0-9]* .* peer_lost=0 .* rtt_ms=[0-9.]+ rtcp_rx=[1-9]" \
	"$TMPD/td.log"
# issue 13 item 7: a normal call's lines are INFO; at the default level
# (notice) only its records remain, in their own category DCDR
cid1=$(sed -n 's/.*CDR call=1 .* call_id=\([^ ]*\) .*/\1/p' "$TMPD/td.log" | head -1)
n1=$(grep -E "NOTICE" "$TMPD/td.log" | grep -v "^DCDR NOTICE" | grep -cE "call 1 \(|${cid1:-no-call-id}")
check "it:iw-calls:per-call-notice-lines (normal call: $n1 at NOTICE)" test "$n1" -eq 0
check "it:iw-calls:cdr-own-category (DCDR NOTICE)" grep -qE "^DCDR NOTICE .*CDR call=1 dir=isup-sip" "$TMPD/td.log"

# --- hold: the SIP side re-INVITEs with sendonly; tandem answers recvonly
start_bg "$TMPD/uas-hold.out" timeout 60 sipp -sf "$SIPP/uas_hold.xml" -i 127.0.0.1 -p $UAS -m 1 \
	-nostdin
uas=$BG_PID
sw "call 8 30123460 89555"
wait_ev "$out" "EV (ANM|CON) cic=8( |$)" 50
check "it:iw-calls:reinvite-hold-logged" wait_ev "$TMPD/td.log" "re-INVITE: .*(on hold)" 30
sw "release 8 16"
wait_ev "$out" "EV RLC cic=8( |$)" 50
wait "$uas"
check "it:iw-calls:reinvite-hold-answered-recvonly (sipp scenario complete)" test $? -eq 0

# --- refusals
sed 's/STATUS/486/' "$SIPP/uas_reject.xml" >"$TMPD/uas_486.xml"
sed 's/STATUS/403/' "$SIPP/uas_reject.xml" >"$TMPD/uas_403.xml"
# Reason: Q.850;cause=0 names no cause: the status decides, as in
# `tandem-tool cause sip2isup 486 'Q.850;cause=0'` (issue 16: was REL 0)
start_bg "$TMPD/uas2.out" timeout 60 sipp -sf "$TMPD/uas_486.xml" \
	-key reason "Q.850;cause=0" -i 127.0.0.1 -p $UAS -m 1 -nostdin
uas=$BG_PID
sw "call 4 30123457 89555"
check "it:iw-calls:486+reason-q850-0->rel-17 (RFC 3398 8.2.6.1)" wait_ev "$out" "EV REL cic=4 cause=17" 50
check "it:iw-calls:cdr-486" wait_ev "$TMPD/td.log" "CDR call=[0-9]+ dir=isup-sip .* cic=4 .* cause=17 sip=486" 30
wait "$uas"
# a trunk with tones-on-failure: 486 -> ACM (in-band information), busy
# tone (ITU 425 Hz) on the circuit for 2 s, then REL 17
start_bg "$TMPD/uas-toned.out" timeout 60 sipp -sf "$TMPD/uas_486.xml" \
	-key reason "SIP;cause=486" -i 127.0.0.1 -p $UAS6 -m 1 -nostdin
uas=$BG_PID
# the span runs from before the call to after the tone's 2 s, and the
# tone's level is its loudest whole second (an emulator started once the
# script saw the ACM came too late for the tone on a loaded machine)
start_bg "$TMPD/e1-busy.out" "$BUILD/peers/e1-emu" --local 127.0.0.1:$SPAN_R \
	--remote 127.0.0.1:$SPAN_L --timeslots 1-31 --freq 425 --seconds 4 --warmup 100
e1=$BG_PID
sw "call 25 75123456 89555"
check "it:iw-calls:tones-on-failure:acm-first" wait_ev "$out" "EV ACM cic=25( |$)" 50
# REL is due 2 s after the ACM (checked below on tandem's own CDR: a
# look 1.2 s after the script saw the ACM failed when it saw it late)
wait_ev "$out" "EV REL cic=25( |$)" 50
wait "$e1"
f425=$(grep "^TS 25 " "$TMPD/e1-busy.out" | sed -n 's/.*f425_max_dbm0=\([-0-9.]*\).*/\1/p')
echo "   busy tone on TS 25: 425 Hz at ${f425:-?} dBm0 in its loudest second (on/off 0.5 s)"
check "it:iw-calls:tones-on-failure:busy-tone-on-the-e1" \
	awk -v a="$f425" 'BEGIN { exit !(a != "" && a > -25) }'
# from the IAM to the REL in tandem's record: the 486 came at once, the
# REL waited the tone's 2 s (the CDR is written as the call ends)
ms=""
cdr_setup_ms_25() {
	ms=$("$TOP/tests/integration/cdr_check.py" "$TMPD/cdr.json" direction=isup-sip cic=25 \
		--get setup_ms 2>/dev/null) && [ -n "$ms" ]
}
until_tenths 50 cdr_setup_ms_25
check "it:iw-calls:tones-on-failure:rel-not-before-the-tone (CDR: REL ${ms:-?} ms after the IAM)" \
	awk -v v="$ms" 'BEGIN { exit !(v != "" && v >= 2000 && v < 4000) }'
check "it:iw-calls:tones-on-failure:rel-17-after" wait_ev "$out" "EV REL cic=25 cause=17" 50
wait "$uas"
start_bg "$TMPD/uas3.out" timeout 60 sipp -sf "$TMPD/uas_403.xml" \
	-key reason "Q.850;cause=21" -i 127.0.0.1 -p $UAS -m 1 -nostdin
uas=$BG_PID
sw "call 5 30123458 89555"
check "it:iw-calls:403+reason-21->rel-21 (Reason wins)" wait_ev "$out" "EV REL cic=5 cause=21" 50
wait "$uas"
sw "call 6 999123 89555"
check "it:iw-calls:no-usable-trunk->rel-34" wait_ev "$out" "EV REL cic=6 cause=34" 50
sed 's/STATUS/404/' "$SIPP/uas_reject.xml" >"$TMPD/uas_404.xml"
start_bg "$TMPD/uas404.out" timeout 60 sipp -sf "$TMPD/uas_404.xml" \
	-key reason "SIP;cause=404" -i 127.0.0.1 -p $UAS -m 1 -nostdin
uas=$BG_PID
sw "call 9 30123461 89555"
check "it:iw-calls:404->rel-1 (RFC 3398 8.2.6.1)" wait_ev "$out" "EV REL cic=9 cause=1" 50
wait "$uas"

# --- no answer from the ISUP side: T9 (3 s on linkset sw2) ends the call
# with cause 19, and the SIP caller gets 480 with Reason: Q.850;cause=19.
# The switch rings the moment the IAM comes (tandem's T7 runs till then)
on_iam 89777009
sw "ring last"
start_bg "$TMPD/uac-t9.out" timeout 60 sipp -sn uac "127.0.0.1:$SIP" -i 127.0.0.1 -p $UAS3 \
	-s +4989777009 -m 1 -nostdin -trace_msg -message_file "$TMPD/uac-t9.msg"
uac=$BG_PID
if iam_for 89777009; then
	check "it:iw-calls:no-answer-t9->rel-19" wait_ev "$out" "EV REL cic=$cic cause=19" 60
	wait "$uac"
	check "it:iw-calls:no-answer-t9->480-with-reason" grep -q "^Reason: Q.850;cause=19" \
		"$TMPD/uac-t9.msg"
	grep -q "^SIP/2.0 480" "$TMPD/uac-t9.msg" || fail "it:iw-calls:no-answer-t9:480"
else
	fail "it:iw-calls:no-answer-t9:iam"
fi

# --- the ISUP caller gives up while the SIP side rings: CANCEL
start_bg "$TMPD/uas4.out" timeout 60 sipp -sf "$SIPP/uas_ringing.xml" -i 127.0.0.1 -p $UAS -m 1 \
	-nostdin
uas=$BG_PID
sw "call 7 30123459 89555"
check "it:iw-calls:ringing->acm" wait_ev "$out" "EV ACM cic=7( |$)" 50
# 180 without SDP: ringback toward TDM, ITU plan (425 Hz, E.180)
"$BUILD/peers/e1-emu" --local 127.0.0.1:$SPAN_R --remote 127.0.0.1:$SPAN_L --timeslots 1-31 \
	--freq 425 --freq 440 --freq 480 --seconds 1.5 >"$TMPD/e1-rb.out"
rb=$(grep "^TS 7 " "$TMPD/e1-rb.out")
echo "   ringback (ITU) on TS 7: $(grep -o 'f[0-9]*_dbm0=[-0-9.]*' <<<"$rb" | tr '\n' ' ')"
f425=$(sed -n 's/.*f425_dbm0=\([-0-9.]*\).*/\1/p' <<<"$rb")
f440=$(sed -n 's/.*f440_dbm0=\([-0-9.]*\).*/\1/p' <<<"$rb")
check "it:iw-calls:ringback-itu-425hz" awk -v a="$f425" -v b="$f440" 'BEGIN { exit !(a > -30 && a > b + 10) }'
sw "release 7 16"
check "it:iw-calls:abandon->rlc" wait_ev "$out" "EV RLC cic=7( |$)" 50
wait "$uas"
check "it:iw-calls:abandon->cancel (sipp got CANCEL, sent 487)" test $? -eq 0

# --- failover: the first trunk answers 503, the next one takes the call
start_bg "$TMPD/uas-503.out" timeout 60 sipp -sf "$SIPP/uas_unavailable.xml" -i 127.0.0.1 \
	-p $UAS3 -m 1 -nostdin
uas503=$BG_PID
start_bg "$TMPD/uas-fo.out" timeout 60 sipp -sn uas -i 127.0.0.1 -p $UAS -m 1 -nostdin \
	-trace_msg -message_file "$TMPD/uas-fo.msg"
uas=$BG_PID
sw "call 14 50123456 89555"
check "it:iw-calls:failover:503-then-next-trunk-answers" wait_ev "$out" "EV ANM cic=14( |$)" 50
# the next trunk gets the same number (it once got "sip:+@host": the number
# was copied onto itself)
check "it:iw-calls:failover:next-trunk-ruri-has-number ($(grep -m1 '^INVITE ' "$TMPD/uas-fo.msg"))" \
	grep -qE '^INVITE (sip|tel):\+[0-9]*50123456[@; ]' "$TMPD/uas-fo.msg"
check "it:iw-calls:failover:counted" \
	bash -c "$BUILD/tandem-tool vty --port $VTY 'show calls' | grep -q '1 trunk failovers'"
sw "release 14 16"
wait_ev "$out" "EV RLC cic=14( |$)" 50
wait "$uas503"
check "it:iw-calls:failover:first-trunk-saw-the-invite" test $? -eq 0
wait "$uas"

# --- a diverted call: Diversion (RFC 5806) on one trunk, History-Info
# (RFC 7044) on the other, from the IAM's redirecting number, original
# called number and redirection information
start_bg "$TMPD/uas-div.out" timeout 60 sipp -sn uas -i 127.0.0.1 -p $UAS -m 1 -nostdin \
	-trace_msg -message_file "$TMPD/uas-div.msg"
uas=$BG_PID
sw "call 15 30123470 89555 redir=30111222 reason=1 counter=2 ocn=30999888"
wait_ev "$out" "EV ANM cic=15( |$)" 50
sw "release 15 16"
wait_ev "$out" "EV RLC cic=15( |$)" 50
wait "$uas"
check "it:iw-calls:diversion-header (RFC 5806, user-busy, counter 2, original called last)" grep -q \
	"^Diversion: <sip:+4930111222@127.0.0.1;user=phone>;reason=user-busy;counter=2, <sip:+4930999888@127.0.0.1;user=phone>;reason=user-busy;counter=1" \
	"$TMPD/uas-div.msg"
start_bg "$TMPD/uas-hi.out" timeout 60 sipp -sn uas -i 127.0.0.1 -p $UAS2 -m 1 -nostdin \
	-trace_msg -message_file "$TMPD/uas-hi.msg"
uas=$BG_PID
sw "call 16 40123471 89555 redir=30111222 reason=3"
wait_ev "$out" "EV ANM cic=16( |$)" 50
sw "release 16 16"
wait_ev "$out" "EV RLC cic=16( |$)" 50
wait "$uas"
check "it:iw-calls:history-info-header (RFC 7044, unconditional -> cause 302)" grep -q \
	"^History-Info: <sip:+4930111222@127.0.0.1;user=phone>;index=1, <sip:+4940123471@127.0.0.1;user=phone;cause=302>;index=1.1;mp=1" \
	"$TMPD/uas-hi.msg"

# --- a trunk at its call limit: the next call gets REL 42 (congestion)
start_bg "$TMPD/uas-small.out" timeout 60 sipp -sf "$SIPP/uas_ringing.xml" -i 127.0.0.1 -p $UAS4 \
	-m 1 -nostdin
uas=$BG_PID
sw "call 17 60123456 89555"
wait_ev "$out" "EV ACM cic=17( |$)" 50
# this trunk plays the North American plan (tones us): 440 + 480 Hz
"$BUILD/peers/e1-emu" --local 127.0.0.1:$SPAN_R --remote 127.0.0.1:$SPAN_L --timeslots 1-31 \
	--freq 425 --freq 440 --freq 480 --seconds 2.5 >"$TMPD/e1-rb2.out"
rb=$(grep "^TS 17 " "$TMPD/e1-rb2.out")
echo "   ringback (US, per trunk) on TS 17: $(grep -o 'f[0-9]*_dbm0=[-0-9.]*' <<<"$rb" | tr '\n' ' ')"
f425=$(sed -n 's/.*f425_dbm0=\([-0-9.]*\).*/\1/p' <<<"$rb")
f440=$(sed -n 's/.*f440_dbm0=\([-0-9.]*\).*/\1/p' <<<"$rb")
f480=$(sed -n 's/.*f480_dbm0=\([-0-9.]*\).*/\1/p' <<<"$rb")
check "it:iw-calls:ringback-us-per-trunk-440+480hz" awk -v a="$f425" -v b="$f440" -v c="$f480" \
	'BEGIN { exit !(b > -35 && c > -35 && b > a + 10) }'
sw "call 18 60123457 89555"
check "it:iw-calls:trunk-call-limit->rel-42" wait_ev "$out" "EV REL cic=18 cause=42" 50
sw "release 17 16"
wait_ev "$out" "EV RLC cic=17( |$)" 50
wait "$uas"

# --- DTMF as SIP INFO (trunk option): in-band "5" on the E1 -> INFO
# Signal=5 (checked by the sipp scenario, which also sees no
# telephone-event offered); INFO Signal=7 from sipp -> "7" on the E1.
# The digit can only start once this script has seen the ANM (the E1
# emulator plays it at once, and no peer sees the answer to start it), so
# the scenario's 8 s for the INFO after its ACK, a bound only, is made 30 s
# here: a loaded run's script was late
sed 's/<recv request="INFO" crlf="true" timeout="8000">/<recv request="INFO" crlf="true" timeout="30000">/' \
	"$SIPP/uas_info.xml" >"$TMPD/uas_info.xml"
grep -q 'timeout="30000"' "$TMPD/uas_info.xml" || fail "it:iw-calls:dtmf-info:scenario-info-timeout-raised"
start_bg "$TMPD/uas-info.out" timeout 60 sipp -sf "$TMPD/uas_info.xml" -i 127.0.0.1 -p $UAS5 \
	-m 1 -nostdin -trace_msg -message_file "$TMPD/uas-info.msg"
uas=$BG_PID
sw "call 24 70123456 89555"
if wait_ev "$out" "EV (ANM|CON) cic=24( |$)" 50; then
	"$BUILD/peers/e1-emu" --local 127.0.0.1:$SPAN_R --remote 127.0.0.1:$SPAN_L --timeslots 1-31 \
		--ts 24:dtmf:5 --seconds 3 >"$TMPD/e1-info.out"
	check "it:iw-calls:dtmf-info:tdm-5->info-signal-5" wait_ev "$TMPD/td.log" "DTMF 5 on TDM -> INFO" 30
	check "it:iw-calls:dtmf-info:info-7->tdm" grep -q "INFO DTMF 7 (300 ms) -> TDM" "$TMPD/td.log"
	check "it:iw-calls:dtmf-info:tone-7-on-the-e1" grep -q '^TS 24 .*dtmf="7"' "$TMPD/e1-info.out"
	sw "release 24 16"
	wait "$uas"
	check "it:iw-calls:dtmf-info:sipp-scenario (no telephone-event, INFO checked)" test $? -eq 0
else
	fail "it:iw-calls:dtmf-info:answered"
fi

# --- SIP-I: the IAM rides in the INVITE; tshark, capturing on loopback,
# decodes what went on the wire (sipp's own trace stops at the first NUL)
have_tshark=""
if command -v tshark >/dev/null; then
	start_bg "$TMPD/cap.log" tshark -i lo -f "udp port $UAS2" -w "$TMPD/sipi.pcap"
	cap=$BG_PID
	wait_ev "$TMPD/cap.log" "Capturing on" 300 && pcap_udp_ready "$TMPD/sipi.pcap" $UAS2 &&
		have_tshark=1
	[ -n "$have_tshark" ] || fail "it:iw-calls:sip-i:capture-running (tshark on lo, udp port $UAS2)"
fi
start_bg "$TMPD/uas-sipi.out" timeout 60 sipp -sn uas -i 127.0.0.1 -p $UAS2 -m 1 -nostdin \
	-trace_msg -message_file "$TMPD/uas-sipi.msg"
uas=$BG_PID
sw "call 13 40123456 89555"
check "it:iw-calls:sip-i:answered" wait_ev "$out" "EV ANM cic=13( |$)" 50
sw "release 13 16"
wait_ev "$out" "EV RLC cic=13( |$)" 50
wait "$uas"
check "it:iw-calls:sip-i:invite-multipart-with-isup" \
	grep -qi "^Content-Type: application/isup; *version=itu-t92+" "$TMPD/uas-sipi.msg"
if [ -n "$have_tshark" ]; then
	# the capture is stopped once its file holds the BYE (a loaded run:
	# 0.3 s after the call, dumpcap had not written the call's packets)
	_pcap_bye() {
		tshark -r "$TMPD/sipi.pcap" -d "udp.port==$UAS2,sip" -Y sip.Method==BYE 2>/dev/null |
			grep -q "BYE sip:"
	}
	until_tenths 200 _pcap_bye || echo "   the capture file still has no BYE after 20 s"
	kill -INT "$cap"
	wait "$cap" 2>/dev/null
	tshark -r "$TMPD/sipi.pcap" -d "udp.port==$UAS2,sip" -V -Y sip.Method==INVITE \
		>"$TMPD/invite.txt" 2>/dev/null
	check "it:iw-calls:sip-i:tshark-decodes-iam" grep -qi "Message type: Initial address (1)" \
		"$TMPD/invite.txt"
	check "it:iw-calls:sip-i:tshark-called-number" grep -q "Called Party Number: 40123456" \
		"$TMPD/invite.txt"
	# the switch's REL after answer rides in the BYE (Q.1912.5 profile C)
	tshark -r "$TMPD/sipi.pcap" -d "udp.port==$UAS2,sip" -V -Y sip.Method==BYE \
		>"$TMPD/bye.txt" 2>/dev/null
	check "it:iw-calls:sip-i:bye-carries-rel (tshark)" grep -qi "Message type: Release (12)" \
		"$TMPD/bye.txt"
	check "it:iw-calls:sip-i:bye-rel-cause-16" grep -qF "Cause indicator: Normal call clearing (16)" \
		"$TMPD/bye.txt"
else
	skip "it:iw-calls:sip-i:tshark: tshark cannot capture on loopback here"
fi

# --- SIP-I toward ISUP: the caller's IAM (payphone, presentation
# restricted) gives the calling party and category of ours
answer_on_iam 89777001
start_bg "$TMPD/uac-sipi.out" "$BUILD/peers/sip-ua" --listen "udp:127.0.0.1:$UAS2" \
	--uac "127.0.0.1:$SIP" --calls 1 --hold 500 --ruri "sip:+4989777001@127.0.0.1;user=phone" \
	--sipi-iam 301234567:15:1 --seconds 10
uac=$BG_PID
if iam_for 89777001; then
	check "it:iw-calls:sip-i-in:calling-from-encapsulated-iam" grep -q "calling=301234567" <<<"$iam"
	check "it:iw-calls:sip-i-in:category-payphone (15)" grep -q "cpc=15" <<<"$iam"
	check "it:iw-calls:sip-i-in:presentation-restricted" grep -q "pres=1" <<<"$iam"
	check "it:iw-calls:sip-i-in:bye->rel" wait_ev "$out" "EV REL cic=$cic cause=16" 50
else
	fail "it:iw-calls:sip-i-in:iam"
fi
wait "$uac"

# --- SIP-I toward ISUP, unrecognised parameters (Q.764 2.9.5.3, Q.1912.5):
# a parameter no exchange knows (0xfa) rides on in the IAM to the switch;
# one whose compatibility information says "end node: discard parameter"
# (0xfb) is dropped; "end node: release call" (0xfc) ends the call, cause 99
pcomp() { # NUMBER HEX: one SIP-I call with raw optional parameters in its IAM
	start_bg "$TMPD/uac-pcomp-$1.out" "$BUILD/peers/sip-ua" --listen "udp:127.0.0.1:$UAS2" \
		--uac "127.0.0.1:$SIP" --calls 1 --hold 300 --ruri "sip:+49$1@127.0.0.1;user=phone" \
		--sipi-iam 301234567:10:0 --sipi-extra "$2" --seconds 10
	uac=$BG_PID
}
answer_on_iam 89777082
pcomp 89777082 fa03010203fb01093902fb91
if iam_for 89777082; then
	check "it:iw-calls:sip-i-pcomp:unknown-0xfa-reaches-switch-unchanged" \
		grep -q "EV IAMX cic=$cic code=fa val=010203$" "$out"
	check "it:iw-calls:sip-i-pcomp:pci-discard-0xfb-not-sent" \
		bash -c "grep -E 'EV IAMP cic=$cic opt=' '$out' | tail -1 | grep -v -q 'fb'"
	check "it:iw-calls:sip-i-pcomp:tandem-logs-pass-and-discard" \
		bash -c "grep -q 'SIP-I IAM: 1 unrecognised parameter(s) discarded' '$TMPD/td.log' &&
			grep -q 'SIP-I IAM: 1 unrecognised parameter(s) passed on (9 octets)' '$TMPD/td.log'"
	wait_ev "$out" "EV REL cic=$cic( |$)" 50
else
	fail "it:iw-calls:sip-i-pcomp:iam"
fi
wait "$uac"
pcomp 89777083 fc01093902fc83
wait "$uac"
check "it:iw-calls:sip-i-pcomp:pci-release-call-refused" grep -q "CALL 1 failed" \
	"$TMPD/uac-pcomp-89777083.out"
check "it:iw-calls:sip-i-pcomp:pci-release-no-iam" \
	bash -c "! grep -qE 'EV IAM cic=[0-9]+ called=89777083 ' '$out'"
check "it:iw-calls:sip-i-pcomp:pci-release-cause-99-logged" \
	grep -q "unrecognised parameter 0xfc: the compatibility information says release call: cause 99" \
	"$TMPD/td.log"

# --- SIP-I on receipt (Q.1912.5 profile C): the backward ISUP messages
# the trunk encapsulates in its 180/183/200 and BYE go to the switch with
# their own parameters; a malformed one is ignored (plain SIP mapping)
printf '\x06\x15\x11\x01\x29\x01\x02\x00' >"$TMPD/acm.bin" # BCI no charge, ISDN access; OBCI diversion may occur
printf '\x2c' >"$TMPD/cpg_bad.bin"                                 # a CPG cut after its type
printf '\x2c\x06\x00' >"$TMPD/cpg.bin"                             # event: call forwarded unconditional
printf '\x09\x01\x11\x02\x15\x11\x00' >"$TMPD/anm.bin"             # ANM with a BCI
printf '\x2c\x02\x00' >"$TMPD/cpg_info.bin"                        # event: progress (in an INFO)
printf '\x0c\x02\x00\x03\x82\x9f\x2a' >"$TMPD/rel.bin"             # REL cause 31, location 2, a diagnostic
start_bg "$TMPD/uas-sipi-rx.out" timeout 60 sipp -sf "$SIPP/uas_sipi.xml" -i 127.0.0.1 -p $UAS2 \
	-m 1 -nostdin -trace_msg -message_file "$TMPD/uas-sipi-rx.msg"
uas=$BG_PID
sw "call 27 40123457 89555"
if wait_ev "$out" "EV REL cic=27( |$)" 80; then
	# the default ACM of the plain call above says "charge" (bits BA 10)
	check "it:iw-calls:sip-i-rx:acm-bci-from-body (15 11)" \
		grep -qE "EV ACMP cic=27 bci=15(11|31) obci=2 " "$out"
	check "it:iw-calls:sip-i-rx:acm-libss7-subscriber-free" grep -q "EV ACM cic=27 " "$out"
	check "it:iw-calls:sip-i-rx:malformed-cpg-logged" \
		grep -q "SIP-I body in 183: malformed ISUP: ignored" "$TMPD/td.log"
	check "it:iw-calls:sip-i-rx:malformed-cpg->plain-cpg-inband (3)" \
		grep -q "EV CPGP cic=27 event=3" "$out"
	check "it:iw-calls:sip-i-rx:cpg-event-from-body (6)" grep -q "EV CPGP cic=27 event=6" "$out"
	check "it:iw-calls:sip-i-rx:anm-with-body-bci" grep -q "EV ANMP cic=27 opt=11" "$out"
	check "it:iw-calls:sip-i-rx:info-cpg-after-answer (event 2)" grep -q "EV CPGP cic=27 event=2" "$out"
	check "it:iw-calls:sip-i-rx:info-dtmf-relay-still-works" \
		grep -q "CIC 27, .*INFO DTMF 8 (160 ms) -> TDM" "$TMPD/td.log"
	check "it:iw-calls:sip-i-rx:rel-cause-from-body-not-reason (31 loc 2, diagnostic kept)" \
		grep -q "EV RELP cic=27 loc=2 cause=31 len=3" "$out"
	check "it:iw-calls:sip-i-rx:libss7-rel-cause-31" grep -q "EV REL cic=27 cause=31" "$out"
else
	fail "it:iw-calls:sip-i-rx:call"
	tail -20 "$TMPD/td.log"
fi
wait "$uas"
check "it:iw-calls:sip-i-rx:sipp-scenario" test $? -eq 0

# --- the same backward messages coded as ANSI (labelled ansi00) toward this
# ITU linkset: converted (Q.1912.5 between an ANSI and an ITU network), what
# both variants code alike (BCI, OBCI, event information, cause) reaches
# the switch; before, a body of the other variant was ignored
sed 's/itu-t92+/ansi00/' "$SIPP/uas_sipi.xml" >"$TMPD/uas_sipi_ansi.xml"
start_bg "$TMPD/uas-sipi-ansi.out" timeout 60 sipp -sf "$TMPD/uas_sipi_ansi.xml" -i 127.0.0.1 \
	-p $UAS2 -m 1 -nostdin -trace_msg -message_file "$TMPD/uas-sipi-ansi.msg"
uas=$BG_PID
sw "call 31 40123457 89555"
if wait_ev "$out" "EV REL cic=31( |$)" 80; then
	check "it:iw-calls:sip-i-rx-ansi:acm-converted-logged" \
		grep -q "SIP-I ACM in 180: ANSI coding converted for the ITU linkset" "$TMPD/td.log"
	check "it:iw-calls:sip-i-rx-ansi:acm-bci-obci-from-body" \
		grep -qE "EV ACMP cic=31 bci=15(11|31) obci=2 " "$out"
	check "it:iw-calls:sip-i-rx-ansi:cpg-event-from-body (6)" grep -q "EV CPGP cic=31 event=6" "$out"
	check "it:iw-calls:sip-i-rx-ansi:anm-with-body-bci" grep -q "EV ANMP cic=31 opt=11" "$out"
	check "it:iw-calls:sip-i-rx-ansi:info-cpg-after-answer (event 2)" \
		grep -q "EV CPGP cic=31 event=2" "$out"
	check "it:iw-calls:sip-i-rx-ansi:rel-cause-from-body (31 loc 2)" \
		grep -q "EV RELP cic=31 loc=2 cause=31 len=3" "$out"
else
	fail "it:iw-calls:sip-i-rx-ansi:call"
	tail -20 "$TMPD/td.log"
fi
wait "$uas"
check "it:iw-calls:sip-i-rx-ansi:sipp-scenario" test $? -eq 0
check "it:iw-calls:redirect:config-written (redirect follow 2)" \
	grep -q '^  redirect follow 2$' <<<"$(vty $VTY enable 'show running-config')"
check "it:iw-calls:sip-i-rx:plain-acm-default-bci (16..)" grep -qE "EV ACMP cic=13 bci=16" "$out"

# --- 3xx follow (RFC 3261 8.1.3.4): trunk redir answers 302; the Contact
# on a foreign host is refused (an SBC is not steered to arbitrary hosts),
# the one on trunk redir2 is tried with Diversion, the loop back is skipped;
# the ISUP side waits meanwhile and gets ACM/ANM from the new target
start_bg "$TMPD/uas-302.out" timeout 60 sipp -sf "$SIPP/uas_302.xml" -i 127.0.0.1 -p $UAS7 \
	-key target "127.0.0.1:$UAS8" -m 1 -nostdin
uas=$BG_PID
start_bg "$TMPD/uas-redir2.out" timeout 60 sipp -sn uas -i 127.0.0.1 -p $UAS8 -m 1 -nostdin \
	-trace_msg -message_file "$TMPD/uas-redir2.msg"
uas2=$BG_PID
sw "call 28 45001 89555"
if wait_ev "$out" "EV ANM cic=28( |$)" 80; then
	check "it:iw-calls:redirect:302-followed-to-redir2" \
		grep -q "SIP 302 from trunk redir: redirect 1/2 to sip:+4945002@127.0.0.1:$UAS8;user=phone via trunk redir2" "$TMPD/td.log"
	check "it:iw-calls:redirect:foreign-host-refused" \
		grep -q "SIP 302 Contact sip:+4945999@192.0.2.99:5060: its host is no configured trunk: refused" "$TMPD/td.log"
	check "it:iw-calls:redirect:loop-skipped" grep -q "SIP 302 Contact .*tried already (loop)" "$TMPD/td.log"
	check "it:iw-calls:redirect:invite-ruri-is-the-contact" \
		grep -q "^INVITE sip:+4945002@127.0.0.1:$UAS8;user=phone SIP/2.0" "$TMPD/uas-redir2.msg"
	check "it:iw-calls:redirect:diversion-names-the-redirecting-uri" \
		grep -qE "^Diversion: <sip:\+4945001@127.0.0.1;user=phone>;reason=unconditional;counter=1" "$TMPD/uas-redir2.msg"
	check "it:iw-calls:redirect:no-rel-before-answer" bash -c "! grep -qE 'EV REL cic=28( |$)' '$out'"
	sw "release 28 16"
	wait_ev "$out" "EV RLC cic=28( |$)" 50
else
	fail "it:iw-calls:redirect:answered"
	grep -E "302|redirect|cic 28|CIC 28" "$TMPD/td.log" | tail -20
fi
wait "$uas"
check "it:iw-calls:redirect:sipp-302-scenario (302 ACKed)" test $? -eq 0
wait "$uas2"

# a 302 whose Contacts are all foreign or tried: REL with the 302's cause
# (RFC 3398: unmapped, 31), no INVITE anywhere else
start_bg "$TMPD/uas-302b.out" timeout 60 sipp -sf "$SIPP/uas_302.xml" -i 127.0.0.1 -p $UAS7 \
	-key target "192.0.2.98:5060" -m 1 -nostdin
uas=$BG_PID
sw "call 26 45007 89555"
check "it:iw-calls:redirect:no-usable-contact->rel-31" wait_ev "$out" "EV REL cic=26 cause=31" 80
check "it:iw-calls:redirect:no-usable-contact:both-refused-or-skipped" \
	grep -q "SIP 302 Contact sip:+4945002@192.0.2.98:5060;user=phone: its host is no configured trunk: refused" "$TMPD/td.log"
wait "$uas"
check "it:iw-calls:redirect:no-usable-contact:sipp (302 ACKed)" test $? -eq 0

# the limit (trunk redir: redirect follow 2): of three Contacts, the two
# of highest q are tried (both busy), the third is not; the REL cause is
# the last status's (486 -> 17)
sed 's/STATUS/486/' "$SIPP/uas_reject.xml" >"$TMPD/uas_486r.xml"
start_bg "$TMPD/uas-302c.out" timeout 60 sipp -sf "$SIPP/uas_302_many.xml" -i 127.0.0.1 -p $UAS7 \
	-key target "127.0.0.1:$UAS8" -m 1 -nostdin
uas=$BG_PID
start_bg "$TMPD/uas-486r.out" timeout 60 sipp -sf "$TMPD/uas_486r.xml" -i 127.0.0.1 -p $UAS8 \
	-key reason "SIP;cause=486" -m 2 -nostdin -trace_msg -message_file "$TMPD/uas-486r.msg"
uas2=$BG_PID
sw "call 19 45010 89555"
check "it:iw-calls:redirect:limit:rel-17-from-the-last-486" wait_ev "$out" "EV REL cic=19 cause=17" 80
wait "$uas"
wait "$uas2"
check "it:iw-calls:redirect:limit:q-order (0.9 then 0.8)" \
	test "$(grep -oE '^INVITE sip:\+494501[0-9]' "$TMPD/uas-486r.msg" | tr '\n' ' ')" = \
	"INVITE sip:+4945011 INVITE sip:+4945012 "
check "it:iw-calls:redirect:limit:two-of-three" grep -q "redirect 2/2 to sip:+4945012@" "$TMPD/td.log"
check "it:iw-calls:redirect:limit:third-not-tried" bash -c "! grep -q 'redirect 3/' '$TMPD/td.log'"
check "it:iw-calls:redirect:limit:logged" grep -q "redirect limit 2 reached: 1 Contact(s) not tried" "$TMPD/td.log"

# --- Kamailio in front (a stateful proxy with record-route, as carriers
# and SBC chains put one): sipp -> kamailio -> tandem -> ISUP switch, the
# call set up and released by the caller's BYE, checked at each hop
KAMAILIO=$(command -v kamailio || echo /usr/sbin/kamailio)
if [ -x "$KAMAILIO" ]; then
	cat >"$TMPD/kam.cfg" <<KCFG
#!KAMAILIO
debug=1
log_stderror=yes
children=1
auto_aliases=no
listen=udp:127.0.0.1:$KAM
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "maxfwd.so"
loadmodule "pv.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "textops.so"
request_route {
	if (!mf_process_maxfwd_header("10")) {
		sl_send_reply("483", "Too Many Hops");
		exit;
	}
	if (has_totag()) {
		if (loose_route()) {
			xlog("L_WARN", "KAM in-dialog \$rm via loose_route to \$ru from \$si:\$sp\n");
			t_relay();
			exit;
		}
		if (is_method("ACK") && t_check_trans())
			t_relay();
		exit;
	}
	if (is_method("CANCEL")) {
		if (t_check_trans())
			t_relay();
		exit;
	}
	t_check_trans();
	record_route();
	\$du = "sip:127.0.0.1:$SIP";
	xlog("L_WARN", "KAM initial \$rm \$ru -> \$du\n");
	t_on_reply("R");
	if (!t_relay())
		sl_reply_error();
}
onreply_route[R] {
	xlog("L_WARN", "KAM reply \$rs \$rm from \$si:\$sp\n");
}
KCFG
	start_bg "$TMPD/kam.log" "$KAMAILIO" -DD -E -f "$TMPD/kam.cfg" -m 64 -Y "$TMPD"
	kam=$BG_PID
	wait_udp $KAM 50 || { fail "it:iw-calls:kamailio:start"; head -5 "$TMPD/kam.log"; }
	answer_on_iam 89777010
	start_bg "$TMPD/uac-kam.out" timeout 30 sipp -sf "$SIPP/uac_rr.xml" "127.0.0.1:$KAM" \
		-i 127.0.0.1 -p $UAC9 -s +4989777010 -m 1 -nostdin -trace_msg \
		-message_file "$TMPD/uac-kam.msg"
	uac=$BG_PID
	if iam_for 89777010; then
		check "it:iw-calls:kamailio:switch-iam-calling-number" grep -q "calling=30555777" <<<"$iam"
		check "it:iw-calls:kamailio:switch-rel-16-on-the-bye" \
			wait_ev "$out" "EV REL cic=$cic cause=16" 50
	else
		fail "it:iw-calls:kamailio:iam"
	fi
	wait "$uac"
	check "it:iw-calls:kamailio:sipp-call-complete (200, ACK and BYE through the route set)" \
		test $? -eq 0
	check "it:iw-calls:kamailio:proxy-relayed-the-invite-to-tandem" \
		grep -q "KAM initial INVITE sip:+4989777010@127.0.0.1:$KAM;user=phone -> sip:127.0.0.1:$SIP" "$TMPD/kam.log"
	check "it:iw-calls:kamailio:proxy-relayed-tandem's-200" \
		grep -q "KAM reply 200 INVITE from 127.0.0.1:$SIP" "$TMPD/kam.log"
	check "it:iw-calls:kamailio:ack-through-the-proxy (loose_route)" \
		grep -q "KAM in-dialog ACK via loose_route" "$TMPD/kam.log"
	check "it:iw-calls:kamailio:bye-through-the-proxy (loose_route)" \
		grep -q "KAM in-dialog BYE via loose_route" "$TMPD/kam.log"
	check "it:iw-calls:kamailio:tandem's-200-keeps-the-record-route (RFC 3261 12.1.1)" \
		grep -qi "^Record-Route: <sip:127.0.0.1:$KAM;lr" "$TMPD/uac-kam.msg"
	check "it:iw-calls:kamailio:tandem-cdr (trunk kam, answered, cause 16)" \
		wait_ev "$TMPD/td.log" "CDR call=[0-9]+ dir=sip-isup .*called=\+4989777010 .*trunk=kam .*cause=16" 30
	kill "$kam" 2>/dev/null
	wait "$kam" 2>/dev/null
else
	skip "it:iw-calls:kamailio: kamailio is not installed"
fi

# --- SIP -> ISUP: asserted identity with Privacy: id -> calling number
# +49 30 555666 (national), presentation restricted, network provided
answer_on_iam 89777002
start_bg "$TMPD/uac-pai.out" timeout 60 sipp -sf "$SIPP/uac_pai.xml" "127.0.0.1:$SIP" -i 127.0.0.1 \
	-p $UAS3 -s +4989777002 -m 1 -nostdin
uac=$BG_PID
if iam_for 89777002; then
	check "it:iw-calls:pai->calling-number (RFC 3325)" grep -q "calling=30555666 " <<<"$iam"
	check "it:iw-calls:privacy-id->presentation-restricted" grep -q "pres=1" <<<"$iam"
	check "it:iw-calls:pai-call:bye->rel-16" wait_ev "$out" "EV REL cic=$cic cause=16" 50
	wait "$uac"
	check "it:iw-calls:pai-call-complete" test $? -eq 0
else
	fail "it:iw-calls:pai:iam"
fi

# --- SIP -> ISUP: 100 Trying at once (RFC 3261 17.2.1), before the 180 the
# switch sends 0.7 s after the IAM, itself (issue 13 item 5): sipp fails
# the call when the 100 takes over 150 ms
on_iam 89777555
sw "sleep 700"
sw "ring last"
sw "answer last"
start_bg "$TMPD/uac-try.out" timeout 60 sipp -sf "$SIPP/uac_trying.xml" "127.0.0.1:$SIP" \
	-i 127.0.0.1 -p $UAS3 -s +4989777555 -m 1 -nostdin
uac=$BG_PID
if iam_for 89777555; then
	wait "$uac"
	check "it:iw-calls:100-trying-at-once (sipp: 100 within 150 ms, before 180/183)" test $? -eq 0
	check "it:iw-calls:100-trying-call:bye->rel-16" wait_ev "$out" "EV REL cic=$cic cause=16" 50
	# a normal SIP -> ISUP call: no NOTICE line of its own either (item 7)
	if wait_ev "$TMPD/td.log" "CDR call=[0-9]+ dir=sip-isup .*called=\+4989777555 " 30; then
		cdr=$(grep -E "CDR call=[0-9]+ dir=sip-isup .*called=\+4989777555 " "$TMPD/td.log" | head -1)
		n=$(sed -n 's/.*CDR call=\([0-9]*\) .*/\1/p' <<<"$cdr")
		cid=$(sed -n 's/.* call_id=\([^ ]*\) .*/\1/p' <<<"$cdr")
		k=$(grep "NOTICE" "$TMPD/td.log" | grep -v "^DCDR NOTICE" | grep -cF -e "call $n (" -e "$cid")
		check "it:iw-calls:per-call-notice-lines:sip-to-isup ($k at NOTICE)" test "$k" -eq 0
	else
		fail "it:iw-calls:per-call-notice-lines:sip-to-isup: no CDR"
	fi
else
	fail "it:iw-calls:100-trying:iam"
fi

# --- SIP -> ISUP: delayed offer (issue 18, RFC 3261 13.2.1 / RFC 3264 5):
# an INVITE without SDP gets our offer in the 200 (sipp checks its m= line)
# and the ACK's answer sets up the media; an ACK without an answer ends the
# call with BYE (Reason Q.850 cause 65) and REL 65 toward the switch
answer_on_iam 89777601
start_bg "$TMPD/uac-do.out" timeout 60 sipp -sf "$SIPP/uac_delayed_offer.xml" "127.0.0.1:$SIP" \
	-i 127.0.0.1 -p $UAS3 -mp $MP_DO -s +4989777601 -m 1 -nostdin
uac=$BG_PID
if iam_for 89777601; then
	wait "$uac"
	check "it:iw-calls:delayed-offer:offer-in-200 (sipp scenario complete)" test $? -eq 0
	check "it:iw-calls:delayed-offer:answer-in-ack->media" \
		grep -q "delayed offer: the ACK answered, media 127.0.0.1:$MP_DO" "$TMPD/td.log"
	check "it:iw-calls:delayed-offer:bye->rel-16" wait_ev "$out" "EV REL cic=$cic cause=16" 50
else
	fail "it:iw-calls:delayed-offer:iam"
	wait "$uac"
fi
#     the caller requires 100rel: the offer rides in the reliable 180 and the
#     PRACK answers it (RFC 3262 5); the 200 carries no second offer. The
#     switch rings the moment the IAM comes; it answers once tandem took
#     the PRACK's answer (its log; no ISUP message shows it, and T9 is off
#     on sw1, so this script's latency there bounds nothing)
on_iam 89777603
sw "ring last"
start_bg "$TMPD/uac-dp.out" timeout 60 sipp -sf "$SIPP/uac_delayed_offer_prack.xml" "127.0.0.1:$SIP" \
	-i 127.0.0.1 -p $UAS3 -mp $MP_DP -s +4989777603 -m 1 -nostdin
uac=$BG_PID
if iam_for 89777603; then
	check "it:iw-calls:delayed-offer:answer-in-prack->media" \
		wait_ev "$TMPD/td.log" "delayed offer: the PRACK answered, media 127\.0\.0\.1:$MP_DP" 100
	sw "answer $cic"
	wait "$uac"
	check "it:iw-calls:delayed-offer:offer-in-reliable-180 (sipp scenario complete)" test $? -eq 0
	check "it:iw-calls:delayed-offer-prack:bye->rel-16" wait_ev "$out" "EV REL cic=$cic cause=16" 50
else
	fail "it:iw-calls:delayed-offer-prack:iam"
	wait "$uac"
fi
answer_on_iam 89777602
start_bg "$TMPD/uac-dn.out" timeout 60 sipp -sf "$SIPP/uac_delayed_offer_no_answer.xml" \
	"127.0.0.1:$SIP" -i 127.0.0.1 -p $UAS3 -s +4989777602 -m 1 -nostdin
uac=$BG_PID
if iam_for 89777602; then
	wait "$uac"
	check "it:iw-calls:delayed-offer:ack-without-answer->bye-65 (sipp scenario complete)" \
		test $? -eq 0
	check "it:iw-calls:delayed-offer:ack-without-answer->rel-65" \
		wait_ev "$out" "EV REL cic=$cic cause=65" 50
else
	fail "it:iw-calls:delayed-offer-no-answer:iam"
	wait "$uac"
fi

# --- SIP -> ISUP: UPDATE before the answer (issue 18 item 7, RFC 3311 5.1):
# the caller's new offer in the early dialog (after the switch's ACM, the
# 180) is answered in the UPDATE's 200 and moves the media; the call is
# then answered and released as usual. The switch rings the moment the
# IAM comes; T9 is off on sw1, so nothing bounds the wait for tandem's log
# before the answer
on_iam 89777604
sw "ring last"
start_bg "$TMPD/uac-ue.out" timeout 60 sipp -sf "$SIPP/uac_update_early.xml" "127.0.0.1:$SIP" \
	-i 127.0.0.1 -p $UAS3 -mp $MP_UE -s +4989777604 -m 1 -nostdin
uac=$BG_PID
if iam_for 89777604; then
	# tandem takes the new offer (its log) before the switch answers
	check "it:iw-calls:update-early:offer-taken-before-anm (media 127.0.0.1:$((MP_UE + 2)))" \
		wait_ev "$TMPD/td.log" "re-INVITE: 127\.0\.0\.1:$((MP_UE + 2))" 100
	sw "answer $cic"
	wait "$uac"
	# sipp's own checks: the UPDATE's 200 (CSeq 2 UPDATE) came before the
	# INVITE's and had an audio m= line
	check "it:iw-calls:update-early:200-with-answer-then-call (sipp scenario complete)" test $? -eq 0
	check "it:iw-calls:update-early:bye->rel-16" wait_ev "$out" "EV REL cic=$cic cause=16( |$)" 50
else
	fail "it:iw-calls:update-early:iam"
	wait "$uac"
fi

#     and too early (RFC 3311 5.2): after an unreliable 180 the INVITE's
#     offer has no answer yet, so an UPDATE offering gets 500 with a
#     Retry-After of 0-10 s (sipp checks both) and the call goes on
on_iam 89777605
sw "ring last"
start_bg "$TMPD/uac-u5.out" timeout 60 sipp -sf "$SIPP/uac_update_early_500.xml" "127.0.0.1:$SIP" \
	-i 127.0.0.1 -p $UAS3 -mp $MP_UE -s +4989777605 -m 1 -nostdin
uac=$BG_PID
if iam_for 89777605; then
	check "it:iw-calls:update-too-early:500-logged" \
		wait_ev "$TMPD/td.log" "UPDATE with an offer before the INVITE's is answered reliably: 500" 100
	sw "answer $cic"
	wait "$uac"
	check "it:iw-calls:update-too-early:500-retry-after-then-call (sipp scenario complete)" \
		test $? -eq 0
	check "it:iw-calls:update-too-early:bye->rel-16" wait_ev "$out" "EV REL cic=$cic cause=16( |$)" 50
else
	fail "it:iw-calls:update-too-early:iam"
	wait "$uac"
fi

# --- SIP -> ISUP: a diverted call (+49 30 999888 unconditional -> +49 30
# 111222, no answer -> us) as Diversion (RFC 5806) and as History-Info
# (RFC 7044 with RFC 4458 causes): the same redirecting number, reason no
# answer, counter 2 and original called number in the IAM.
# diverted NAME SCENARIO NUMBER TITLE
diverted() {
	answer_on_iam $3
	start_bg "$TMPD/uac-$1.out" timeout 60 sipp -sf "$SIPP/$2" "127.0.0.1:$SIP" \
		-i 127.0.0.1 -p $UAS3 -s "+49$3" -m 1 -nostdin
	local uac=$BG_PID iam cic
	if iam_for $3; then
		check "it:iw-calls:$1->redirecting-number ($4 -> Q.763 3.44/3.45)" \
			grep -q "redir=30111222 redir_reason=2 redir_counter=2 ocn=30999888" <<<"$iam"
		wait_ev "$out" "EV REL cic=$cic cause=16" 50
		wait "$uac"
	else
		fail "it:iw-calls:$1:iam"
	fi
}
diverted diversion uac_diversion.xml 89777003 "RFC 5806"
diverted history-info uac_history.xml 89777004 "RFC 7044"

# --- ENUM
if [ -x "$DNSMASQ" ]; then
	for n in 1 2; do
		start_bg "$TMPD/uas-enum$n.out" timeout 60 sipp -sn uas -i 127.0.0.1 -p $UAS -m 1 \
			-nostdin -trace_msg -message_file "$TMPD/uas-enum$n.msg"
		uas=$BG_PID
		sw "call $((10 + n)) 3099900$n 89555"
		wait_ev "$out" "EV ANM cic=$((10 + n))" 50
		sw "release $((10 + n)) 16"
		wait_ev "$out" "EV RLC cic=$((10 + n))" 50
		wait "$uas"
	done
	check "it:iw-calls:enum-sip-uri-is-request-uri" \
		grep -q "^INVITE sip:enum-found@127.0.0.1 SIP/2.0" "$TMPD/uas-enum1.msg"
	check "it:iw-calls:enum-ported-npdi-rn (RFC 4694)" \
		grep -q "^INVITE sip:+4930999002;npdi;rn=+4977001@127.0.0.1;user=phone SIP/2.0" \
		"$TMPD/uas-enum2.msg"
	check "it:iw-calls:enum-dnsmasq-was-asked" grep -q "query\[NAPTR\] 2.0.0.9.9.9.0.3.9.4.e164.arpa" \
		"$TMPD/dnsmasq.log"
	cache=$(vty $VTY "show enum cache")
	check "it:iw-calls:show-enum-cache (the answers, with TTL left)" grep -qE \
		"^\+4930999001: sip:enum-found@127.0.0.1 \(E2U\+sip, order 10 pref 10\), [0-9]+ s left" \
		<<<"$cache"
	check "it:iw-calls:show-enum-cache-np" grep -qE "^\+4930999002: .*npdi, rn \+?4977001" <<<"$cache"
else
	skip "it:iw-calls:enum: dnsmasq (package dnsmasq-base) is not installed"
fi

# --- issue 13 item 3: the switch releases an answered call whose SIP side
# is slow to confirm the BYE, then seizes the same CIC again at once: the
# new call gets the timeslot (its channel left with the circuit), so it is
# answered with its voice path, never "Device or resource busy"
start_bg "$TMPD/uas-slow.out" timeout 60 sipp -sf "$SIPP/uas_slow_bye.xml" -i 127.0.0.1 \
	-p $UAS -m 1 -nostdin
uas=$BG_PID
start_bg "$TMPD/uas-reseize.out" timeout 60 sipp -sn uas -i 127.0.0.1 -p $UAS4 -m 1 -nostdin
uas2=$BG_PID
# (the CIC may have carried calls before: count from here)
ans0=$(grep -cE "EV (ANM|CON) cic=29( |$)" "$out")
rlc0=$(grep -cE "EV RLC cic=29( |$)" "$out")
sw "call 29 30123490 89555"
if wait_ev "$out" "EV (ANM|CON) cic=29( |$)" 50 $((ans0 + 1)); then
	sw "release 29 16"
	wait_ev "$out" "EV RLC cic=29( |$)" 50 $((rlc0 + 1))
	sw "call 29 60123491 89555"
	check "it:iw-calls:reseized-cic-answered" wait_ev "$out" "EV (ANM|CON) cic=29( |$)" 50 \
		$((ans0 + 2))
	check "it:iw-calls:reseized-cic-has-its-timeslot (no EBUSY)" \
		bash -c "! grep -q 'span 0 timeslot 29: Device or resource busy' '$TMPD/td.log'"
	check "it:iw-calls:reseized-cic-not-failed (no 'no voice path')" \
		bash -c "! grep -q 'no voice path' '$TMPD/td.log'"
	sw "release 29 16"
	wait_ev "$out" "EV RLC cic=29( |$)" 50 $((rlc0 + 2))
else
	fail "it:iw-calls:reseized-cic:first-call-answered"
fi
wait "$uas"
check "it:iw-calls:reseized-cic:slow-bye-scenario-complete" test $? -eq 0
wait "$uas2"

sleep 0.5
calls=$(vty $VTY "show calls")
check "it:iw-calls:no-call-left" grep -q "^0 calls" <<<"$calls"
check "it:iw-calls:circuits-idle (sw1 and sw2)" \
	bash -c "$BUILD/tandem-tool vty --port $VTY 'show isup circuits' >'$TMPD/circ.txt' &&
		grep -q '^linkset sw1 .*: 31 circuits: 31 idle, 0 incoming, 0 outgoing' '$TMPD/circ.txt' &&
		grep -q '^linkset sw2 .*: 2 circuits: 2 idle, 0 incoming, 0 outgoing' '$TMPD/circ.txt'"
# tandem's own counters of the SIP-I receipt and 3xx checks above: ACM,
# CPG, ANM and the INFO's CPG used, the cut CPG malformed, twice (ITU and
# ANSI coding); three Contacts
# tried (one answered, two busy), three refused (192.0.2.99 twice, 192.0.2.98 once)
met=$(vty $VTY "show metrics")
check "it:iw-calls:metrics:sipi-used-8 (4 ITU-coded, 4 ANSI-coded converted)" \
	grep -qxF 'tandem_sipi_isup_received_total{result="used"} 8' <<<"$met"
check "it:iw-calls:metrics:sipi-malformed-2" grep -qxF 'tandem_sipi_isup_received_total{result="malformed"} 2' <<<"$met"
check "it:iw-calls:metrics:redirect-tried-3" grep -qxF 'tandem_sip_redirect_targets_total{result="tried"} 3' <<<"$met"
check "it:iw-calls:metrics:redirect-refused-3" grep -qxF 'tandem_sip_redirect_targets_total{result="refused"} 3' <<<"$met"

# --- a graceful stop with a call up: REL 41 toward the switch, BYE with
# Reason toward SIP, then tandemd exits 0
start_bg "$TMPD/uas-stop.out" timeout 60 sipp -sn uas -i 127.0.0.1 -p $UAS -m 1 -nostdin \
	-trace_msg -message_file "$TMPD/uas-stop.msg"
uas=$BG_PID
sw "call 20 30123480 89555"
wait_ev "$out" "EV ANM cic=20( |$)" 50
kill -TERM "$td"
wait "$td"
check "it:iw-calls:graceful-stop:exit-0" test $? -eq 0
check "it:iw-calls:graceful-stop:rel-41" wait_ev "$out" "EV REL cic=20 cause=41" 30
wait "$uas"
check "it:iw-calls:graceful-stop:bye-with-reason-41" grep -q "^Reason: Q.850;cause=41" \
	"$TMPD/uas-stop.msg"

# --- the CDR file (issue 20): one JSON record per attempt, written as
# each call ended and by the stop; the log's CDR lines count the calls
CDR() { "$TOP/tests/integration/cdr_check.py" "$TMPD/cdr.json" "$@"; }
nrec=$(CDR --valid)
nlog=$(grep -c "CDR call=" "$TMPD/td.log")
check "it:iw-calls:cdr-file:valid-json-lines, one call record per CDR log line ($(CDR record_type=call --count) of $nlog, $nrec records)" \
	test "${nlog:-0}" -gt 0 -a "$(CDR record_type=call --count)" = "$nlog"
check "it:iw-calls:cdr-file:answered-isup-to-sip (times with ms, numbers, CIC, codec, RTP, EC)" \
	CDR call_ref~-1\$ -- direction=isup-sip result=answered record_type=call attempt=1 \
	linkset=sw1 cic=3 span=0 timeslot=3 trunk=carrier call_id~. cause=16 sip_status=200 \
	release_side=isup calling_in=4989555 called_in=4930123456 called_out=4930123456 \
	'ruri_out~^sip:\+4930123456@' 'start_utc~^20[0-9-]+T[0-9:]+\.[0-9]{3}Z$' \
	'answer_utc~\.[0-9]{3}Z$' 'end_utc~\.[0-9]{3}Z$' duration_ms\>1000 codec~. rtp_rx\>10 \
	ec~.
check "it:iw-calls:cdr-file:busy-486 (result busy, cause 17, the SIP side released)" \
	CDR direction=isup-sip cic=4 -- result=busy sip_status=486 cause=17 release_side=sip \
	answer_utc= duration_ms=0
check "it:iw-calls:cdr-file:cancelled (ISUP caller gave up: REL 16 before the answer)" \
	CDR direction=isup-sip cic=7 -- result=cancelled release_side=isup cause=16 answer_utc=
ref=$(CDR direction=isup-sip cic=14 record_type=attempt --get call_ref)
check "it:iw-calls:cdr-file:route-advance-attempt (503 from busytrunk, linked by call_ref ${ref:-none})" \
	CDR direction=isup-sip cic=14 record_type=attempt -- trunk=busytrunk sip_status=503 \
	result=advanced attempt=1
check "it:iw-calls:cdr-file:route-advance-final (attempt 2 on carrier, answered)" \
	CDR "call_ref=${ref:-none}" record_type=call -- attempt=2 trunk=carrier result=answered
check "it:iw-calls:cdr-file:sip-to-isup-no-answer (T9: cause 19, 480)" \
	CDR direction=sip-isup called_in=4989777009 -- result=no-answer cause=19 sip_status=480 \
	linkset=sw2 cic~^[0-9]+$
check "it:iw-calls:cdr-file:sip-to-isup-answered (PAI caller)" \
	CDR direction=sip-isup result=answered -- linkset=sw1 calling_in~. called_in~. sip_status=200
check "it:iw-calls:cdr-file:released-by-the-stop (cause 41, gateway side)" \
	CDR direction=isup-sip cic=20 -- cause=41 release_side=gateway result=answered

ref=$(CDR direction=isup-sip cic=28 record_type=attempt --get call_ref)
check "it:iw-calls:cdr-file:redirect-attempt (302 from redir, linked by call_ref ${ref:-none})" \
	CDR direction=isup-sip cic=28 record_type=attempt -- trunk=redir sip_status=302 \
	result=advanced attempt=1
check "it:iw-calls:cdr-file:redirect-final (attempt 2 on redir2 to the Contact, answered)" \
	CDR "call_ref=${ref:-none}" record_type=call -- attempt=2 trunk=redir2 result=answered \
	"ruri_out~^sip:\+4945002@127.0.0.1:$UAS8"

check "it:iw-calls:switch-ran-to-the-end" kill -0 "$swpid"
sw "quit"
exec 3>&-
if [ -n "$FAILED" ]; then
	echo "--- switch"
	cat "$out"
	echo "--- tandemd"
	grep -v DLGLOBAL "$TMPD/td.log" | tail -80
fi
exit ${FAILED:-0}
