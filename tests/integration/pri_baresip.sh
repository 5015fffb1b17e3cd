#!/bin/bash
# A PRI call to a real SIP phone: the libpri PBX (tests/peers/pri-pbx, user
# side of an E1 EuroISDN span, tandem the network side) calls 030123456;
# tandem sends the INVITE to baresip (package baresip-core), which answers
# on its own (answermode=auto). Voice both ways: baresip plays 1004 Hz at
# -10 dBm0 from a WAV file (aufile), which the PBX measures on its B
# channel; the PBX sends its 1004 Hz at -10 dBm0, which baresip's sndfile
# module records as it decodes it, measured here; tandem's RTP counters
# (show calls, CDR) count both ways. The PBX clears (DISCONNECT 16): BYE to
# baresip, which ends its call. Ports 27150-27179.
source "$(dirname "$0")/../lib.sh"
PBX=$BUILD/peers/pri-pbx
[ -x "$PBX" ] || { skip "it:pri-baresip pri-pbx not built (libpri-dev missing: make deps)"; exit 0; }
baresip_find "it:pri-baresip" || exit 0
VTY=27150 L=27151 R=27152 SIP=27153 PHONE=27154

within() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v != "" && v >= lo && v <= hi) }'; }

# baresip's source: 1004 Hz at -10 dBm0
tone_wav "$TMPD/tone1004.wav" -10
baresip_cfg "$TMPD/phone" $PHONE +4930123456 27170-27179 "$TMPD/tone1004.wav"

cat >"$TMPD/t.cfg" <<CFG
log stderr
 logging filter all 1
 logging print category 1
 logging level set-all notice
 logging level isdn info
line vty
 bind 127.0.0.1 $VTY
sip
 listen udp 127.0.0.1 $SIP
 trunk phone
  remote 127.0.0.1 $PHONE
routing
 numbering country-code 49 national-prefix 0 international-prefix 00
 route to-sip default via phone
media
 rtp-port-range 27160 27169
 span 0 e1 local 127.0.0.1 $L remote 127.0.0.1 $R frames 8 signalling pri network switchtype euroisdn
operations
 cdr file $TMPD/cdr.json format json
CFG

start_bg "$TMPD/phone.log" "$BARESIP" -f "$TMPD/phone" -t 90
phone=$BG_PID
start_bg "$TMPD/td.log" "$TANDEMD" -c "$TMPD/t.cfg"
wait_tcp $VTY || { fail "it:pri-baresip:start tandemd VTY not up"; exit 1; }
mkfifo "$TMPD/pbx.in"
exec 3<>"$TMPD/pbx.in"
start_bg "$TMPD/pbx.out" "$PBX" --local 127.0.0.1:$R --remote 127.0.0.1:$L \
	--seconds 90 --input "$TMPD/pbx.in"
pbx() { echo "$*" >&3; }
wait_ev "$TMPD/phone.log" "baresip is ready" 50 ||
	{ fail "it:pri-baresip:baresip-start"; tail -20 "$TMPD/phone.log"; exit 1; }
wait_ev "$TMPD/td.log" 'span 0: RESTART ACKNOWLEDGE channel 31' 100 ||
	{ fail "it:pri-baresip:span-up (no RESTART of the B channels acknowledged)"; exit 1; }

pbx "call 30123456 895550"
check "it:pri-baresip:answered (CONNECT at the PBX)" wait_ev "$TMPD/pbx.out" '^EV ANSWER' 100
check "it:pri-baresip:baresip-established" wait_ev "$TMPD/phone.log" "Call established" 50
calls=$(vty $VTY "show calls")
check "it:pri-baresip:show-calls ($(grep -m1 'span0' <<<"$calls"))" \
	grep -q 'PRI->SIP active: +49895550 -> +4930123456; PRI span0 B channel 1;' <<<"$calls"
# 4 s of voice: what the PBX heard in it (baresip's tone), then tandem's
# RTP counters for the call (show calls' figures are at most 2 s old)
pbx "level"
sleep 4
nlev=$(grep -c '^EV LEVEL' "$TMPD/pbx.out")
pbx "level"
wait_ev "$TMPD/pbx.out" '^EV LEVEL' 30 $((nlev + 1))
lev=$(grep '^EV LEVEL' "$TMPD/pbx.out" | tail -1)
plvl=$(tr ' ' '\n' <<<"$lev" | sed -n 's/^max_dbm0=//p')
loud=$(tr ' ' '\n' <<<"$lev" | sed -n 's/^loud_blocks=//p')
check "it:pri-baresip:voice-phone-to-pbx (baresip 1004 Hz -10 dBm0 -> B1: ${plvl:-none} dBm0, $loud of 100 ms loud)" \
	bash -c "awk -v v='$plvl' 'BEGIN { exit !(v != \"\" && v >= -13 && v <= -7) }' && [ '${loud:-0}' -ge 30 ]"
calls=$(vty $VTY "show calls")
t_rx=$(sed -n 's/.*RTP rx \([0-9]*\) tx \([0-9]*\) lost \([-0-9]*\).*/\1/p' <<<"$calls" | head -1)
t_tx=$(sed -n 's/.*RTP rx \([0-9]*\) tx \([0-9]*\) lost \([-0-9]*\).*/\2/p' <<<"$calls" | head -1)
check "it:pri-baresip:rtp-counted (tandem: rx ${t_rx:-?} tx ${t_tx:-?} packets)" \
	bash -c "[ '${t_rx:-0}' -ge 100 ] && [ '${t_tx:-0}' -ge 100 ]"

pbx "hangup 16"
check "it:pri-baresip:bye-ends-the-phone-call" wait_ev "$TMPD/phone.log" \
	"session closed: Connection reset by peer" 50
check "it:pri-baresip:released-at-pbx (RELEASE after its DISCONNECT)" wait_ev "$TMPD/pbx.out" '^EV HANGUP(_ACK)? .*chan=1' 50
wait_ev "$TMPD/cdr.json" '"called_in": *"4930123456"' 30
check "it:pri-baresip:cdr (pri-sip answered, cause 16, SIP 200, RTP counted)" \
	"$TOP/tests/integration/cdr_check.py" "$TMPD/cdr.json" direction=pri-sip called_in=4930123456 -- \
	result=answered release_side=pri cause=16 sip_status=200 span=0 timeslot=1 'rtp_rx>100' 'rtp_tx>100'
sleep 0.5
check "it:pri-baresip:channel-idle ($(vty $VTY 'show pri spans' | grep -o 'idle [0-9]* busy [0-9]*'))" \
	bash -c "$BUILD/tandem-tool vty --port $VTY 'show pri spans' | grep -q 'idle 30 busy 0'"

# what baresip decoded: the PBX's 1004 Hz (Goertzel per 20 ms block; a
# block counts when the tone holds most of its power)
kill -TERM "$phone" 2>/dev/null
wait "$phone" 2>/dev/null
rec=$(ls "$TMPD"/phone/rec/dump-*-dec.wav 2>/dev/null | head -1)
if [ -n "$rec" ]; then
	res=$(python3 - "$rec" <<'PY'
import math, struct, sys, wave
w = wave.open(sys.argv[1], "rb")
rate, ch = w.getframerate(), w.getnchannels()
raw = w.readframes(w.getnframes())
x = struct.unpack("<%dh" % (len(raw) // 2), raw)[::ch]
n = rate // 50
k = 2 * math.cos(2 * math.pi * 1004 / rate)
good, levels = 0, []
for b in range(len(x) // n):
    s = x[b * n:(b + 1) * n]
    q1 = q2 = 0.0
    for v in s:
        q1, q2 = v + k * q1 - q2, q1
    amp = 2 * math.sqrt(max(q1 * q1 + q2 * q2 - k * q1 * q2, 0)) / n
    rms = math.sqrt(sum(v * v for v in s) / n)
    if rms > 0 and amp * amp / 2 > 0.8 * rms * rms:
        good += 1
        levels.append(20 * math.log10(amp / 22794))
levels.sort()
print("tone_secs=%.2f level_dbm0=%.1f" % (good * n / rate, levels[len(levels) // 2] if levels else -99.0))
PY
)
	secs=$(tr ' ' '\n' <<<"$res" | sed -n 's/^tone_secs=//p')
	lvl=$(tr ' ' '\n' <<<"$res" | sed -n 's/^level_dbm0=//p')
	check "it:pri-baresip:voice-pbx-to-phone (PBX 1004 Hz -10 dBm0 -> baresip: $res)" \
		bash -c "awk -v s='$secs' 'BEGIN { exit !(s >= 3) }' && awk -v v='$lvl' 'BEGIN { exit !(v >= -13 && v <= -7) }'"
else
	fail "it:pri-baresip:voice-pbx-to-phone no recording in $TMPD/phone/rec ($(ls "$TMPD/phone/rec"))"
fi
if [ "${FAILED:-0}" != 0 ]; then
	echo "--- baresip"; tail -30 "$TMPD/phone.log"
	echo "--- tandemd"; tail -30 "$TMPD/td.log"
	echo "--- pbx"; tail -20 "$TMPD/pbx.out"
fi
exit ${FAILED:-0}
