#!/bin/bash
# make bench: the whole box's capacity (issue 13): as many calls held at once
# on one tandemd as this machine allows, the goal 10,000.
#
#   sipp UAC -> tandemd (SIP -> ISUP, one RTP channel per call bound to its
#   E1 timeslot) -> M3UA over TCP -> three libss7 isup-switches
#   (tests/peers/isup-switch --auto-answer: ACM, ANM 200 ms later), one per
#   linkset of 3,410 CICs (110 E1 spans each); the route to ISUP load-shares
#   over the three linksets.
#
# sipp sets the calls up at SCALE_RATE CPS and holds each long enough that
# all are up together for SCALE_HOLD_S seconds, then BYE releases them at
# the same rate. tandemd runs pinned to CPU 0, sipp and the switches on
# CPU 1 (nproc >= 2). Reported:
#   - calls up at once: sipp's CurrentCall, tandemd's "show calls", the
#     switches' IAMs, and the time "show calls" takes with all of them up
#   - failed calls and UAC retransmissions (sipp -trace_stat)
#   - tandemd's RSS idle / all up / after, RSS per held call ((up - idle) /
#     calls), "show memory" (signalling per call, talloc)
#   - tandemd's CPU (utime+stime, all threads, /proc/PID/stat) per call
#     over the set-up ramp and over the release ramp, and per second with
#     all calls held (no RTP: sipp sends none)
#   - at the end tandemd's own counters (show metrics: calls started and
#     answered SIP -> ISUP) against sipp's and the switches' counts, no
#     call left, every circuit idle
#
# The number of calls is capped by the descriptors tandemd may open: each
# held call has an RTP and an RTCP socket, each span one; the hard
# RLIMIT_NOFILE of this machine decides (a box that runs tandem for real
# raises it, e.g. systemd LimitNOFILE=).
#
#   SCALE_CALLS=10000 SCALE_RATE=100 SCALE_HOLD_S=20 (defaults; about 7 minutes),
#   SCALE_PERF=1 profiles tandemd over the set-up ramp (perf record -g);
#   SCALE_RTCP_MUX=1: sipp offers a=rtcp-mux (RFC 5761), tandemd answers it
#   and keeps one socket per call instead of two;
#   SCALE_KEEP=DIR keeps the logs and counters (outside the namespace's /tmp)
#   SCALE_NOACK=1: one call in five is never ACKed (cps/uac_noack.xml): tandemd
#   ends it with its own BYE after 64*T1 while the others are held and end
#   SCALE_SEND_SLOTS=N: tandemd's UDP send slots (loop udp-send-slots; default
#   1024): a few make its sends fail with ENOBUFS, as a starved loop does
#   SCALE_STALL_S=N: tandemd stopped N s (SIGSTOP) after the 10 s held
#   measurement, as a CPU-starved one: its due timers then send in a burst
#   SCALE_AFTER_S=60: how long RSS is watched after the last call (the idle
#   heap trim of interwork/iw_mem.c comes 5 s after the calls fell to half,
#   then every 10 s for a minute: heap, UDP send slots, receive buffer
#   rings, media command queues); done early once within 10 % of idle,
#   SCALE_AFTER_FULL=1 watches all of it (an RSS "N s after" to compare);
#   SCALE_KEEP also keeps /proc/PID/smaps idle, all up and after (RSS by
#   mapping: which allocation kept what)
#
# Ports: 26700-26709 (SIP, VTY, M3UA), spans 33000-33329 (remote ends
# 34000+, nobody sends), RTP 36000-59999.
BENCH=scale
source "$(dirname "$0")/scale/common.sh"
WANT=${SCALE_CALLS:-10000}
RATE=${SCALE_RATE:-100}
HOLD_S=${SCALE_HOLD_S:-20}
[ "$HOLD_S" -ge 15 ] || HOLD_S=15 # the 10 s held measurement ends before the first BYE
scale_start
sleep 2
idle_rss=$(rss_kb $TD) idle_fds=$(fds $TD)
cp /proc/$TD/smaps smaps_idle.txt 2>/dev/null
udp0=$(udp_err)
echo "scale: sipp -> tandemd (SIP -> ISUP) -> M3UA/TCP -> $NLS libss7 isup-switches" \
	"($((NLS * CICS)) CICs on $NSPANS E1 spans); tandemd on CPU $SRV_CPU, peers on CPU $PEER_CPU;" \
	"load average $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared)"
echo "scale: $N calls at $RATE CPS, all held for ${HOLD_S} s${LIMIT:+; $LIMIT}${SCALE_RTCP_MUX:+; rtcp-mux offered by sipp}"

# each call is held long enough that all are up together for HOLD_S s even
# when the ramp runs half as long again as planned (a shared machine), and
# the measurements below (listing, 10 s held) fit before the first BYE
HOLD_MS=$(((N * 3 / RATE / 2 + HOLD_S + 20) * 1000))
c0=$(cpu_ticks $TD) t0=$(date +%s%N)
start_bg uac.out timeout $((TOTAL_S + HOLD_MS / 1000 + 60)) taskset -c $PEER_CPU sipp \
	-sf "$UAC_XML" -s 4930123456 127.0.0.1:$SIP -i 127.0.0.1 -p $UACP -r "$RATE" -m "$N" \
	-l $((N + 100)) -d $HOLD_MS -nostdin -trace_stat -stf uac_stat.csv -fd 1 \
	-trace_err -error_file uac_err.log
UAC=$BG_PID
p0=$(peer_ticks)
PERF=""
if [ -n "${SCALE_PERF:-}" ] && command -v perf >/dev/null; then
	perf record -F 499 -g -p $TD -o "$TMPD/perf.data" >perf.log 2>&1 &
	PERF=$!
fi

# the set-up ramp: until sipp has made all N calls (its own 1 s
# statistics: nothing asks tandemd during the ramp, so that its CPU is the
# calls' alone), then until tandemd holds all calls that did not fail or
# holds no more ("show memory": one count, not a listing)
for _ in $(seq 1 $((N / RATE * 3 + 60))); do
	sleep 1
	[ "$(stat_col uac_stat.csv "TotalCallCreated")" -ge "$N" ] && break
	kill -0 $UAC 2>/dev/null || break
done
t1=$(date +%s%N) c1=$(cpu_ticks $TD) p1=$(peer_ticks)
if [ -n "$PERF" ]; then
	kill -INT $PERF
	wait $PERF
	perf report -i "$TMPD/perf.data" --no-children --percent-limit 1 --stdio --sort symbol \
		2>/dev/null | grep "%" | head -40 >perf.txt
fi
created=$(stat_col uac_stat.csv "TotalCallCreated")
last=-1 still=0 held=0
for _ in $(seq 1 60); do
	held=$(vty $VTY "show memory" | sed -n 's/^calls \([0-9]*\):.*/\1/p')
	[ "${held:-0}" -ge $((created - $(stat_col uac_stat.csv "FailedCall(C)"))) ] && break
	kill -0 $TD 2>/dev/null || break
	if [ "$held" = "$last" ]; then still=$((still + 1)); else still=0 last=$held; fi
	[ $still -ge 5 ] && break
	sleep 1
done
up_rss=$(rss_kb $TD) up_fds=$(fds $TD)
cp /proc/$TD/smaps smaps_up.txt 2>/dev/null
mem_up=$(vty $VTY "show memory" | grep -m1 "^calls")
t_show=$(date +%s%N)
vty $VTY "show calls" >calls.txt
show_ms=$((($(date +%s%N) - t_show) / 1000000))
show_n=$(grep -c "^call " calls.txt)
ans=$(grep -cE "^call [0-9]+ [A-Z>-]+ active:" calls.txt)
sipp_cur=$(stat_col uac_stat.csv "CurrentCall")
sw_up=$(($(sw_count IAM) - $(sw_count REL)))
# the cost of holding them: tandemd's CPU over 10 s with all calls up
h0=$(cpu_ticks $TD)
sleep 10
if [ -n "${SCALE_STALL_S:-}" ]; then
	# a starved tandemd: stopped SCALE_STALL_S s, then every timer due
	# (2xx retransmissions, no-ACK BYEs) sends in one turn of its loop
	kill -STOP $TD
	sleep "$SCALE_STALL_S"
	kill -CONT $TD
fi
h1=$(cpu_ticks $TD) t_h1=$(date +%s%N)
hold_ok=$(vty $VTY "show memory" | sed -n 's/^calls \([0-9]*\):.*/\1/p')

# the release ramp: sipp's BYEs, at the set-up rate; from the first second
# sipp holds fewer calls to its end (bounded)
r0="" n_r0=0
for _ in $(seq 1 $((HOLD_MS / 1000 + N / RATE + 120))); do
	kill -0 $UAC 2>/dev/null || break
	if [ -z "$r0" ]; then
		cur=$(stat_col uac_stat.csv "CurrentCall")
		[ "$cur" -lt "$sipp_cur" ] && r0=$(cpu_ticks $TD) n_r0=$cur
	fi
	sleep 1
done
wait $UAC 2>/dev/null
uac_rc=$?
r1=$(cpu_ticks $TD) tr1=$(date +%s%N)
sleep 2
after_calls=$(calls_now)
after_rss=$(rss_kb $TD)
# RSS back near idle: watched for SCALE_AFTER_S s (each second; done early
# within 10 % of idle)
late_rss=$after_rss late_s=2
for _ in $(seq 3 "${SCALE_AFTER_S:-60}"); do
	[ -z "${SCALE_AFTER_FULL:-}" ] && [ $((late_rss * 10)) -le $((idle_rss * 11)) ] && break
	kill -0 $TD 2>/dev/null || break
	sleep 1
	late_s=$((late_s + 1))
	late_rss=$(rss_kb $TD)
done
mem_after=$(vty $VTY "show memory" | grep -m1 "^heap trims")
vty $VTY "show memory" >mem_after.txt 2>&1
slots=$(vty $VTY "show loop" | grep -m1 "^send slots")
cp /proc/$TD/smaps smaps_after.txt 2>/dev/null
scale_counts
m_finished=$(metric tandem_calls_finished_total 'direction="sip-isup"')
idle_after=$(vty $VTY "show isup circuits" | grep -c "$CICS circuits: $CICS idle")

udp1=$(udp_err)
vty $VTY "show metrics" | grep "^tandem_sip_" >sip_metrics.txt
vty $VTY "show sip security" >sip_security.txt 2>&1
ramp_s=$(awk -v a=$t0 -v b=$t1 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
echo "scale: results"
echo "  calls up at once: $ans answered in tandemd's show calls ($show_n listed, the listing took" \
	"$show_ms ms), sipp CurrentCall $sipp_cur, calls up at the switches (IAM - REL) $sw_up;" \
	"tandemd's calls 10 s later: $hold_ok"
echo "  set-up ramp: $ramp_s s for $created calls ($(awk -v n=$created -v s=$ramp_s 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }') CPS reached, $RATE offered)"
echo "  sipp: created $created, successful $ok, failed $failed, retransmissions $rtx (exit $uac_rc)"
echo "  tandemd counters (show metrics, SIP -> ISUP): started $m_started, answered $m_answered," \
	"finished $m_finished; switches: IAM $sw_iam, REL $sw_rel; after: $after_calls calls listed," \
	"$idle_after of $NLS linksets all idle"
echo "  tandemd RSS: idle $idle_rss kB, $held up $up_rss kB, after $after_rss kB;" \
	"per held call $(((up_rss - idle_rss) * 1024 / (held > 0 ? held : 1))) B (VmRSS delta / calls);" \
	"${late_s} s after the last call $late_rss kB ($(awk -v a=$late_rss -v i=$idle_rss \
		'BEGIN { printf "%+.0f", (i ? (a - i) * 100 / i : 0) }') % of idle; $mem_after)"
echo "  tandemd descriptors: idle $idle_fds, $held up $up_fds (hard limit $HARD); UDP $slots" \
	"(sends refused: no slot free)"
[ -n "$mem_up" ] && echo "  show memory with $held up: $mem_up"
echo "  tandemd CPU (all threads): set-up ramp $(awk -v d=$((c1 - c0)) -v hz=$HZ -v n=$created \
	'BEGIN { printf "%.0f", (n ? d / hz * 1e6 / n : 0) }') us per call" \
	"($(awk -v d=$((c1 - c0)) -v hz=$HZ -v s=$ramp_s 'BEGIN { printf "%.0f", (s > 0 ? d / hz / s * 100 : 0) }') % of a CPU);" \
	"all held: $(awk -v d=$((h1 - h0)) -v hz=$HZ 'BEGIN { printf "%.1f", d / hz / 10 * 100 }') % of a CPU" \
	"($(awk -v d=$((h1 - h0)) -v hz=$HZ -v n=$held 'BEGIN { printf "%.1f", (n ? d / hz / 10 * 1e6 / n : 0) }') us per held call per second);" \
	"release ramp $(awk -v d=$((r1 - ${r0:-$r1})) -v hz=$HZ -v n=$n_r0 \
		'BEGIN { printf "%.0f", (n ? d / hz * 1e6 / n : 0) }') us per call" \
	"(from the first second sipp held fewer calls, over the $n_r0 calls it then held)"
echo "  UDP in this namespace (all sockets; /proc/net/snmp) before -> after: $udp0 -> $udp1;" \
	"SIP messages received by tandemd: $(grep '^tandem_sip_messages_received_total' sip_metrics.txt | tr '\n' ' ')"
[ -s perf.txt ] && { echo "  perf (tandemd over the set-up ramp, self time by symbol):"; sed 's/^/    /' perf.txt; }
echo "  peers' CPU over the set-up ramp (3 switches + sipp, all on CPU $PEER_CPU):" \
	"$(awk -v d=$((p1 - p0)) -v hz=$HZ -v s=$ramp_s 'BEGIN { printf "%.0f", (s > 0 ? d / hz / s * 100 : 0) }') % of a CPU"
[ -n "${SCALE_KEEP:-}" ] && mkdir -p "$SCALE_KEEP" && cp td.log sw*.out sip_*.txt mem_after.txt smaps_*.txt perf.txt uac_stat.csv uac_err.log uac.out "$SCALE_KEEP/" 2>/dev/null
check "scale:tandemd-alive" kill -0 $TD
check "scale:all-$N-calls-up ($held held, $ans listed as answered)" test "$held" = "$N" -a "$ans" = "$N"
check "scale:no-failed-call ($failed failed, $ok of $N successful)" test "$failed" = 0 -a "$ok" = "$N"
check "scale:counters-agree (sipp $ok, tandemd answered $m_answered started $m_started, switches IAM $sw_iam REL $sw_rel)" \
	test "$m_answered" = "$ok" -a "$m_started" = "$created" -a "$sw_iam" = "$created" -a "$sw_rel" = "$ok"
check "scale:nothing-left ($after_calls calls, $idle_after of $NLS linksets idle)" \
	test "$after_calls" = 0 -a "$idle_after" = $NLS
check "scale:rss-back-near-idle ($late_rss kB ${late_s} s after the last call, idle $idle_rss kB: within 10 %)" \
	test $((late_rss * 10)) -le $((idle_rss * 11))
exit 0
