#!/bin/bash
# make demo: the gateway's main job as far as it goes today, shown.
#
# tandemd starts on etc/tandem.cfg plus an E1 span; an emulated E1 (a
# CESoPSN pseudowire from tests/peers/e1-emu) and two RTP endpoints
# (tests/peers/rtp-peer) stand for the TDM switch and the SIP side's media.
# Timeslots are connected to RTP with the VTY's test-call: a 1004 Hz tone
# and DTMF cross in both directions, and the hybrid's echo is cancelled.
# (The ISUP <-> SIP call set-up joins this script when the SS7 side lands.)
source "$(dirname "$0")/lib.sh"
PORT=4270
if (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null; then
	echo "demo: something already listens on 127.0.0.1:$PORT (a tandemd from 'make run'?)"
	exit 1
fi
cfg=$TMPD/demo.cfg
cat "$TOP/etc/tandem.cfg" >"$cfg"
cat >>"$cfg" <<CFG
media
 rtp-port-range 26000 26999
 span 0 e1 local 127.0.0.1 26100 remote 127.0.0.1 26102 frames 8
CFG

echo "== starting tandemd (etc/tandem.cfg + one E1 span on a CESoPSN pseudowire)"
start_bg "$TMPD/tandemd.log" "$BUILD/tandemd" -c "$cfg"
pid=$BG_PID
wait_tcp $PORT 50 || { echo "tandemd did not start:"; cat "$TMPD/tandemd.log"; exit 1; }
echo
echo "== VTY: show version"
vty $PORT "show version"

echo "== VTY: connect timeslots to RTP endpoints (enable; media test-call ...)"
out=$(vty $PORT enable \
	"media test-call span 0 timeslot 1 remote 127.0.0.1 26200 codec pcma telephone-event 101 echo-canceller off" \
	"media test-call span 0 timeslot 2 remote 127.0.0.1 26202 codec pcmu echo-canceller tandem")
echo "$out"
p1=$(sed -n 's/^channel [0-9a-f]* rtp-port //p' <<<"$out" | sed -n 1p)
p2=$(sed -n 's/^channel [0-9a-f]* rtp-port //p' <<<"$out" | sed -n 2p)

echo
echo "== 5 seconds of traffic:"
echo "   E1 TS1: 1004 Hz at -10 dBm0, then DTMF 2580 -> RTP A (PCMA, digits as RFC 4733)"
echo "   RTP A : 1004 Hz at -13 dBm0 and RFC 4733 digits 147 -> E1 TS1"
echo "   RTP B : noise at -15 dBm0 (PCMU) -> E1 TS2, whose hybrid echoes it 20 ms later, 12 dB down"
start_bg "$TMPD/a.out" "$BUILD/peers/rtp-peer" --local 127.0.0.1:26200 --remote 127.0.0.1:$p1 \
	--tone 1004:-13 --seconds 5
a=$BG_PID
start_bg "$TMPD/b.out" "$BUILD/peers/rtp-peer" --local 127.0.0.1:26202 --remote 127.0.0.1:$p2 \
	--pt 0 --noise -15 --seconds 5
b=$BG_PID
"$BUILD/peers/e1-emu" --local 127.0.0.1:26102 --remote 127.0.0.1:26100 --timeslots 1-31 \
	--ts 1:tone:1004:-10 --ts 2:echo:20:12 --seconds 5 >"$TMPD/e1.out"
wait "$a" "$b"
# second pass on TS1: digits both ways
start_bg "$TMPD/a2.out" "$BUILD/peers/rtp-peer" --local 127.0.0.1:26200 --remote 127.0.0.1:$p1 \
	--events 147 --seconds 2
a=$BG_PID
"$BUILD/peers/e1-emu" --local 127.0.0.1:26102 --remote 127.0.0.1:26100 --timeslots 1-31 \
	--ts 1:dtmf:2580 --seconds 2 >"$TMPD/e1b.out"
wait "$a"

val() { tr ' ' '\n' <"$1" | sed -n "s/^$2=//p" | head -1 | tr -d '"'; }
ts() { grep "^TS $2 " "$1" | tr ' ' '\n' | sed -n "s/^$3=//p" | tr -d '"'; }
echo
echo "== what arrived"
printf '   RTP A received the tone at %s dBm0 (1004 Hz), %s packets, %s lost, jitter %s ms\n' \
	"$(val "$TMPD/a.out" f1004_dbm0)" "$(val "$TMPD/a.out" pkts)" "$(val "$TMPD/a.out" lost)" \
	"$(val "$TMPD/a.out" jitter_ms)"
printf '   E1 TS1 received the tone at %s dBm0\n' "$(ts "$TMPD/e1.out" 1 f1004_dbm0)"
printf '   RTP A received the digits "%s" as RFC 4733 events (in-band left: "%s")\n' \
	"$(val "$TMPD/a2.out" events)" "$(val "$TMPD/a2.out" inband_dtmf)"
printf '   E1 TS1 heard the digits "%s" as tones\n' "$(ts "$TMPD/e1b.out" 1 dtmf)"
printf '   RTP B: noise sent at -15 dBm0; what came back after the echo canceller: %s dBm0\n' \
	"$(val "$TMPD/b.out" level_dbm0)"
echo "   (the hybrid alone returns about -26 dBm0: see tests/integration/media_echo.sh)"
echo
echo "== VTY: show media"
vty $PORT "show media"
echo
echo "== stopping tandemd (SIGTERM)"
kill -TERM "$pid"
for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
wait "$pid"
echo "tandemd exited with status $?"
echo
echo "== tandemd log"
cat "$TMPD/tandemd.log"
