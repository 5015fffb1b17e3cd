#!/bin/bash
# A call to a real SIP phone: the libss7 switch places an ISUP call through
# tandemd to baresip (package baresip-core), which answers on its own
# (answermode=auto). Voice crosses both ways between the emulated E1 and
# baresip: baresip plays a 1004 Hz tone from a WAV file (its aufile source),
# which the E1 emulator measures on the call's timeslot; the E1 emulator
# sends 1500 Hz, which baresip's sndfile module records as it decodes it,
# and the recording is measured here. The switch then releases: RLC back,
# and BYE to baresip, which ends its call. Then the other way: a second
# baresip dials tandem, the switch gets the IAM, rings and answers, voice
# is checked the same way, and baresip's BYE when it quits gives REL 16.
# The call runs with tandem's echo canceller on (TANDEM_EC=off or another
# name to change it): the E1's 1500 Hz goes one way while baresip's 1004 Hz
# goes the other (double talk on a line with no echo) and must arrive at its
# level. (An earlier canceller sent it on 9 dB louder; check_ec's
# test_tones_no_echo keeps that case.)
# Knobs for looking into such things: E1_HZ (the E1's tone, 1500),
# PHONE_DBM0 (baresip's level, -10), KEEP_REC=DIR (keep baresip's WAVs).
# Ports 25400-25449.
source "$(dirname "$0")/../lib.sh"
[ -x "$BUILD/peers/isup-switch" ] || { skip "it:iw-baresip: isup-switch not built"; exit 0; }
[ -x "$BUILD/peers/e1-emu" ] || { skip "it:iw-baresip: e1-emu not built"; exit 0; }
baresip_find "it:iw-baresip:" || exit 0
cd "$TMPD" || exit 1
VTY=25400 M3UA=25401 SIP=25402 PHONE=25403 CALLER=25404 SPAN_L=25405 SPAN_R=25406
CIC=3 SECONDS_VOICE=4 E1_HZ=${E1_HZ:-1500}

near() { # VALUE TARGET TOLERANCE
	awk -v v="$1" -v t="$2" -v d="$3" 'BEGIN { exit !(v != "" && v >= t - d && v <= t + d) }'
}

tone_wav "$TMPD/tone1004.wav" "${PHONE_DBM0:--10}"

baresip_cfg "$TMPD/phone" $PHONE +4930123456 25440-25449 "$TMPD/tone1004.wav"
baresip_cfg "$TMPD/caller" $CALLER +4989777 25440-25449 "$TMPD/tone1004.wav"

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
 trunk phone
  remote 127.0.0.1 $PHONE
routing
 numbering country-code 49 national-prefix 0 international-prefix 00
 route to-sip default via phone
 route to-isup default via sw1
media
 rtp-port-range 25420 25439
 echo-canceller ${TANDEM_EC:-tandem} tail 128
 span 0 e1 local 127.0.0.1 $SPAN_L remote 127.0.0.1 $SPAN_R frames 8
CFG

# rec_check NAME DIR TS: baresip's recording of what it decoded must hold
# the E1's $E1_HZ Hz at -13 dBm0 for most of the E1's seconds (Goertzel per
# 20 ms block)
rec_check() {
	local name=$1 rec res secs lvl
	rec=$(ls "$2"/dump-*-dec.wav 2>/dev/null | head -1)
	[ -n "${KEEP_REC:-}" ] && cp "$2"/*.wav "$KEEP_REC"/
	if [ -z "$rec" ]; then
		fail "it:iw-baresip:$name:voice-tdm-to-phone: no recording in $2 ($(ls "$2"))"
		return
	fi
	res=$(python3 - "$rec" "$E1_HZ" <<'PY'
import math, struct, sys, wave
w = wave.open(sys.argv[1], "rb")
hz = float(sys.argv[2])
rate, ch = w.getframerate(), w.getnchannels()
raw = w.readframes(w.getnframes())
x = struct.unpack("<%dh" % (len(raw) // 2), raw)[::ch]
n = rate // 50  # 20 ms blocks

def dbm0(amp):  # sine peak -> dBm0 (peak 22794 is 0 dBm0)
    return 20 * math.log10(amp / 22794) if amp > 0 else -99.0

good, levels = 0, []
k = 2 * math.cos(2 * math.pi * hz / rate)
for b in range(len(x) // n):
    s = x[b * n:(b + 1) * n]
    q1 = q2 = 0.0
    for v in s:
        q1, q2 = v + k * q1 - q2, q1
    amp = 2 * math.sqrt(max(q1 * q1 + q2 * q2 - k * q1 * q2, 0)) / n  # tone peak
    rms = math.sqrt(sum(v * v for v in s) / n)
    # a block is the tone when the tone holds most of the block's power
    if rms > 0 and (amp * amp / 2) > 0.8 * rms * rms:
        good += 1
        levels.append(dbm0(amp))
levels.sort()
med = levels[len(levels) // 2] if levels else -99.0
print("rate=%d secs=%.1f tone_secs=%.2f level_dbm0=%.1f" % (rate, len(x) / rate, good * n / rate, med))
PY
)
	echo "   E1 TS$3 -> baresip: $res (sent $E1_HZ Hz at -13 dBm0 for $SECONDS_VOICE s)"
	secs=$(tr ' ' '\n' <<<"$res" | sed -n 's/^tone_secs=//p')
	lvl=$(tr ' ' '\n' <<<"$res" | sed -n 's/^level_dbm0=//p')
	check "it:iw-baresip:$name:voice-tdm-to-phone ($E1_HZ Hz for >= $((SECONDS_VOICE - 1)) s)" \
		awk -v s="$secs" -v m="$((SECONDS_VOICE - 1))" 'BEGIN { exit !(s >= m) }'
	check "it:iw-baresip:$name:voice-tdm-to-phone-level (-13 dBm0 +-3)" near "$lvl" -13 3
}

# e1_voice NAME TS: the E1 side of a call for $SECONDS_VOICE s: sends
# $E1_HZ Hz, measures baresip's 1004 Hz
e1_voice() {
	local rx
	"$BUILD/peers/e1-emu" --local 127.0.0.1:$SPAN_R --remote 127.0.0.1:$SPAN_L --timeslots 1-31 \
		--ts "$2:tone:$E1_HZ:-13" --seconds $SECONDS_VOICE >"$TMPD/e1-$1.out"
	rx=$(grep "^TS $2 " "$TMPD/e1-$1.out" | tr ' ' '\n' | sed -n 's/^f1004_dbm0=//p')
	echo "   baresip -> E1 TS$2: 1004 Hz at ${rx:-?} dBm0 (sent -10)"
	check "it:iw-baresip:$1:voice-phone-to-tdm (1004 Hz, -10 dBm0 +-3)" near "$rx" -10 3
}

start_bg "$TMPD/phone.log" "$BARESIP" -f "$TMPD/phone" -t 90
phone=$BG_PID
out=$TMPD/sw.out
mkfifo "$TMPD/sw.in"
start_bg "$out" "$BUILD/peers/isup-switch" --listen "127.0.0.1:$M3UA" --variant itu --opc 1 \
	--dpc 2 --cics 1-31 --timeout 590 --script "$TMPD/sw.in"
exec 3>"$TMPD/sw.in"
start_bg "$TMPD/td.log" "$BUILD/tandemd" -c "$TMPD/t.cfg"
wait_tcp $VTY 50 || { fail "it:iw-baresip:tandemd-start"; cat "$TMPD/td.log"; exit 1; }
wait_ev "$TMPD/phone.log" "baresip is ready" 50 ||
	{ fail "it:iw-baresip:baresip-start"; cat "$TMPD/phone.log"; exit 1; }
sw "wait-link 10"
wait_ev "$out" "EV GRS cic=1( |$)" 100 || fail "it:iw-baresip:link-up"
sleep 0.5

sw "call $CIC 30123456 89555"
check "it:iw-baresip:to-phone:acm" wait_ev "$out" "EV ACM cic=$CIC( |$)" 100
check "it:iw-baresip:to-phone:anm (baresip answered)" wait_ev "$out" "EV ANM cic=$CIC( |$)" 100
calls=$(vty $VTY "show calls")
sed "s/^/   /" <<<"$calls"
check "it:iw-baresip:to-phone:show-calls (ISUP->SIP active)" grep -q "ISUP->SIP active: +4989555 -> +4930123456; ISUP sw1 CIC $CIC" <<<"$calls"
e1_voice to-phone $CIC
sw "release $CIC 16"
check "it:iw-baresip:to-phone:rel->rlc" wait_ev "$out" "EV RLC cic=$CIC( |$)" 50
# baresip reports a BYE from the peer as "session closed: Connection reset by peer"
check "it:iw-baresip:to-phone:bye-ends-the-phone-call" wait_ev "$TMPD/phone.log" \
	"session closed: Connection reset by peer" 50
check "it:iw-baresip:to-phone:phone-call-terminated" wait_ev "$TMPD/phone.log" \
	"Call with sip:\\+4989555@127.0.0.1;user=phone terminated" 50
check "it:iw-baresip:to-phone:cdr (cause 16, SIP 200, trunk phone)" wait_ev "$TMPD/td.log" \
	"CDR call=1 dir=isup-sip .* answered=yes .* cic=$CIC trunk=phone .* cause=16 sip=200" 30

rec_check to-phone "$TMPD/phone/rec" $CIC
kill -TERM "$phone" 2>/dev/null

# --- the phone calls out: baresip dials +4989777001 (tandem's Request-URI
# rule gives the national number), the switch rings and answers, voice
# both ways, then baresip hangs up (BYE -> REL 16). baresip quits 20 s
# after its start: the switch rings and answers the moment the IAM comes,
# not after the script has seen it (a loaded run's script was late)
answer_on_iam 89777001
start_bg "$TMPD/caller.log" "$BARESIP" -f "$TMPD/caller" -t 20 \
	-e "/dial sip:+4989777001@127.0.0.1:$SIP;user=phone"
caller=$BG_PID
if wait_ev "$out" "EV IAM cic=[0-9]+ called=89777001 " 100; then
	iam=$(grep -E "EV IAM cic=[0-9]+ called=89777001 " "$out" | head -1)
	cic=$(sed -n 's/.*cic=\([0-9]*\).*/\1/p' <<<"$iam")
	pass "it:iw-baresip:from-phone:iam (cic $cic)"
	check "it:iw-baresip:from-phone:calling-number (89777)" grep -q "calling=89777 " <<<"$iam"
	check "it:iw-baresip:from-phone:established (200 after ANM)" wait_ev "$TMPD/caller.log" \
		"Call established" 50
	e1_voice from-phone "$cic"
	# the phone hangs up when its -t time is over
	check "it:iw-baresip:from-phone:bye->rel-16" wait_ev "$out" "EV REL cic=$cic cause=16" 200
	check "it:iw-baresip:from-phone:cdr (SIP->ISUP, answered, cause 16)" wait_ev "$TMPD/td.log" \
		"CDR call=[0-9]+ dir=sip-isup .* answered=yes .* cic=$cic .* cause=16" 30
	wait "$caller"
	rec_check from-phone "$TMPD/caller/rec" "$cic"
else
	fail "it:iw-baresip:from-phone:iam"
	cat "$TMPD/caller.log"
fi
if [ "${FAILED:-0}" != 0 ]; then
	echo "--- baresip"; tail -40 "$TMPD/phone.log"
	echo "--- baresip (caller)"; tail -40 "$TMPD/caller.log" 2>/dev/null
	echo "--- tandemd"; tail -40 "$TMPD/td.log"
	echo "--- switch"; tail -20 "$out"
fi
exit ${FAILED:-0}
