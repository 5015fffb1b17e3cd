#!/bin/bash
# make demo: the gateway's main job, shown.
#
#   ISUP switch (libss7, tests/peers/isup-switch) --M3UA/TCP--> tandem --SIP/UDP--> sipp
#   E1 (CESoPSN pseudowire, tests/peers/e1-emu)  <--TDM-->  tandem <--RTP--> RTP endpoint
#   PBX on an E1 PRI (libpri, tests/peers/pri-pbx; D channel on TS16) --> tandem --SIP--> sipp
#
# Call 1 comes from the switch: IAM -> ENUM (dnsmasq) -> INVITE, 180 -> ACM,
# 200 -> ANM; a tone
# and DTMF cross the E1 timeslot <-> RTP both ways; the switch hangs up
# (REL -> BYE). Call 2 comes from SIP: INVITE -> IAM, ACM -> 180, ANM -> 200;
# sipp hangs up (BYE -> REL). Call 3 comes from a PBX on a PRI span: SETUP
# -> INVITE, 180 -> ALERTING, 200 -> CONNECT, a tone both ways on the B
# channel, the PBX clears (DISCONNECT -> BYE). tshark watches the signalling
# on loopback and the ladder of the calls is printed at the end (the PRI
# call's Q.931 from the PBX's D channel capture).
source "$(dirname "$0")/lib.sh"
PORT=4270 M3UA=26010 SIP=26020 UAS=26022 UAC=26024 DNS=26030 SPAN_L=26100 SPAN_R=26102 RTP=26200
PRI_L=26104 PRI_R=26106
PBX=$BUILD/peers/pri-pbx
DNSMASQ=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)
for p in $PORT $M3UA; do
	if (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then
		echo "demo: something already listens on 127.0.0.1:$p (a tandemd from 'make run'?)"
		exit 1
	fi
done
command -v sipp >/dev/null || { echo "demo: sipp is missing (make deps installs it)"; exit 1; }
cd "$TMPD" || exit 1

cfg=$TMPD/demo.cfg
cat "$TOP/etc/tandem.cfg" >"$cfg"
cat >>"$cfg" <<CFG
log stderr
 logging level set-all notice
sigtran
 asp stp
  remote 127.0.0.1 $M3UA
  transport tcp
  routing-context 1
isup
 linkset switch
  asp stp
  variant itu
  point-code local 2 remote 1
  cic 1 31 span 0 timeslot 1
sip
 listen udp 127.0.0.1 $SIP
 trunk carrier
  remote 127.0.0.1 $UAS
routing
 numbering country-code 49 national-prefix 0 international-prefix 00
 route to-sip default via carrier
 route to-sip 4930 enum via carrier
 enum servers 127.0.0.1:$DNS
 route to-isup default via switch
media
 rtp-port-range 26300 26399
 span 0 e1 local 127.0.0.1 $SPAN_L remote 127.0.0.1 $SPAN_R frames 8
CFG
if [ -x "$PBX" ]; then
	echo " span 1 e1 local 127.0.0.1 $PRI_L remote 127.0.0.1 $PRI_R frames 8 signalling pri network switchtype euroisdn" >>"$cfg"
fi

show_wait() { # FILE PATTERN [TENTHS]: wait_ev, saying so when it did not come
	wait_ev "$@" || echo "   (no '$2' seen)"
}
events() { # print the switch's lines since the last call
	local n
	n=$(wc -l <"$SW")
	sed -n "$((SHOWN + 1)),${n}p" "$SW" | grep -E '^(EV|CMD)' | grep -vE 'EV (MTP2_UP|ASP_)' |
		sed 's/^/   switch: /'
	SHOWN=$n
}

if [ -x "$DNSMASQ" ]; then
	# ENUM (RFC 6116) for +49 30 123456: a NAPTR whose regexp rewrites the
	# number into the carrier's SIP URI
	cat >"$TMPD/dnsmasq.conf" <<CONF
port=$DNS
listen-address=127.0.0.1
bind-interfaces
no-resolv
no-hosts
local=/e164.arpa/
naptr-record=6.5.4.3.2.1.0.3.9.4.e164.arpa,10,10,u,E2U+sip,!^\\+49(.*)\$!sip:0\\1@carrier.example!
CONF
	start_bg "$TMPD/dnsmasq.log" "$DNSMASQ" -k -C "$TMPD/dnsmasq.conf" --pid-file= --user=nobody \
		--log-facility=- --log-queries
	# bound before the first ENUM query (one to a port nobody holds is
	# refused at once and the call routes without ENUM)
	wait_udp $DNS 50
fi
ladder=""
if command -v tshark >/dev/null; then
	start_bg "$TMPD/tshark.log" tshark -i lo -f "tcp port $M3UA or udp port $SIP" -w "$TMPD/sig.pcap"
	cap=$BG_PID
	for _ in $(seq 1 50); do grep -qs "Capturing on" "$TMPD/tshark.log" && { ladder=1; break; }; sleep 0.1; done
fi

echo "== tandemd on etc/tandem.cfg plus: an M3UA ASP toward the switch, ISUP linkset"
echo "   (ITU, point codes 2 -> 1, CICs 1-31 on E1 span 0), a SIP trunk to sipp, routing"
echo "   (country code 49; numbers under +49 30 looked up in ENUM first), one E1 span"
echo "   carried as a CESoPSN pseudowire$([ -x "$PBX" ] && echo "; E1 span 1 with an ISDN D channel (PRI, network side)")"
start_bg "$TMPD/tandemd.log" "$BUILD/tandemd" -c "$cfg"
pid=$BG_PID
wait_tcp $PORT 50 || { echo "tandemd did not start:"; cat "$TMPD/tandemd.log"; exit 1; }
if [ -x "$PBX" ]; then
	# the PBX comes up now: Q.921 and the RESTARTs are done by call 3
	mkfifo "$TMPD/pbx.in"
	exec 4<>"$TMPD/pbx.in"
	start_bg "$TMPD/pbx.out" "$PBX" --local 127.0.0.1:$PRI_R --remote 127.0.0.1:$PRI_L \
		--pcap "$TMPD/d.pcap" --seconds 120 --input "$TMPD/pbx.in"
fi

echo
echo "== the ISUP switch (libss7) comes up behind an M3UA signalling gateway"
SW=$TMPD/switch.out SHOWN=0
mkfifo "$TMPD/switch.in"
start_bg "$SW" "$BUILD/peers/isup-switch" --listen "127.0.0.1:$M3UA" --variant itu --opc 1 --dpc 2 \
	--rc 1 --cics 1-31 --timeout 120 --script "$TMPD/switch.in"
exec 3>"$TMPD/switch.in"
sw() { echo "$*" >&3; }
sw "wait-link 10"
show_wait "$SW" "EV GRS cic=1" 100
sleep 0.5
events
vty $PORT "show m3ua" "show isup linksets" | sed 's/^/   /'

echo
echo "== call 1: the switch calls 030 123456 (national) from 089 555 on CIC 3"
start_bg "$TMPD/uas.out" timeout 60 sipp -sf "$TOP/tests/integration/sipp/uas_media.xml" \
	-key rtpport $RTP -i 127.0.0.1 -p $UAS -m 1 -nostdin -trace_msg -message_file "$TMPD/uas.msg"
uas=$BG_PID
sw "call 3 30123456 89555"
show_wait "$SW" "EV ANM cic=3" 50
events
wait_ev "$TMPD/uas.msg" "^INVITE " 20 >/dev/null
echo "   sipp received:"
sed -n '/^INVITE /,/^$/p' "$TMPD/uas.msg" | head -12 | sed 's/^/     | /'
echo "   tandemd:"
grep -E "DIW" "$TMPD/tandemd.log" | sed 's/^[A-Z]* [A-Z]* [^ ]* /     /'
echo
vty $PORT "show calls" | sed 's/^/   /'

echo
echo "== voice, 3 s: E1 TS3 sends 1004 Hz at -10 dBm0, the SIP side's RTP endpoint 1004 Hz at -13"
start_bg "$TMPD/rtp.out" "$BUILD/peers/rtp-peer" --local 127.0.0.1:$RTP --latch --tone 1004:-13 \
	--seconds 3
a=$BG_PID
"$BUILD/peers/e1-emu" --local 127.0.0.1:$SPAN_R --remote 127.0.0.1:$SPAN_L --timeslots 1-31 \
	--ts 3:tone:1004:-10 --seconds 3 >"$TMPD/e1.out"
wait "$a"
echo "== DTMF: the E1 side dials 2580 in-band; then the RTP side sends RFC 4733 events 147"
start_bg "$TMPD/rtp2.out" "$BUILD/peers/rtp-peer" --local 127.0.0.1:$RTP --latch --seconds 3
a=$BG_PID
sleep 0.3 # the RTP endpoint listens before the E1 side dials
"$BUILD/peers/e1-emu" --local 127.0.0.1:$SPAN_R --remote 127.0.0.1:$SPAN_L --timeslots 1-31 \
	--ts 3:dtmf:2580 --seconds 2 >/dev/null
wait "$a"
start_bg "$TMPD/e1b.out" "$BUILD/peers/e1-emu" --local 127.0.0.1:$SPAN_R --remote 127.0.0.1:$SPAN_L \
	--timeslots 1-31 --seconds 3
a=$BG_PID
sleep 0.5 # the E1 side listens before the RTP side sends its digits
"$BUILD/peers/rtp-peer" --local 127.0.0.1:$RTP --latch --events 147 --seconds 2 >/dev/null
wait "$a"
val() { tr ' ' '\n' <"$1" | sed -n "s/^$2=//p" | head -1 | tr -d '"'; }
ts() { grep "^TS $2 " "$1" | tr ' ' '\n' | sed -n "s/^$3=//p" | tr -d '"'; }
printf '   RTP endpoint heard 1004 Hz at %s dBm0 (%s packets, %s lost, jitter %s ms)\n' \
	"$(val "$TMPD/rtp.out" f1004_dbm0)" "$(val "$TMPD/rtp.out" pkts)" \
	"$(val "$TMPD/rtp.out" lost)" "$(val "$TMPD/rtp.out" jitter_ms)"
printf '   E1 TS3 heard 1004 Hz at %s dBm0\n' "$(ts "$TMPD/e1.out" 3 f1004_dbm0)"
printf '   RTP endpoint got the digits "%s" as RFC 4733 events (in-band left: "%s")\n' \
	"$(val "$TMPD/rtp2.out" events)" "$(val "$TMPD/rtp2.out" inband_dtmf)"
printf '   E1 TS3 heard the digits "%s" as tones\n' "$(ts "$TMPD/e1b.out" 3 dtmf)"

echo
echo "== the switch hangs up (REL cause 16)"
sw "release 3 16"
show_wait "$SW" "EV RLC cic=3" 50
events
wait "$uas"
echo "   sipp: scenario $([ $? -eq 0 ] && echo completed || echo FAILED); it received:"
grep -E "^(BYE|Reason)" "$TMPD/uas.msg" | sed 's/^/     | /'

echo
echo "== call 2: a SIP caller dials +49 89 123456; the switch rings and answers"
start_bg "$TMPD/uac.out" timeout 30 sipp -sn uac "127.0.0.1:$SIP" -i 127.0.0.1 -p $UAC \
	-s +4989123456 -m 1 -d 1500 -nostdin
uac=$BG_PID
show_wait "$SW" "EV IAM cic=[0-9]+ called=89123456" 50
cic=$(sed -n 's/^EV IAM cic=\([0-9]*\) called=89123456.*/\1/p' "$SW" | head -1)
sw "ring ${cic:-0}"
sleep 0.3
sw "answer ${cic:-0}"
show_wait "$SW" "EV REL cic=${cic:-0}" 60
sleep 0.3
events
wait "$uac"
echo "   sipp (caller): $([ $? -eq 0 ] && echo "call completed: 183, 200, ACK, BYE after 1.5 s" || echo FAILED)"

echo
echo "== VTY: show isup linksets / show isup circuits / show calls"
vty $PORT "show isup linksets" "show isup circuits" "show calls" | sed 's/^/   /'
sw "quit"
exec 3>&-

pri_t0=""
if [ -x "$PBX" ]; then
	pbx() { echo "$*" >&4; }
	echo
	echo "== call 3: a PBX on PRI span 1 calls 040 123456 (national) from 089 5550"
	show_wait "$TMPD/pbx.out" '^EV RESTART chan=31' 50
	start_bg "$TMPD/uas3.out" timeout 30 sipp -sf "$TOP/tests/integration/sipp/uas_media.xml" \
		-key rtpport $RTP -i 127.0.0.1 -p $UAS -m 1 -nostdin -trace_msg -message_file "$TMPD/uas3.msg"
	uas=$BG_PID
	sleep 0.3
	pri_t0=$(date +%s.%N)
	pbx "call 40123456 895550"
	show_wait "$TMPD/pbx.out" '^EV ANSWER' 50
	grep -E '^EV (SETUP_SENT|PROCEEDING|RINGING|ANSWER)' "$TMPD/pbx.out" | sed 's/^/   PBX: /'
	echo "   sipp received:"
	sed -n '/^INVITE /,/^$/p' "$TMPD/uas3.msg" | grep -E '^(INVITE|From|To|P-Asserted)' | sed 's/^/     | /'
	vty $PORT "show calls" "show pri spans" | grep -E 'PRI|span 1|channels|frames' | sed 's/^/   /'
	echo "== voice, 2 s: the PBX sends 1004 Hz at -10 dBm0 on B channel 1, the RTP endpoint -13"
	pbx "level"
	"$BUILD/peers/rtp-peer" --local 127.0.0.1:$RTP --latch --tone 1004:-13 --seconds 2 >"$TMPD/rtp3.out"
	pbx "level"
	show_wait "$TMPD/pbx.out" '^EV LEVEL' 30 2
	printf '   RTP endpoint heard 1004 Hz at %s dBm0 (%s packets, %s lost)\n' \
		"$(val "$TMPD/rtp3.out" f1004_dbm0)" "$(val "$TMPD/rtp3.out" pkts)" "$(val "$TMPD/rtp3.out" lost)"
	printf '   the PBX heard %s dBm0 on B channel 1\n' \
		"$(grep '^EV LEVEL' "$TMPD/pbx.out" | tail -1 | tr ' ' '\n' | sed -n 's/^max_dbm0=//p')"
	echo "== the PBX hangs up (DISCONNECT cause 16)"
	pbx "hangup 16"
	wait "$uas"
	echo "   sipp: scenario $([ $? -eq 0 ] && echo completed || echo FAILED); it received:"
	grep -E "^(BYE|Reason)" "$TMPD/uas3.msg" | sed 's/^/     | /'
	show_wait "$TMPD/pbx.out" '^EV VOICE chan=1' 30 # the PBX's call ended (RELEASE)
	sleep 0.3
	grep -E 'CDR call=[0-9]+ dir=pri-sip' "$TMPD/tandemd.log" | sed 's/^[A-Z]* [A-Z]* [^ ]* /   /'
	pbx "quit"
	show_wait "$TMPD/pbx.out" '^EV END' 30
fi

if [ -n "$ladder" ]; then
	sleep 0.3
	kill -INT "$cap"
	wait "$cap" 2>/dev/null
	echo
	echo "== the ladder, as tshark saw it on loopback (M3UA over TCP decoded with"
	echo "   tests/tools/m3ua_tcp.lua; TCP acknowledgements left out)"
	TANDEM_M3UA_PORT=$M3UA tshark -r "$TMPD/sig.pcap" -X lua_script:"$TOP/tests/tools/m3ua_tcp.lua" \
		-T fields -E separator=/t -e frame.time_relative -e tcp.srcport -e udp.srcport \
		-e udp.dstport -e _ws.col.Info 2>/dev/null |
		awk -F'\t' -v m3ua=$M3UA -v sip=$SIP -v uas=$UAS -v uac=$UAC '
		function side(p) { return p == m3ua ? "switch" : p == sip ? "tandem" : p == uas ? "sipp-callee" : p == uac ? "sipp-caller" : "tandem" }
		{
			info = $5
			if (info ~ /^[0-9]+ (→|->) / || info ~ /^\[/) next
			sub(/^Request: /, "", info); sub(/^Status: /, "", info); sub(/ \| *$/, "", info)
			sub(/ +$/, "", info)
			if ($2 != "") { from = $2 == m3ua ? "switch" : "tandem"; to = from == "switch" ? "tandem" : "switch" }
			else { from = side($3); to = side($4) }
			printf "   %7.3f  %-11s -> %-11s %s\n", $1, from, to, info
		}'
	if [ -n "$pri_t0" ] && [ -s "$TMPD/d.pcap" ]; then
		echo
		echo "== call 3's Q.931 on the D channel, as the PBX captured it (LAPD), from its SETUP"
		# (frame.p2p_dir 0: sent by the PBX, 1: received)
		tshark -r "$TMPD/d.pcap" -Y q931 -T fields -E separator=/t -e frame.time_epoch \
			-e frame.p2p_dir -e _ws.col.Info 2>/dev/null |
			awk -F'\t' -v t0="$pri_t0" '$1 >= t0 - 0.1 {
				msg = $3; sub(/^.*\| */, "", msg)
				dir = $2 == 0 ? "PBX    -> tandem" : "tandem -> PBX   "
				printf "   %7.3f  %s %s\n", $1 - t0, dir, msg
			}'
	fi
fi

echo
echo "== stopping tandemd (SIGTERM)"
kill -TERM "$pid"
for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
wait "$pid"
echo "tandemd exited with status $?"
echo
echo "== tandemd log"
grep -v DLGLOBAL "$TMPD/tandemd.log"
