#!/bin/bash
# 200 channels on one media worker: seven E1 spans (217 timeslots) driven by
# seven emulators, 200 timeslots connected to RTP (PCMA, echo canceller
# on), for 5 s. Every hop's own counters are compared, sent against
# received: emulator -> tandem span (tandem's "show media"), tandem span ->
# emulator, tandem -> RTP sink. Loss must stay under 0.01 % on each hop,
# or tandem must have said (show media and its log) that it is overloaded.
# Then tandemd is frozen for 2.5 s under one span's traffic: it must say
# it was overloaded (the check that the overload report works at all).
source "$(dirname "$0")/../lib.sh"
VTY=24993
# The peers run at the priority tandem's media workers take (nice -10,
# worker-priority): on a loaded machine a starved emulator sends in bursts
# and reads late, and its own loss would be charged to the gateway.
PEER_NICE=()
nice -n -10 true 2>/dev/null && PEER_NICE=(nice -n -10)
{
	printf 'line vty\n bind 127.0.0.1 %s\nmedia\n workers 1\n rtp-port-range 25000 25999\n' $VTY
	printf ' echo-canceller tandem tail 128\n'
	for s in 0 1 2 3 4 5 6; do
		printf ' span %d e1 local 127.0.0.1 %d remote 127.0.0.1 %d frames 8\n' \
			$s $((24800 + 4 * s)) $((24802 + 4 * s))
	done
} >"$TMPD/t.cfg"
start_bg "$TMPD/tandemd.log" "$BUILD/tandemd" -c "$TMPD/t.cfg"
tandemd=$BG_PID
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
# the sink counts until tandem has sent its last packet: the emulators are
# done and tandem's RTP count stands still, then SIGUSR1 ends the sink's
# time and its drain reads what is queued (a fixed time, even with 500 ms of
# quiet, missed the last packets of starved emulators: 0.01-0.2 % counted
# as loss in loaded runs)
start_bg "$TMPD/sink.out" "${PEER_NICE[@]}" "$BUILD/peers/rtp-peer" --local 127.0.0.1:24890 --count --seconds 120 \
	--drain 500
sink=$BG_PID
# (start_bg waits for it to listen: two loaded runs, 31 and one a day
# before, counted exactly 31 packets "missing", no stream with a gap, 31
# streams one packet short: a span's 31 channels' first packets, sent
# before the sink had bound its port)
emus=()
for s in 0 1 2 3 4 5 6; do
	start_bg "$TMPD/e1-$s.out" "${PEER_NICE[@]}" "$BUILD/peers/e1-emu" --local 127.0.0.1:$((24802 + 4 * s)) \
		--remote 127.0.0.1:$((24800 + 4 * s)) --timeslots 1-31 --ts 1:tone:1004:-10 \
		--seconds 5
	emus+=("$BG_PID")
done
wait "${emus[@]}"
w_tx_now() { vty $VTY "show media" | sed -n 's/^worker 0: channels [0-9]*, rx [0-9]* tx \([0-9]*\) .*/\1/p'; }
tx_still() {
	local a b
	a=$(w_tx_now)
	sleep 0.3
	b=$(w_tx_now)
	[ -n "$a" ] && [ "$a" = "$b" ]
}
until_tenths 100 tx_still
kill -USR1 "$sink"
wait "$sink"
show=$(vty $VTY "show media")
echo "$show"

kv() { tr ' ' '\n' | sed -n "s/^$1=//p" | head -1; }
# per span: what each side sent and what the other side received
sent=0 missing=0 detail=""
for s in 0 1 2 3 4 5 6; do
	e=$(grep ^SPAN "$TMPD/e1-$s.out")
	t=$(grep "^span $s " <<<"$show")
	e_tx=$(kv tx_pkts <<<"$e") e_rx=$(kv rx_pkts <<<"$e")
	t_rx=$(awk '{print $7}' <<<"$t") t_tx=$(awk '{print $9}' <<<"$t")
	if [ -z "$e_tx" ] || [ -z "$t_rx" ]; then
		fail "it:media200-span-$s-counters (emulator: '$e'; tandem: '$t')"
		continue
	fi
	# emulator -> tandem, tandem -> emulator
	sent=$((sent + e_tx + t_tx))
	missing=$((missing + (e_tx > t_rx ? e_tx - t_rx : 0) + (t_tx > e_rx ? t_tx - e_rx : 0)))
	detail+=" span$s:$e_tx>$t_rx,$t_tx>$e_rx"
done
c=$(cat "$TMPD/sink.out")
w_tx=$(sed -n 's/^worker 0: channels [0-9]*, rx [0-9]* tx \([0-9]*\) .*/\1/p' <<<"$show")
s_rx=$(kv pkts <<<"$c")
sent=$((sent + ${w_tx:-0}))
missing=$((missing + (${w_tx:-0} > ${s_rx:-0} ? ${w_tx:-0} - ${s_rx:-0} : 0)))
echo "hops (sent>received):$detail rtp:${w_tx}>${s_rx}"
loss=$(awk -v m=$missing -v s=$sent 'BEGIN { printf "%.4f", s ? 100 * m / s : 100 }')
if awk -v m=$missing -v s=$sent 'BEGIN { exit !(s > 0 && m * 10000 < s) }'; then
	pass "it:media200-loss ($missing of $sent packets missing over all hops: $loss %)"
elif grep -q "^worker 0: OVERLOADED\|overloaded [1-9][0-9]* times" <<<"$show" &&
	grep -q "media worker 0 overloaded" "$TMPD/tandemd.log"; then
	pass "it:media200-loss ($loss % lost, and tandem said it was overloaded: $(grep -m1 'media worker 0 overloaded' "$TMPD/tandemd.log"))"
else
	fail "it:media200-loss ($missing of $sent packets missing: $loss %, and tandem did not say it was overloaded; sent>received:$detail rtp:${w_tx}>${s_rx})"
fi
# every stream present, none with a sequence gap (the span clocks RTP:
# span loss never shows here, which is why the hops are compared above)
check "it:media200-rtp-side ($c)" awk -v l="$c" 'BEGIN { split(l, a, " ");
	for (i in a) { split(a[i], kv, "="); v[kv[1]] = kv[2] }
	exit !(v["streams"] == 200 && v["lost"] == 0 && v["min_pkts_per_stream"] >= 50) }'
check "it:media200-worker-counters" grep -q "^worker 0: channels 200" <<<"$show"

# A worker that cannot keep up must say so: freeze tandemd for 2.5 s while
# one span keeps sending (its 100 ms tick runs 2.5 s late, and the span's
# receive queue overflows). The freeze starts once span 0 counts the
# emulator's packets, not a fixed time after its start.
span0_rx() { vty $VTY "show media" | awk '$1 == "span" && $2 == 0 { print $7 }'; }
span0_rx_past() { [ "$(span0_rx)" -gt "$1" ] 2>/dev/null; }
rx_before=$(span0_rx)
start_bg "$TMPD/e1-f.out" "${PEER_NICE[@]}" "$BUILD/peers/e1-emu" --local 127.0.0.1:24802 \
	--remote 127.0.0.1:24800 --timeslots 1-31 --seconds 4
emu=$BG_PID
until_tenths 100 span0_rx_past "${rx_before:-0}"
kill -STOP "$tandemd"
sleep 2.5
kill -CONT "$tandemd"
wait "$emu"
sleep 1.2 # the next once-a-second check
show=$(vty $VTY "show media")
check "it:media200-overload-reported ($(grep '^worker 0: [Ok]' <<<"$show"))" \
	grep -q "overloaded [1-9][0-9]* times" <<<"$show"
check "it:media200-overload-logged ($(grep -m1 'media worker 0 overloaded' "$TMPD/tandemd.log"))" \
	grep -q "media worker 0 overloaded" "$TMPD/tandemd.log"
# The worker's kernel drops (told by the datagrams read after a drop,
# SO_RXQ_OVFL) against the kernel's own per-socket counters of tandem's
# span and RTP ports (/proc/net/udp of this namespace: the drops column).
# A drop is told by the next datagram the socket reads: one more to each
# span port (a starved emulator may have sent its last before the drain).
for s in 0 1 2 3 4 5 6; do
	echo x >/dev/udp/127.0.0.1/$((24800 + 4 * s))
done
sleep 1.2 # the next once-a-second check
show=$(vty $VTY "show media")
kdrops=$(sed -n 's/.*kernel drops \([0-9]*\) .*/\1/p' <<<"$show" | head -1)
pdrops=0 pdetail=""
while read -r hexport d; do
	p=$((16#$hexport))
	if { [ $p -ge 24800 ] && [ $p -le 24824 ] && [ $(((p - 24800) % 4)) = 0 ]; } ||
		{ [ $p -ge 25000 ] && [ $p -le 25999 ]; }; then
		pdrops=$((pdrops + d))
		[ "$d" = 0 ] || pdetail+=" $p:$d"
	fi
done < <(awk 'NR > 1 { split($2, a, ":"); print a[2], $NF }' /proc/net/udp)
if [ "${pdrops:-0}" -gt 0 ]; then
	check "it:media200-kernel-drops-counted (tandem $kdrops, kernel $pdrops:$pdetail)" \
		test "${kdrops:-x}" = "$pdrops"
else
	skip "it:media200-kernel-drops-counted (the freeze overflowed no receive queue: tandem ${kdrops:-?}, kernel 0)"
fi
exit ${FAILED:-0}
