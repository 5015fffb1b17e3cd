#!/bin/bash
# 200 channels on one media worker: seven E1 spans (217 timeslots) driven by
# seven emulators, 200 timeslots connected to RTP (PCMA, echo canceller
# on), for 5 s. Nothing may be lost in either direction.
source "$(dirname "$0")/../lib.sh"
VTY=24993
{
	printf 'line vty\n bind 127.0.0.1 %s\nmedia\n workers 1\n rtp-port-range 25000 25999\n' $VTY
	printf ' echo-canceller tandem tail 128\n'
	for s in 0 1 2 3 4 5 6; do
		printf ' span %d e1 local 127.0.0.1 %d remote 127.0.0.1 %d frames 8\n' \
			$s $((24800 + 4 * s)) $((24802 + 4 * s))
	done
} >"$TMPD/t.cfg"
start_bg "$TMPD/tandemd.log" "$BUILD/tandemd" -c "$TMPD/t.cfg"
wait_tcp $VTY 50 || { fail "it:media200-start"; cat "$TMPD/tandemd.log"; exit 1; }
cmds=(enable)
n=0
for s in 0 1 2 3 4 5 6; do
	for t in $(seq 1 31); do
		[ $n -lt 200 ] || break
		cmds+=("media test-call span $s timeslot $t remote 127.0.0.1 24890 codec pcma")
		n=$((n + 1))
	done
done
made=$(vty $VTY "${cmds[@]}" | grep -c "^channel ")
check "it:media200-channels ($made set up)" test "$made" = 200
start_bg "$TMPD/sink.out" "$BUILD/peers/rtp-peer" --local 127.0.0.1:24890 --count --seconds 6
sink=$BG_PID
emus=()
for s in 0 1 2 3 4 5 6; do
	start_bg "$TMPD/e1-$s.out" "$BUILD/peers/e1-emu" --local 127.0.0.1:$((24802 + 4 * s)) \
		--remote 127.0.0.1:$((24800 + 4 * s)) --timeslots 1-31 --ts 1:tone:1004:-10 \
		--seconds 5
	emus+=("$BG_PID")
done
wait "${emus[@]}" "$sink"
sum=$(cat "$TMPD"/e1-*.out | awk '/^SPAN/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); t[kv[1]] += kv[2] } }
	END { printf "rx_pkts=%d lost=%d bad=%d tx_pkts=%d", t["rx_pkts"], t["lost"], t["bad"], t["tx_pkts"] }')
check "it:media200-tdm-side ($sum over 7 spans)" grep -q "lost=0 bad=0" <<<"$sum"
c=$(cat "$TMPD/sink.out")
# every stream present, none lost, each carried at least 2 s of its 5 s
# (the seven E1 emulators start one after another and share 2 cores with
# tandemd and the counting endpoint: how many packets they manage to send
# varies from run to run; loss is what this test is about)
check "it:media200-rtp-side ($c)" awk -v l="$c" 'BEGIN { split(l, a, " ");
	for (i in a) { split(a[i], kv, "="); v[kv[1]] = kv[2] }
	exit !(v["streams"] == 200 && v["lost"] == 0 && v["min_pkts_per_stream"] >= 100) }'
show=$(vty $VTY "show media")
echo "$show"
check "it:media200-worker-counters" grep -q "^worker 0: channels 200" <<<"$show"
exit ${FAILED:-0}
