#!/bin/bash
# make bench: the busy hour on one box (issue 13): CHURN_CALLS calls up at
# once on one tandemd for CHURN_S seconds while CHURN_RATE new calls a second
# replace as many that end (the goal: 10,000 calls, 1,000 CPS, 10 minutes;
# no failed call, no stuck CIC, the VTY answering within 100 ms).
#
#   sipp UAC -> tandemd (SIP -> ISUP, one RTP channel per call bound to its
#   E1 timeslot) -> M3UA over TCP -> CHURN_LINKSETS libss7 isup-switches
#   (--auto-answer: ACM, ANM 200 ms later), 3,410 CICs each; the route to
#   ISUP load-shares over the linksets (tests/bench/scale/common.sh, as
#   scale_hold.sh).
#
# Each call is held CHURN_CALLS / CHURN_RATE s (10 s at the defaults), so
# after that long the calls up stay at CHURN_CALLS while every second
# CHURN_RATE calls are set up (INVITE, IAM, ACM, ANM, 200, ACK) and as many
# released (BYE, REL, RLC, 200). sipp offers rtcp-mux (RFC 5761): one socket
# per call, so 10,000 calls fit this machine's 20,000 descriptors. tandemd
# runs pinned to CPU 0, sipp and the switches on CPU 1.
#
# The VTY: every second, over one open connection, how long "show isup
# linksets" takes to be answered (scale/vty_rtt.py; the goal's figure).
# Every 10 s: sipp's calls up, created, failed and retransmissions; tandemd's
# calls (show memory), its CPU (utime+stime, all threads, /proc) and the
# peers' over the 10 s, its RSS, how long tandem-tool took for "show isup
# linksets" (its whole run: start, connect, answer; for comparison),
# and how late tandemd's signalling loop ran (show loop: SIP datagrams that
# waited in its socket over 100 ms, turns that worked over 100 ms without a
# break). At the end: the counters of all three (sipp, tandemd's show
# metrics, the switches' IAM/REL), no call left, every circuit idle, the
# kernel's drops on tandemd's and sipp's SIP sockets: with tandemd's waits
# they tell whose lateness a retransmission answers.
#
#   CHURN_CALLS=10000 CHURN_RATE=1000 CHURN_S=600 (defaults; ~11 minutes)
#   CHURN_LINKSETS=4 (13,640 CICs: the calls up plus those being set up
#   and released)
#   SCALE_KEEP=DIR keeps the logs, samples and counters
#   SCALE_PERF=1 profiles tandemd for 30 s of the steady state (perf record
#   -g, or SCALE_PERF_G="--call-graph dwarf"; perf.txt, the top symbols,
#   printed at the end; with SCALE_KEEP perf.data is kept too)
#
# Ports: 26700-26709 (SIP, VTY, M3UA), spans 33000+ (remote ends 34000+,
# nobody sends), RTP 36000-59999.
BENCH=churn
source "$(dirname "$0")/scale/common.sh"
WANT=${CHURN_CALLS:-10000}
RATE=${CHURN_RATE:-1000}
CHURN_S=${CHURN_S:-600}
NLS=${CHURN_LINKSETS:-4}
SCALE_RTCP_MUX=1
HOLD_S=$((CHURN_S + WANT / RATE + 60))
scale_start
[ "$N" -lt "$WANT" ] && echo "churn: $LIMIT"
CALL_MS=$((N * 1000 / RATE))
TOTAL=$((RATE * (CALL_MS / 1000 + CHURN_S)))
sleep 2
idle_rss=$(rss_kb $TD)
echo "churn: sipp -> tandemd (SIP -> ISUP) -> M3UA/TCP -> $NLS libss7 isup-switches" \
	"($((NLS * CICS)) CICs on $NSPANS E1 spans); tandemd on CPU $SRV_CPU, peers on CPU $PEER_CPU;" \
	"load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "churn: $RATE CPS, each call held $CALL_MS ms ($N up at once), $TOTAL calls in all" \
	"($CHURN_S s after the first $((CALL_MS / 1000)) s); rtcp-mux offered"

start_bg uac.out timeout $((TOTAL / RATE + CALL_MS / 1000 + 300)) taskset -c $PEER_CPU sipp \
	-sf "$UAC_XML" -s 4930123456 127.0.0.1:$SIP -i 127.0.0.1 -p $UACP -r "$RATE" -m "$TOTAL" \
	-l $((N * 12 / 10)) -d $CALL_MS -nostdin -trace_stat -stf uac_stat.csv -fd 1 \
	-trace_err -error_file uac_err.log
UAC=$BG_PID
start_bg vty_rtt.txt python3 "$TOP/tests/bench/scale/vty_rtt.py" $VTY 1 \
	$((TOTAL / RATE + CALL_MS / 1000 + 60)) "show isup linksets"
RTT=$BG_PID
t0=$(date +%s)
c_prev=$(cpu_ticks $TD) p_prev=$(peer_ticks) t_prev=$(date +%s%N)
created_prev=0
vty_max=0 vty_over=0 vty_n=0 up_min="" up_max=0 st_ticks=0 st_ns=0 st_calls=0 n_steady=0
wait_prev=0 turn_prev=0 PERF="" drops_uac=0
printf '%s\n' "s sipp_up created failed retrans tandemd_calls cpu% peers_cpu% rss_kB vty_ms" \
	"sip_waits>100ms turns>100ms" | paste -sd' ' >samples.txt
for _ in $(seq 1 $(((TOTAL / RATE + CALL_MS / 1000) / 10 * 3 + 60))); do
	sleep 10
	kill -0 $UAC 2>/dev/null || break
	kill -0 $TD 2>/dev/null || break
	v0=$(date +%s%N)
	vty $VTY "show isup linksets" >/dev/null
	v1=$(date +%s%N)
	vms=$(((v1 - v0) / 1000000))
	calls=$(vty $VTY "show memory" | sed -n 's/^calls \([0-9]*\):.*/\1/p')
	w=$(late_over "$(loop_late "SIP datagrams waited")" 2)
	tw=$(late_over "$(loop_late "turns worked")" 2)
	c=$(cpu_ticks $TD) p=$(peer_ticks) t=$(date +%s%N)
	dt=$((c - c_prev)) dns=$((t - t_prev))
	cpu=$(awk -v d=$((c - c_prev)) -v hz=$HZ -v ns=$((t - t_prev)) 'BEGIN { printf "%.0f", d / hz / (ns / 1e9) * 100 }')
	pcpu=$(awk -v d=$((p - p_prev)) -v hz=$HZ -v ns=$((t - t_prev)) 'BEGIN { printf "%.0f", d / hz / (ns / 1e9) * 100 }')
	c_prev=$c p_prev=$p t_prev=$t
	s=$(($(date +%s) - t0))
	cur=$(stat_col uac_stat.csv CurrentCall)
	created=$(stat_col uac_stat.csv TotalCallCreated)
	dcalls=$((created - created_prev)) created_prev=$created
	echo "$s $cur $created $(stat_col uac_stat.csv 'FailedCall(C)') $(stat_col uac_stat.csv 'Retransmissions(C)') ${calls:-?} $cpu $pcpu $(rss_kb $TD) $vms $((${w:-0} - wait_prev)) $((${tw:-0} - turn_prev))" >>samples.txt
	wait_prev=${w:-0} turn_prev=${tw:-0}
	# read while sipp's socket exists (gone from /proc/net/udp once it exits)
	drops_uac=$(udp_drops $UACP) drops_td=$(udp_drops $SIP)
	vty_n=$((vty_n + 1))
	[ $vms -gt $vty_max ] && vty_max=$vms
	[ $vms -gt 100 ] && vty_over=$((vty_over + 1))
	# the steady state: the first calls have ended, sipp still creates
	if [ "$s" -gt $((CALL_MS / 1000 + 10)) ] && [ "$created" -lt "$TOTAL" ]; then
		[ -z "$up_min" ] || [ "$cur" -lt "$up_min" ] && up_min=$cur
		[ "$cur" -gt "$up_max" ] && up_max=$cur
		st_ticks=$((st_ticks + dt)) st_ns=$((st_ns + dns)) st_calls=$((st_calls + dcalls))
		n_steady=$((n_steady + 1))
		if [ -n "${SCALE_PERF:-}" ] && [ -z "$PERF" ] && command -v perf >/dev/null; then
			perf record -F 499 ${SCALE_PERF_G:--g} -p $TD -o "$TMPD/perf.data" -- sleep 30 >perf.log 2>&1 &
			PERF=$!
		fi
	fi
done
if [ -n "$PERF" ]; then
	wait $PERF
	perf report -i "$TMPD/perf.data" --no-children --percent-limit 0.7 --stdio --sort symbol \
		2>/dev/null | grep "%" | head -50 >perf.txt
	echo "churn: where tandemd's time went (perf record -g, 30 s of the steady state, self %)"
	sed 's/^/  /' perf.txt
fi
wait $UAC 2>/dev/null
uac_rc=$?
t_end=$(date +%s)
kill $RTT 2>/dev/null
wait $RTT 2>/dev/null
# answered: "s ms" lines with ms >= 0; unanswered (5 s of silence): ms -1
awk '$2 >= 0 { print $2 }' vty_rtt.txt | sort -n >vty_ms.txt
rtt_n=$(wc -l <vty_ms.txt) rtt_lost=$(awk '$2 < 0' vty_rtt.txt | wc -l)
rtt_max=$(tail -1 vty_ms.txt) rtt_over=$(awk '$1 > 100' vty_ms.txt | wc -l)
rtt_p99=$([ "$rtt_n" -gt 0 ] && sed -n "$(((rtt_n * 99 + 99) / 100))p" vty_ms.txt)
rtt_max=${rtt_max:-0} rtt_p99=${rtt_p99:-0}
sleep 2
after_calls=$(calls_now)
idle_after=$(vty $VTY "show isup circuits" | grep -c "$CICS circuits: $CICS idle")
scale_counts
late_wait=$(loop_late "SIP datagrams waited") late_turn=$(loop_late "turns worked")
drops_td=$(udp_drops $SIP)
echo "churn: samples every 10 s (s: seconds since sipp started; cpu%: tandemd's, both threads)"
column -t samples.txt | sed 's/^/  /'
echo "churn: results"
echo "  sipp: created $created of $TOTAL in $((t_end - t0)) s, successful $ok, failed $failed," \
	"retransmissions $rtx (exit $uac_rc)"
echo "  steady state ($n_steady samples, $st_calls calls created in them): sipp's calls up" \
	"$up_min-$up_max, tandemd $(awk -v d=$st_ticks -v hz=$HZ -v ns=$st_ns \
		'BEGIN { printf "%.1f", ns ? d / hz / (ns / 1e9) * 100 : 0 }') % of a CPU" \
	"($(awk -v d=$st_ticks -v hz=$HZ -v n=$st_calls 'BEGIN { printf "%.0f", n ? d / hz * 1e6 / n : 0 }')" \
	"us per call set up and another released)"
echo "  VTY (show isup linksets over an open connection, every second): $rtt_n answered," \
	"$rtt_lost not within 5 s, longest $rtt_max ms, p99 $rtt_p99 ms, $rtt_over over 100 ms;" \
	"tandem-tool's whole run (start, connect, answer) every 10 s: $vty_n, longest $vty_max ms," \
	"$vty_over over 100 ms"
echo "  tandemd's signalling loop: SIP datagrams waited in its socket $late_wait;" \
	"turns worked without a break $late_turn"
echo "  kernel drops (receive queue full): tandemd's SIP socket $drops_td, sipp's $drops_uac" \
	"(sipp's at the last sample: its socket goes with it)"
echo "  tandemd counters (SIP -> ISUP): started $m_started, answered $m_answered; switches: IAM" \
	"$sw_iam, REL $sw_rel; after: $after_calls calls, $idle_after of $NLS linksets all idle;" \
	"RSS idle $idle_rss kB, after $(rss_kb $TD) kB"
[ -n "${SCALE_KEEP:-}" ] && mkdir -p "$SCALE_KEEP" && cp td.log samples.txt perf.txt perf.data vty_rtt.txt uac_stat.csv uac_err.log uac.out "$SCALE_KEEP/" 2>/dev/null
check "churn:tandemd-alive" kill -0 $TD
check "churn:all-$TOTAL-calls-made ($created)" test "$created" = "$TOTAL"
check "churn:no-failed-call ($failed failed, $ok successful)" test "$failed" = 0 -a "$ok" = "$TOTAL"
check "churn:held-$N-at-once (steady state ${up_min:-no sample}-$up_max)" test "${up_min:-0}" -ge $((N * 95 / 100))
check "churn:counters-agree (sipp $ok, tandemd answered $m_answered started $m_started, switches IAM $sw_iam REL $sw_rel)" \
	test "$m_answered" = "$ok" -a "$m_started" = "$created" -a "$sw_iam" = "$created" -a "$sw_rel" = "$ok"
check "churn:nothing-left ($after_calls calls, $idle_after of $NLS linksets idle)" \
	test "$after_calls" = 0 -a "$idle_after" = $NLS
check "churn:vty-within-100ms (longest $rtt_max ms of $rtt_n answered, $rtt_lost not)" \
	test "$rtt_over" = 0 -a "$rtt_lost" = 0 -a "$rtt_n" -gt 0
exit 0
