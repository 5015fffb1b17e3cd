#!/bin/bash
# The RTP test endpoint checked against itself: a tone's level and frequency,
# RFC 4733 digits, in-band DTMF, loss and jitter figures.
source "$(dirname "$0")/../lib.sh"
P=$BUILD/peers/rtp-peer
A=24320
B=24322
# each sends to the other: the tone's sender latches to the digits' sender
# (so it sends only to a port that is bound) and start_bg has its port bound
# before the other sends
start_bg "$TMPD/a.out" "$P" --local 127.0.0.1:$A --latch --tone 1004:-10 --seconds 1.5
"$P" --local 127.0.0.1:$B --remote 127.0.0.1:$A --events 12#9 --seconds 1.5 >"$TMPD/b.out"
wait "$BG_PID"
# the receiver first (start_bg waits for its port): the digits' sender
# started first lost its first digit to a port not yet bound under load
# (loaded run 40: "56")
start_bg "$TMPD/d.out" "$P" --local 127.0.0.1:$B --latch --silent --seconds 1.5
"$P" --local 127.0.0.1:$A --remote 127.0.0.1:$B --pt 0 --inband 456 --seconds 1.5 >"$TMPD/c.out"
wait "$BG_PID"
# --latch --seconds counts from the latch: the far end starts 1 s late, the
# latched peer still sends 1.5 s (75 packets), not the 0.5 s left of its
# own start's 1.5 s
start_bg "$TMPD/e.out" "$P" --local 127.0.0.1:$A --latch --tone 1004:-10 --seconds 1.5
sleep 1
"$P" --local 127.0.0.1:$B --remote 127.0.0.1:$A --seconds 1.7 >"$TMPD/f.out"
wait "$BG_PID"
val() { tr ' ' '\n' <"$1" | sed -n "s/^$2=//p" | head -1 | tr -d '"'; }
within() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }'; }
check "it:rtppeer-tone ($(val "$TMPD/b.out" f1004_dbm0) dBm0)" within "$(val "$TMPD/b.out" f1004_dbm0)" -10.5 -9.5
check "it:rtppeer-rfc4733 ($(val "$TMPD/a.out" events))" test "$(val "$TMPD/a.out" events)" = "12#9"
check "it:rtppeer-inband-ulaw ($(val "$TMPD/d.out" inband_dtmf))" test "$(val "$TMPD/d.out" inband_dtmf)" = "456"
check "it:rtppeer-no-loss" test "$(val "$TMPD/b.out" lost)" = 0
check "it:rtppeer-pkts ($(val "$TMPD/b.out" pkts))" within "$(val "$TMPD/b.out" pkts)" 70 76
etx=$(tr ' ' '\n' <"$TMPD/e.out" | awk '/^TX$/ {t = 1; next} t && /^pkts=/ {sub("pkts=", ""); print; exit}')
check "it:rtppeer-latch-late-full-duration (TX pkts ${etx:-?} after a 1 s late latch; $(val "$TMPD/f.out" pkts) heard)" \
	within "${etx:-0}" 70 76
exit ${FAILED:-0}
