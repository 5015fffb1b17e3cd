#!/bin/bash
# M3UA over kernel SCTP (RFC 4666 1.4.7): tandemd against tests/peers/m3ua-sg
# --sctp on loopback, two remote addresses (127.0.0.1 and 127.0.0.2, both on
# lo: multi-homing); PPID 3; ASPSM/ASPTM on stream 0; DATA on stream
# 1 + SLS mod 16 both ways; RSC from the SG answered with RLC; show m3ua's
# paths; as root, in its own netns: path failover under nftables while
# RSC/RLC run.
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
VTY=25840 SG=25841 SIP=25843 SPAN_L=25844 SPAN_R=25845 RTP0=25850
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
wait_ev "$out" "^READY" 50 || { fail "it:m3ua-sctp:sg-start"; cat "$out"; exit 1; }
start_bg "$TMPD/td.log" "$BUILD/tandemd" -c "$TMPD/t.cfg"
td=$BG_PID
wait_tcp $VTY 50 || { fail "it:m3ua-sctp:tandemd-start"; cat "$TMPD/td.log"; exit 1; }

check "it:m3ua-sctp:association-up" wait_ev "$out" "EV CONNECTED conn=0" 50
check "it:m3ua-sctp:aspup-stream-0-ppid-3" \
	wait_ev "$out" "EV STREAM conn=0 class=3 type=1 stream=0 ppid=3 eor=1" 50
check "it:m3ua-sctp:aspac-stream-0" wait_ev "$out" "EV STREAM conn=0 class=4 type=1 stream=0 ppid=3" 50
check "it:m3ua-sctp:active" wait_ev "$out" "EV ACTIVE conn=0 rc=7" 50
check "it:m3ua-sctp:data-out (GRS)" wait_ev "$out" "EV DATA conn=0 rc=7 opc=2 dpc=1 si=5 sls=[0-9]+ hex=010017" 50
sls=$(grep -m1 -oE "EV DATA conn=0 rc=7 opc=2 dpc=1 si=5 sls=[0-9]+ hex=010017" "$out" | grep -oE "sls=[0-9]+" | cut -d= -f2)
check "it:m3ua-sctp:data-stream-by-sls (sls ${sls:-?} -> stream $((1 + ${sls:-0} % 16)))" \
	grep -q "EV STREAM conn=0 class=1 type=1 stream=$((1 + ${sls:-0} % 16)) ppid=3" "$out"
sg "data 1 2 5 050012"
check "it:m3ua-sctp:data-in->data-out (RSC CIC 5 -> RLC)" \
	wait_ev "$out" "EV DATA conn=0 rc=7 opc=2 dpc=1 si=5 sls=5 hex=050010" 50
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
# path failover while traffic runs: nftables drops what tandem sends to
# the SG's 127.0.0.1; RSCs from the SG keep getting their RLCs (over
# 127.0.0.2), and show m3ua says which path is down
if [ -n "${M3UA_SCTP_NETNS:-}" ] && command -v nft >/dev/null &&
	nft add table inet tandem_fo 2>/dev/null &&
	nft add chain inet tandem_fo out '{ type filter hook output priority 0; }' &&
	nft add rule inet tandem_fo out ip daddr 127.0.0.1 sctp dport $SG drop; then
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
	nft delete table inet tandem_fo
else
	skip "it:m3ua-sctp:failover: needs root, its own netns and nft"
fi
sg "drop 0"
check "it:m3ua-sctp:reconnect" wait_ev "$out" "EV ACTIVE conn=0 rc=7" 80 2
kill -TERM "$td"
sg "quit"
exit ${FAILED:-0}
