#!/bin/bash
# M3UA over kernel SCTP (RFC 4666 1.4.7): tandemd against tests/peers/m3ua-sg
# --sctp on loopback, two remote addresses (127.0.0.1 and 127.0.0.2, both on
# lo: multi-homing); PPID 3; ASPSM/ASPTM on stream 0; DATA on stream
# 1 + SLS mod 16 both ways; RSC from the SG answered with RLC; show m3ua's
# paths; as root, in its own netns: path failover under nftables while
# RSC/RLC run. SCTP parameters per association from the VTY (RTO,
# heartbeat, retransmission counts, INIT, streams), read back from the
# kernel by show m3ua; a second ASP a2 toward a second SG with slow
# heartbeat/RTO settings: the lost path is found by each association in
# the time its own settings give (a1 within 4 s, a2 not before 5 s).
# A kernel without SCTP prints SKIP with the reason (the start-up error
# naming 'transport tcp' is tandemd_vty.sh's check).
# needs: kernel-sctp (make check runs it through tests/vm/sctp-tests.sh)
# As root, in a network namespace of its own with 127.0.0.2 on lo: two
# real paths each way (the association's second path, its failover).
if [ -z "${M3UA_SCTP_NETNS:-}" ] && [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then
	M3UA_SCTP_NETNS=1 exec unshare -n bash "$0" "$@"
fi
if [ -n "${M3UA_SCTP_NETNS:-}" ]; then
	ip link set lo up
	# /32: its own source address (a /8 one would leave as 127.0.0.1)
	ip addr add 127.0.0.2/32 dev lo 2>/dev/null
	# a lost path found in about a second rather than a minute (RFC 4960
	# 8.2, 8.3: RTO bounds, retransmissions before a path is inactive)
	for kv in rto_min=100 rto_initial=300 rto_max=400 path_max_retrans=2 hb_interval=300; do
		sysctl -qw "net.sctp.$kv" 2>/dev/null
	done
fi
source "$(dirname "$0")/../lib.sh"
if ! python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132)' 2>/dev/null; then
	skip "it:m3ua-sctp: the kernel has no SCTP (socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP) fails; modprobe sctp)"
	exit 0
fi
[ -x "$BUILD/peers/m3ua-sg" ] || { skip "it:m3ua-sctp: m3ua-sg not built"; exit 0; }
VTY=25840 SG=25841 SG2=25842 SIP=25843 SPAN_L=25844 SPAN_R=25845 RTP0=25850
cd "$TMPD" || exit 1

cat >"$TMPD/t.cfg" <<CFG
log stderr
 logging filter all 1
 logging print category 1
 logging level set-all info
line vty
 bind 127.0.0.1 $VTY
sigtran
 asp a1
  remote 127.0.0.1 $SG
  sctp-address remote 127.0.0.2
  transport sctp
  routing-context 7
  timer ack 500
  sctp rto initial 200 min 100 max 300
  sctp heartbeat interval 200
  sctp path-max-retrans 2
  sctp association-max-retrans 8
  sctp init max-attempts 4
  sctp init max-timeout 2000
 asp a2
  remote 127.0.0.1 $SG2
  sctp-address remote 127.0.0.2
  transport sctp
  routing-context 8
  timer ack 500
  sctp rto initial 1000 min 1000 max 1000
  sctp heartbeat interval 2000
  sctp path-max-retrans 2
  sctp streams 5
isup
 linkset sw1
  asp a1
  variant itu
  point-code local 2 remote 1
  cic 1 31 span 0 timeslot 1
sip
 listen udp 127.0.0.1 $SIP
media
 rtp-port-range $RTP0 $((RTP0 + 39))
 span 0 e1 local 127.0.0.1 $SPAN_L remote 127.0.0.1 $SPAN_R frames 8
CFG

out=$TMPD/sg.out
mkfifo "$TMPD/sg.in"
exec 3<>"$TMPD/sg.in"
start_bg "$out" "$BUILD/peers/m3ua-sg" --sctp --listen "0.0.0.0:$SG" --rc 7 --timeout 60 \
	--commands "$TMPD/sg.in"
sg() { echo "$*" >&3; }
start_bg "$TMPD/sg2.out" "$BUILD/peers/m3ua-sg" --sctp --listen "0.0.0.0:$SG2" --rc 8 --timeout 60
wait_ev "$out" "^READY" 50 || { fail "it:m3ua-sctp:sg-start"; cat "$out"; exit 1; }
wait_ev "$TMPD/sg2.out" "^READY" 50 || { fail "it:m3ua-sctp:sg2-start"; cat "$TMPD/sg2.out"; exit 1; }
start_bg "$TMPD/td.log" "$BUILD/tandemd" -c "$TMPD/t.cfg"
td=$BG_PID
wait_tcp $VTY 50 || { fail "it:m3ua-sctp:tandemd-start"; cat "$TMPD/td.log"; exit 1; }

check "it:m3ua-sctp:association-up" wait_ev "$out" "EV CONNECTED conn=0" 50
check "it:m3ua-sctp:aspup-stream-0-ppid-3" \
	wait_ev "$out" "EV STREAM conn=0 class=3 type=1 stream=0 ppid=3 eor=1" 50
check "it:m3ua-sctp:aspac-stream-0" wait_ev "$out" "EV STREAM conn=0 class=4 type=1 stream=0 ppid=3" 50
check "it:m3ua-sctp:active" wait_ev "$out" "EV ACTIVE conn=0 rc=7" 50
check "it:m3ua-sctp:a2-active" wait_ev "$TMPD/sg2.out" "EV ACTIVE conn=0 rc=8" 50
check "it:m3ua-sctp:data-out (GRS)" wait_ev "$out" "EV DATA conn=0 rc=7 opc=2 dpc=1 si=5 sls=[0-9]+ hex=010017" 50
sls=$(grep -m1 -oE "EV DATA conn=0 rc=7 opc=2 dpc=1 si=5 sls=[0-9]+ hex=010017" "$out" | grep -oE "sls=[0-9]+" | cut -d= -f2)
check "it:m3ua-sctp:data-stream-by-sls (sls ${sls:-?} -> stream $((1 + ${sls:-0} % 16)))" \
	grep -q "EV STREAM conn=0 class=1 type=1 stream=$((1 + ${sls:-0} % 16)) ppid=3" "$out"
sg "data 1 2 5 050012"
check "it:m3ua-sctp:data-in->data-out (RSC CIC 5 -> RLC)" \
	wait_ev "$out" "EV DATA conn=0 rc=7 opc=2 dpc=1 si=5 sls=5 hex=050010" 300
check "it:m3ua-sctp:rlc-on-stream-6" grep -q "EV STREAM conn=0 class=1 type=1 stream=6 ppid=3" "$out"
# show m3ua: each path of the association, by the kernel's own account
show=$("$BUILD/tandem-tool" vty --port $VTY "show m3ua" 2>&1)
echo "$show" | grep '  path ' | sed 's/^/   /'
# (under QEMU/TCG the shortened heartbeat timers can mark the primary
# "potentially-failed" for a moment: the kernel's own word, shown as such)
check "it:m3ua-sctp:show-path-primary-listed" \
	grep -qE '  path 127\.0\.0\.1: (active|potentially-failed), primary' <<<"$show"
if [ -n "${M3UA_SCTP_NETNS:-}" ]; then
	check "it:m3ua-sctp:show-second-path-active (multi-homed)" \
		grep -qE '  path 127\.0\.0\.2: active' <<<"$show"
fi
# the parameters each association runs with, by the kernel's account
# (getsockopt), not by the configuration's (it keeps them in jiffies:
# Debian's HZ 250 gives 4 ms steps, so the values here are multiples of 4)
asp_show() { awk -v a="asp $1:" 'index($0, a) == 1 { on = 1; print; next } /^(asp|as) / { on = 0 } on' <<<"$show"; }
s1=$(asp_show a1) s2=$(asp_show a2)
echo "$s1$s2" | grep 'sctp (kernel)' | sed 's/^/   /'
check "it:m3ua-sctp:params-read-back-a1 (RTO 200/100/300, HB 200, PMR 2, AMR 8)" grep -qF \
	"sctp (kernel): RTO initial 200 min 100 max 300 ms; heartbeat 200 ms; path-max-retrans 2; association-max-retrans 8" <<<"$s1"
check "it:m3ua-sctp:params-read-back-a1-init (4 attempts, 2000 ms, 17 streams)" grep -qF \
	"sctp (kernel): init max-attempts 4 max-timeout 2000 ms; streams asked 17 out 17 in, agreed 17 out 17 in" <<<"$s1"
check "it:m3ua-sctp:params-read-back-a2 (RTO 1000, HB 2000, PMR 2)" grep -qF \
	"sctp (kernel): RTO initial 1000 min 1000 max 1000 ms; heartbeat 2000 ms; path-max-retrans 2" <<<"$s2"
check "it:m3ua-sctp:params-read-back-a2-streams (5 asked, 5 agreed)" grep -qF \
	"streams asked 5 out 5 in, agreed 5 out 5 in" <<<"$s2"

# ev_ms REGEX...: read on in tandem's log (open on fd 5) with shell
# built-ins only (a process start costs most of a second in the VM) for a
# line matching each REGEX, up to 25 s; prints for each the ms from T0_US
# to when it was read (polled every 50 ms), or "none"
mkfifo "$TMPD/nap"
exec 4<>"$TMPD/nap"
ev_ms() {
	local line part= now i left EV_MS=()
	left=$#
	while :; do
		while IFS= read -r -u 5 line || { part+=$line; line=; false; }; do
			line=$part$line part=
			now=${EPOCHREALTIME/./}
			for ((i = 1; i <= $#; i++)); do
				if [ -z "${EV_MS[i]}" ] && [[ $line =~ ${!i} ]]; then
					EV_MS[i]=$(((now - T0_US) / 1000))
					left=$((left - 1))
				fi
			done
		done
		now=${EPOCHREALTIME/./}
		[ "$left" -le 0 ] || [ $((now - T0_US)) -gt 25000000 ] && break
		read -t 0.05 -u 4
	done
	for ((i = 1; i <= $#; i++)); do
		printf '%s ' "${EV_MS[i]:-none}"
	done
}

# path failover while traffic runs: nftables drops what tandem sends to
# the SG's 127.0.0.1; RSCs from the SG keep getting their RLCs (over
# 127.0.0.2), and show m3ua says which path is down
exec 5<"$TMPD/td.log"
while IFS= read -r -u 5 _; do :; done # from here on only
if [ -n "${M3UA_SCTP_NETNS:-}" ] && command -v nft >/dev/null &&
	nft add table inet tandem_fo 2>/dev/null &&
	nft add chain inet tandem_fo out '{ type filter hook output priority 0; }' &&
	nft add rule inet tandem_fo out ip daddr 127.0.0.1 sctp dport "{ $SG, $SG2 }" drop; then
	T0_US=${EPOCHREALTIME/./}
	# (a subshell: a fork of this shell, no program started)
	(ev_ms "path 127\.0\.0\.1 port $SG unreachable" "path 127\.0\.0\.1 port $SG2 unreachable" \
		>"$TMPD/ev.ms") &
	evpid=$!
	before=$(grep -c "hex=050010" "$out")
	for i in $(seq 1 10); do
		sg "data 1 2 $((i % 16)) 050012"
		sleep 0.3
	done
	check "it:m3ua-sctp:failover-traffic-goes-on (10 RSC -> 10 RLC, primary path dropped)" \
		wait_ev "$out" "hex=050010" 100 $((before + 10))
	show=$("$BUILD/tandem-tool" vty --port $VTY "show m3ua" 2>&1)
	echo "$show" | grep '  path ' | sed 's/^/   /'
	check "it:m3ua-sctp:failover-path-1-down" grep -qE '  path 127\.0\.0\.1: (inactive|potentially-failed)' <<<"$show"
	check "it:m3ua-sctp:failover-path-2-active" grep -qE '  path 127\.0\.0\.2: active' <<<"$show"
	check "it:m3ua-sctp:failover-association-kept" test "$(grep -c "EV CLOSED" "$out")" = 0
	# each association finds the lost path in the time its own settings
	# give (RFC 4960 8.2, 8.3): a1 (RTO <= 300 ms, HB 200 ms, traffic
	# running) at once; a2 (idle, HB every 2000 ms + RTO 1000-2000 ms, a
	# path potentially-failed after the first unanswered HEARTBEAT, inactive
	# after path-max-retrans 2 more, each at RTO 1000-2000 ms) not before
	# 3000 + 2 x 1000 ms less the part of a heartbeat period already gone
	# when the rule went in (4,429 ms once: a floor of 4500 assumed at most
	# 500 ms of it): 3000, three times what the defaults below give; nor
	# after 4000 + 4000 + 2 x 2000 ms (20000 under TCG).
	# The netns' net.sctp defaults (RTO 100-400, HB 300) would have found
	# both within about a second.
	wait $evpid
	read -r -a EV_MS <"$TMPD/ev.ms"
	EV_MS=("" "${EV_MS[@]}")
	[ "${EV_MS[1]}" = none ] && EV_MS[1]=
	[ "${EV_MS[2]}" = none ] && EV_MS[2]=
	echo "   path 127.0.0.1 unreachable after: a1 ${EV_MS[1]:-none} ms, a2 ${EV_MS[2]:-none} ms"
	check "it:m3ua-sctp:failover-time-a1 (${EV_MS[1]:-none} ms < 4000: RTO 100-300, HB 200)" \
		test -n "${EV_MS[1]}" -a "${EV_MS[1]:-0}" -lt 4000
	check "it:m3ua-sctp:failover-time-a2 (${EV_MS[2]:-none} ms in 3000-20000: RTO 1000, HB 2000)" \
		test -n "${EV_MS[2]}" -a "${EV_MS[2]:-0}" -ge 3000 -a "${EV_MS[2]:-0}" -lt 20000
	check "it:m3ua-sctp:failover-a2-association-kept" test "$(grep -c "EV CLOSED" "$TMPD/sg2.out")" = 0
	nft delete table inet tandem_fo
else
	skip "it:m3ua-sctp:failover: needs root, its own netns and nft"
fi
sg "drop 0"
check "it:m3ua-sctp:reconnect" wait_ev "$out" "EV ACTIVE conn=0 rc=7" 300 2
kill -TERM "$td"
sg "quit"
exit ${FAILED:-0}
