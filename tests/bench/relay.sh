#!/bin/bash
# make bench: RTP relay packets per CPU-second, tandem against rtpengine,
# same load, same run (issue 6, item 11b).
#
# 1,000 relays, each carrying one 20 ms G.711 stream (50 packets/s, 172
# bytes) from a generator to the relay and back to the generator: 50,000
# packets/s through each relay. rtpengine (Debian rtpengine-daemon, userspace
# forwarding: table -1, foreground, its own configuration) is set up through
# its ng control protocol (offer/answer per call, tests/bench/relay/ng_setup.py);
# tandem's media engine runs in the load program with one worker and 1,000
# MEDIA_MODE_RELAY channel pairs. The CPU time of the relay (every thread of
# rtpengine; tandem's worker thread) over the measured window comes from
# /proc/PID/task/*/schedstat. Each relay runs ROUNDS times (default 2), the
# best round counts.
#
# Ports: 26400 (ng), 26402/26404 (generator), 26500-26999 on 127.0.0.1-10
# (a call or a relay pair takes 4 ports: 1,000 of them need 4,000).
source "$(dirname "$0")/../lib.sh"
STREAMS=${STREAMS:-1000}
SECONDS_RUN=${RELAY_SECONDS:-10}
ROUNDS=${ROUNDS:-2}
NIF=10
NG=26400
LOAD=$BUILD/bench/relay-load
[ -x "$LOAD" ] || { skip "relay: $LOAD not built"; exit 0; }

# best RESULT line of several by pps_per_cpu, 0 loss preferred
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }
best() {
	local b="" l
	while read -r l; do
		[ -z "$b" ] && { b=$l; continue; }
		if [ "$(field "$l" lost)" -lt "$(field "$b" lost)" ] ||
			{ [ "$(field "$l" lost)" = "$(field "$b" lost)" ] &&
				awk -v a="$(field "$l" pps_per_cpu)" -v b="$(field "$b" pps_per_cpu)" \
					'BEGIN { exit !(a > b) }'; }; then
			b=$l
		fi
	done
	echo "$b"
}

# --- rtpengine ---
rtpe=""
rtpe_skip=""
if ! command -v rtpengine >/dev/null; then
	if [ "$(id -u)" = 0 ]; then
		echo "relay: installing rtpengine-daemon"
		DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -qq \
			--no-install-recommends rtpengine-daemon >"$TMPD/apt.log" 2>&1 ||
			{ DEBIAN_FRONTEND=noninteractive timeout 120 apt-get update -qq >/dev/null 2>&1 &&
				DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -qq \
					--no-install-recommends rtpengine-daemon >"$TMPD/apt.log" 2>&1; }
	fi
	command -v rtpengine >/dev/null || rtpe_skip="rtpengine-daemon not installed (not root, or apt-get failed)"
fi
if [ -z "$rtpe_skip" ]; then
	ifs=""
	for i in $(seq 1 $NIF); do ifs="$ifs;i$i/127.0.0.$i"; done
	cat >"$TMPD/rtpengine.conf" <<CFG
[rtpengine]
table = -1
interface = ${ifs#;}
listen-ng = 127.0.0.1:$NG
port-min = 26500
port-max = 26999
foreground = true
log-stderr = true
log-level = 4
num-threads = ${RTPE_THREADS:-1}
timeout = 600
delete-delay = 0
CFG
	start_bg "$TMPD/rtpengine.log" rtpengine --config-file="$TMPD/rtpengine.conf"
	rtpe_pid=$BG_PID
	up=""
	for _ in $(seq 1 50); do
		kill -0 "$rtpe_pid" 2>/dev/null || break
		timeout 5 python3 "$TOP/tests/bench/relay/ng_setup.py" $NG ping 2>/dev/null && { up=1; break; }
		sleep 0.1
	done
	if [ -z "$up" ]; then
		rtpe_skip="rtpengine did not start: $(tail -3 "$TMPD/rtpengine.log" | tr '\n' ' ')"
	elif ! timeout 120 python3 "$TOP/tests/bench/relay/ng_setup.py" $NG "$STREAMS" \
		127.0.0.1:26402 127.0.0.1:26404 "$TMPD/targets" $NIF 2>"$TMPD/ng.err"; then
		rtpe_skip="rtpengine offer/answer failed: $(tail -1 "$TMPD/ng.err")"
	else
		for r in $(seq 1 "$ROUNDS"); do
			timeout $((SECONDS_RUN + 30)) "$LOAD" target --targets "$TMPD/targets" \
				--pid "$rtpe_pid" --streams "$STREAMS" --seconds "$SECONDS_RUN" \
				--gen-port 26402 | grep '^RESULT' >>"$TMPD/rtpe.res"
		done
		rtpe=$(best <"$TMPD/rtpe.res")
	fi
	# stop it now, by PID: tandem takes the same ports next
	kill -TERM "$rtpe_pid" 2>/dev/null
	for _ in $(seq 1 50); do kill -0 "$rtpe_pid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$rtpe_pid" 2>/dev/null
	wait "$rtpe_pid" 2>/dev/null
fi

# --- tandem ---
for r in $(seq 1 "$ROUNDS"); do
	timeout $((SECONDS_RUN + 60)) "$LOAD" tandem --streams "$STREAMS" --seconds "$SECONDS_RUN" \
		--gen-port 26402 --addr-count $NIF --port-min 26500 --port-max 26999 2>"$TMPD/tandem.err" |
		grep '^RESULT' >>"$TMPD/tandem.res"
done
tandem=$(best <"$TMPD/tandem.res")
[ -n "$tandem" ] || { echo "relay: tandem run failed"; cat "$TMPD/tandem.err"; exit 1; }

show() { # NAME RESULT
	printf '  %-22s %7.0f pkt/s  CPU %6.3f s  %6.3f CPU-us/pkt  %8.0f pkt per CPU-s  lost %s  jitter p99 %s ms\n' \
		"$1" "$(field "$2" pps)" "$(field "$2" cpu_s)" "$(field "$2" us_per_pkt)" \
		"$(field "$2" pps_per_cpu)" "$(field "$2" lost)" "$(field "$2" jitter_ms_p99)"
}
echo "RTP relay: $STREAMS streams x 50 pkt/s (172 bytes), ${SECONDS_RUN} s measured, best of $ROUNDS"
for f in rtpe tandem; do
	[ -s "$TMPD/$f.res" ] && sed "s/^RESULT/  round ($f):/" "$TMPD/$f.res"
done
show "tandem (1 worker)" "$tandem"
json_t=$(printf '{"pps":%s,"cpu_s":%s,"pps_per_cpu":%s,"us_per_pkt":%s,"lost":%s}' \
	"$(field "$tandem" pps)" "$(field "$tandem" cpu_s)" "$(field "$tandem" pps_per_cpu)" \
	"$(field "$tandem" us_per_pkt)" "$(field "$tandem" lost)")
if [ -n "$rtpe" ]; then
	show "rtpengine (table -1)" "$rtpe"
	ratio=$(awk -v t="$(field "$tandem" pps_per_cpu)" -v r="$(field "$rtpe" pps_per_cpu)" \
		'BEGIN { printf "%.2f", (r > 0 ? t / r : 0) }')
	echo "  ratio: tandem / rtpengine packets per CPU-second = $ratio (target >= 1.2, 0 loss)"
	json_r=$(printf '{"pps":%s,"cpu_s":%s,"pps_per_cpu":%s,"us_per_pkt":%s,"lost":%s}' \
		"$(field "$rtpe" pps)" "$(field "$rtpe" cpu_s)" "$(field "$rtpe" pps_per_cpu)" \
		"$(field "$rtpe" us_per_pkt)" "$(field "$rtpe" lost)")
	echo "{\"bench\":\"relay\",\"streams\":$STREAMS,\"seconds\":$SECONDS_RUN,\"tandem\":$json_t,\"rtpengine\":$json_r,\"ratio\":$ratio}"
else
	echo "SKIP relay-rtpengine: $rtpe_skip"
	echo "{\"bench\":\"relay\",\"streams\":$STREAMS,\"seconds\":$SECONDS_RUN,\"tandem\":$json_t,\"rtpengine\":null}"
fi
exit 0
