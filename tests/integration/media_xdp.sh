#!/bin/bash
# The media plane on AF_XDP (issue 21): two hosts of the test's own, this
# script's network namespace (tandemd) and a nested one (the E1 span
# emulator and the RTP peers), joined by a veth pair with TEST-NET-1
# addresses (RFC 5737, 192.0.2.0/24); nothing leaves them, and both go
# when the test ends. The same checks as media_span.sh: a 1004 Hz tone
# and DTMF from timeslots to RTP (PCMA, and PCMU), a tone and RFC 4733
# digits from RTP to timeslots, no packet lost on any hop by each hop's
# own counters, tshark's RTP analysis and an RTCP sender report -- once
# with the workers on AF_XDP (and the xsk counters proving it), once with
# the privileges for XDP taken away (the logged fallback to sockets), and
# the loopback refusal. Started in the host's namespace (make check as
# root), it moves itself into a fresh one first: no interface of the host's
# ever gets a program.
if [ -z "${TANDEM_XDP_OWN_NS:-}" ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null &&
	ip -o link show 2>/dev/null | grep -qvE '^[0-9]+: (lo|hxdp[01])[:@]'; then
	exec unshare -n env TANDEM_XDP_OWN_NS=1 bash -c 'ip link set lo up && exec bash "$0"' "$0"
fi
source "$(dirname "$0")/../lib.sh"
VTY=24991
SPAN_L=24520
SPAN_R=24522
RTP_A=24530
RTP_B=24532
RTP_C=24534
GW=192.0.2.1
PEER=192.0.2.2

for t in ip nsenter unshare setpriv; do
	command -v $t >/dev/null || { skip "it:media-xdp: $t missing"; exit 0; }
done
[ "$(id -u)" = 0 ] || { skip "it:media-xdp: needs root (veth, XDP, AF_XDP)"; exit 0; }
if ! grep -q xdp_steer "$BUILD/tandemd" 2>/dev/null; then
	skip "it:media-xdp: tandemd built without AF_XDP (libxdp-dev, libbpf-dev or clang missing)"
	exit 0
fi
# never outside a private namespace: an interface of the host's must not get a program
if ip -o link show | grep -qvE '^[0-9]+: (lo|hxdp[01])[:@]'; then
	skip "it:media-xdp: not inside a private network namespace (could not make one: unshare -n)"
	exit 0
fi

# the peers' host: a process holding a fresh namespace inside this one
start_bg "$TMPD/ns.log" unshare -n sleep 600
NSPID=$BG_PID
inp() { nsenter -t "$NSPID" -n "$@"; }
for _ in $(seq 1 50); do
	[ "$(readlink /proc/$NSPID/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break
	sleep 0.1
done
del_veth() { ip link del hxdp0 2>/dev/null; }
trap 'del_veth; cleanup' EXIT
if ! ip link add hxdp0 type veth peer name hxdp1 2>"$TMPD/veth.err" ||
	! ip link set hxdp1 netns "$NSPID"; then
	skip "it:media-xdp: no veth here ($(cat "$TMPD/veth.err"))"
	exit 0
fi
ip link set lo up
ip addr add $GW/24 dev hxdp0
ip link set hxdp0 up
inp ip link set lo up
inp ip addr add $PEER/24 dev hxdp1
inp ip link set hxdp1 up
for _ in $(seq 1 50); do
	ip -br link show hxdp0 | grep -q ' UP ' && inp ip -br link show hxdp1 | grep -q ' UP ' && break
	sleep 0.1
done

# wait_udp in the peers' namespace
wait_udp_peer() {
	local hex
	hex=$(printf ':%04X ' "$1")
	for _ in $(seq 1 100); do
		inp awk -v h="$hex" 'NR > 1 && index($2 " ", h) { f = 1 } END { exit !f }' \
			/proc/net/udp && return 0
		sleep 0.1
	done
	return 1
}

val() { tr ' ' '\n' <"$1" | sed -n "s/^$2=//p" | head -1 | tr -d '"'; }
ts() { grep "^TS $2 " "$1" | tr ' ' '\n' | sed -n "s/^$3=//p" | tr -d '"'; }
within() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }'; }

# chain NAME PREFIX...: tandemd (started by PREFIX, e.g. with fewer
# privileges) with its media on hxdp0, the span and RTP peers behind the
# veth, and every check; the tandemd's "show media" is left in $SHOW
chain() {
	local name=$1 d="$TMPD/$1"
	shift
	mkdir -p "$d"
	cat >"$d/t.cfg" <<CFG
line vty
 bind 127.0.0.1 $VTY
media
 workers 1
 rtp-address $GW
 rtp-port-range 24600 24699
 xdp interface hxdp0 queues 1 mode auto zero-copy auto
 span 0 e1 local $GW $SPAN_L remote $PEER $SPAN_R frames 8
CFG
	start_bg "$d/tandemd.log" "$@" "$TANDEMD" -c "$d/t.cfg"
	local td=$BG_PID
	wait_tcp $VTY 150 || {
		fail "it:$name-start: tandemd did not start"
		cat "$d/tandemd.log"
		return 1
	}
	local out pa pb pc
	out=$(vty $VTY enable \
		"media test-call span 0 timeslot 1 remote $PEER $RTP_A codec pcma" \
		"media test-call span 0 timeslot 2 remote $PEER $RTP_B codec pcmu" \
		"media test-call span 0 timeslot 3 remote $PEER $RTP_C codec pcma telephone-event 101 echo-canceller off")
	pa=$(sed -n 's/^channel [0-9a-f]* rtp-port //p' <<<"$out" | sed -n 1p)
	pb=$(sed -n 's/^channel [0-9a-f]* rtp-port //p' <<<"$out" | sed -n 2p)
	pc=$(sed -n 's/^channel [0-9a-f]* rtp-port //p' <<<"$out" | sed -n 3p)
	if [ -z "$pa" ] || [ -z "$pb" ] || [ -z "$pc" ]; then
		fail "it:$name-test-call: $out"
		return 1
	fi
	local cap=""
	BADCK=""
	if command -v tshark >/dev/null; then
		start_bg "$d/tshark.log" nsenter -t "$NSPID" -n tshark -i hxdp1 \
			-f "udp port $RTP_A or udp port $((RTP_A + 1))" -w "$d/rtp.pcap" -q
		cap=$BG_PID
		wait_ev "$d/tshark.log" "Capture started|Capturing on" 150 ||
			skip "it:$name-tshark: tshark did not start capturing in 15 s"
	fi
	# its tone outlasts the e1-emu's window (0.3-4.3 s after the e1-emu
	# starts) however late the e1-emu starts after it: with 4.5 s it once
	# ended 2 s into that window on a loaded machine (-16.6 dBm0 for -13);
	# what it hears is only what the span clocked, so a longer run adds no
	# silence to its own figure
	start_bg "$d/a.out" inp "$BUILD/peers/rtp-peer" --local $PEER:$RTP_A --remote $GW:$pa \
		--tone 1004:-13 --seconds 8 --drain 500
	local a=$BG_PID
	start_bg "$d/b.out" inp "$BUILD/peers/rtp-peer" --local $PEER:$RTP_B --remote $GW:$pb \
		--pt 0 --silent --seconds 4.5 --drain 500
	local b=$BG_PID
	start_bg "$d/c.out" inp "$BUILD/peers/rtp-peer" --local $PEER:$RTP_C --latch \
		--events 1357 --seconds 4.5 --drain 500
	local c=$BG_PID
	for p in $RTP_A $RTP_B $RTP_C; do
		wait_udp_peer $p || fail "it:$name-peers-up: nothing listens on $p"
	done
	inp "$BUILD/peers/e1-emu" --local $PEER:$SPAN_R --remote $GW:$SPAN_L --timeslots 1-31 \
		--ts 1:tone:1004:-10 --ts 2:dtmf:159# --ts 3:dtmf:2468 --seconds 4 >"$d/e1.out"
	wait "$a" "$b" "$c"
	[ -n "$cap" ] && { sleep 0.5; kill -INT "$cap"; wait "$cap"; }

	check "it:$name-tdm-to-rtp-tone ($(val "$d/a.out" f1004_dbm0) dBm0 at the RTP end, -10 sent)" \
		within "$(val "$d/a.out" f1004_dbm0)" -10.6 -9.4
	check "it:$name-tdm-to-rtp-no-loss (lost=$(val "$d/a.out" lost))" test "$(val "$d/a.out" lost)" = 0
	check "it:$name-rtp-to-tdm-tone ($(ts "$d/e1.out" 1 f1004_dbm0) dBm0 on TS1, -13 sent)" \
		within "$(ts "$d/e1.out" 1 f1004_dbm0)" -14.5 -12.5
	check "it:$name-dtmf-alaw-to-ulaw ($(val "$d/b.out" inband_dtmf))" \
		test "$(val "$d/b.out" inband_dtmf)" = "159#"
	check "it:$name-inband-to-rfc4733 (events \"$(val "$d/c.out" events)\")" \
		test "$(val "$d/c.out" events)" = 2468 -a -z "$(val "$d/c.out" inband_dtmf)"
	check "it:$name-rfc4733-to-inband ($(ts "$d/e1.out" 3 dtmf) on TS3)" \
		test "$(ts "$d/e1.out" 3 dtmf)" = 1357
	SHOW=$(vty $VTY "show media")
	echo "$SHOW"
	local e_tx e_rx t_rx t_tx t_lost p_tx p_rx w_rx w_tx
	e_tx=$(grep ^SPAN "$d/e1.out" | tr ' ' '\n' | sed -n 's/^tx_pkts=//p')
	e_rx=$(grep ^SPAN "$d/e1.out" | tr ' ' '\n' | sed -n 's/^rx_pkts=//p')
	read -r t_rx t_tx t_lost < <(awk '/^span 0 /{print $7, $9, $11}' <<<"$SHOW")
	check "it:$name-span-no-loss (emulator sent $e_tx, tandem got $t_rx with $t_lost gaps; tandem sent $t_tx, emulator got $e_rx)" \
		test -n "$e_tx" -a "$e_tx" = "$t_rx" -a "$t_tx" = "$e_rx" -a "$t_lost" = 0
	p_tx=$(cat "$d"/[abc].out | tr ' ' '\n' | awk '/^TX$/ {t = 1; next} t && /^pkts=/ {split($0, a, "="); s += a[2]; t = 0} END {print s + 0}')
	p_rx=$(cat "$d"/[abc].out | tr ' ' '\n' | awk '/^RX$/ {t = 1; next} t && /^pkts=/ {split($0, a, "="); s += a[2]; t = 0} END {print s + 0}')
	w_rx=$(sed -n 's/^worker 0: channels [0-9]*, rx \([0-9]*\) .*/\1/p' <<<"$SHOW")
	w_tx=$(sed -n 's/^worker 0: channels [0-9]*, rx [0-9]* tx \([0-9]*\) .*/\1/p' <<<"$SHOW")
	check "it:$name-rtp-no-loss (peers sent $p_tx, tandem got $w_rx; tandem sent $w_tx, peers got $p_rx)" \
		test "$p_tx" -gt 0 -a "$p_tx" = "$w_rx" -a "$w_tx" = "$p_rx"
	check "it:$name-no-kernel-drops ($(grep -o 'kernel drops [0-9]*' <<<"$SHOW"))" \
		grep -q "kernel drops 0 " <<<"$SHOW"
	if [ -n "$cap" ] && [ -s "$d/rtp.pcap" ]; then
		local st lost pk sr
		st=$(tshark -r "$d/rtp.pcap" -d udp.port==$RTP_A,rtp -q -z rtp,streams 2>/dev/null |
			awk -v p=$RTP_A '$6 == p && $8 == "g711A" {print}')
		lost=$(awk '{print $10}' <<<"$st" | head -1)
		pk=$(awk '{print $9}' <<<"$st" | head -1)
		check "it:$name-tshark-rtp-streams (tandem->peer: $pk packets, $lost lost)" \
			test -n "$pk" -a "$lost" = 0
		sr=$(tshark -r "$d/rtp.pcap" -d udp.port==$((RTP_A + 1)),rtcp -Y "rtcp.pt == 200" \
			-T fields -e rtcp.sender.packetcount 2>/dev/null | head -1)
		check "it:$name-rtcp-sender-report (tshark: SR with packet count $sr)" test -n "$sr"
		# IPv4 and UDP checksums as the peer sees them (the kernel's own
		# datagrams on veth carry a checksum left to offload)
		local badck
		badck=$(tshark -r "$d/rtp.pcap" -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE \
			-Y "ip.src == $GW && (ip.checksum.status == 0 || udp.checksum.status == 0)" \
			2>/dev/null | wc -l)
		BADCK=$badck
	else
		skip "it:$name-tshark-rtp-streams: no capture (tshark missing or not permitted)"
	fi
	# where a datagram went missing, if one did: the veth pair and the
	# peers' UDP (receive buffer errors)
	echo "$name: hxdp0 $(ip -s link show hxdp0 | awk '/RX:|TX:/ {getline; printf "%s pkts %s dropped %s; ", $0 ~ /./ ? "" : "", $2, $4}')"
	echo "$name: peers' UDP: $(inp awk '/^Udp:/ {n++} n == 2 && /^Udp:/ {print; exit}' /proc/net/snmp)"
	# the next tandemd takes the same ports: this one must be gone first
	local t0=$SECONDS
	kill -TERM "$td"
	for _ in $(seq 1 300); do kill -0 "$td" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$td" 2>/dev/null; then
		fail "it:$name-stop: tandemd still running 30 s after SIGTERM"
		kill -KILL "$td"
	fi
	echo "$name: tandemd stopped in $((SECONDS - t0)) s"
	wait "$td" 2>/dev/null
	cp "$d/tandemd.log" "$d/tandemd.done"
}

# 1. AF_XDP: the program attaches, worker 0 takes the media through its xsk
chain media-xdp
if grep -q "^worker 0: path AF_XDP on hxdp0 queue 0" <<<"$SHOW"; then
	pass "it:media-xdp-path ($(sed -n 's/^worker 0: path //p' <<<"$SHOW"))"
	read -r xrx xtx xk xdr < <(sed -n 's/^worker 0: xsk rx \([0-9]*\) tx \([0-9]*\) tx-via-kernel \([0-9]*\) drops \([0-9]*\) .*/\1 \2 \3 \4/p' <<<"$SHOW")
	wrx=$(sed -n 's/^worker 0: channels [0-9]*, rx \([0-9]*\) .*/\1/p' <<<"$SHOW")
	srx=$(awk '/^span 0 /{print $7}' <<<"$SHOW")
	# every datagram the worker counted came through the xsk (span and RTP)
	check "it:media-xdp-all-received-on-xsk (xsk rx $xrx = RTP rx $wrx + span rx $srx + RTCP)" \
		test -n "$xrx" -a "$xrx" -ge "$((wrx + srx))"
	check "it:media-xdp-sent-on-xsk (xsk tx $xtx, $xk through the kernel before the next hop was known)" \
		test -n "$xtx" -a "${xtx:-0}" -gt "$((${xk:-0} * 10))"
	check "it:media-xdp-xsk-drops (drops $xdr)" test "$xdr" = 0
	# the frames tandem built itself: at most those the kernel sent (offload) are unfinished
	[ -n "${BADCK:-}" ] &&
		check "it:media-xdp-checksums (tshark: $BADCK frames from tandem with a bad IPv4/UDP checksum, $xk sent by the kernel)" \
			test "$BADCK" -le "${xk:-0}"
else
	fail "it:media-xdp-path: $(grep '^worker 0: path' <<<"$SHOW"); $(grep -i xdp "$TMPD/media-xdp/tandemd.done" | head -3)"
fi
check "it:media-xdp-program-detached (no XDP program left on hxdp0)" \
	bash -c '! ip link show hxdp0 | grep -q "prog/xdp"'

# 2. the same chain without CAP_BPF/CAP_NET_ADMIN: sockets, and said why
chain media-xdp-fallback setpriv --bounding-set -bpf,-net_admin,-sys_admin --
check "it:media-xdp-fallback-path ($(sed -n 's/^worker 0: path //p' <<<"$SHOW"))" \
	grep -q "^worker 0: path sockets (AF_XDP on hxdp0: loading the XDP program: Operation not permitted" <<<"$SHOW"
check "it:media-xdp-fallback-logged" \
	grep -q "AF_XDP on hxdp0 not used: loading the XDP program" "$TMPD/media-xdp-fallback/tandemd.done"

# 3. loopback: refused with the reason, the media stays on sockets
cat >"$TMPD/lo.cfg" <<CFG
line vty
 bind 127.0.0.1 $VTY
media
 workers 1
 xdp interface lo
CFG
start_bg "$TMPD/lo.log" "$TANDEMD" -c "$TMPD/lo.cfg"
if wait_tcp $VTY 150; then
	show=$(vty $VTY "show media")
	check "it:media-xdp-loopback-fallback ($(sed -n 's/^worker 0: path //p' <<<"$show"))" \
		grep -q "^worker 0: path sockets (AF_XDP on lo: lo is a loopback interface" <<<"$show"
else
	fail "it:media-xdp-loopback-fallback: tandemd did not start"
fi
exit ${FAILED:-0}
