#!/bin/bash
# make bench: the TDM <-> RTP chain over a veth pair, AF_XDP against io_uring
# sockets (issue 21), in one run with interleaved rounds (bench_media_sockets
# does the measuring). It builds its own hosts: a private network namespace
# for tandem (unshare -n) and a nested one for the generator, joined by veth
# with TEST-NET-1 addresses (192.0.2.0/24); both go when it ends.
#   ROUNDS (default 3), XDP_SECONDS (default 6), XDP_CHANNELS (default "200 600"),
#   BENCH_RT (SCHED_FIFO priority, default 10; 0: none), BENCH_ONLY=sockets|xdp and
#   BENCH_DSP=off|on (one kind of run, for a profile)
set -u
TOP=${TANDEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
B=${TANDEM_BUILD:-$TOP/build}/bench/bench_media_sockets
[ -x "$B" ] || { echo "SKIP bench media_xdp: $B not built"; exit 0; }
[ "$(id -u)" = 0 ] || { echo "SKIP bench media_xdp: needs root (veth, XDP, AF_XDP)"; exit 0; }
grep -q xdp_steer "$B" || {
	echo "SKIP bench media_xdp: built without AF_XDP (libxdp-dev, libbpf-dev or clang missing)"
	exit 0
}
if [ -z "${HXDP_INNER:-}" ]; then
	# a mount namespace too: sysfs mounted again shows this network
	# namespace's interfaces (threaded NAPI, drop counters)
	HXDP_INNER=1 exec unshare -n -m bash "$0" "$@"
fi
set -e
mount -t sysfs sysfs /sys 2>/dev/null || echo "NOTE: sysfs not remounted: no threaded NAPI"
ip link set lo up
unshare -n sleep 3600 &
NSPID=$!
trap 'kill $NSPID 2>/dev/null; ip link del hxdp0 2>/dev/null; wait' EXIT
for _ in $(seq 1 50); do
	[ "$(readlink /proc/$NSPID/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break
	sleep 0.1
done
ip link add hxdp0 type veth peer name hxdp1
ip link set hxdp1 netns $NSPID
for a in 1 2 3 4 5 6 7 8 9 10 30; do ip addr add 192.0.2.$a/24 dev hxdp0; done
ip link set hxdp0 up
nsenter -t $NSPID -n sh -c 'ip link set lo up; ip addr add 192.0.2.100/24 dev hxdp1; ip link set hxdp1 up'
# The generator's receive work on the generator's CPU (RPS on hxdp1 toward
# CPU 0, BENCH_PEER_RPS=0: off): without it, veth delivers what tandem sends
# to the generator's socket in a softirq on the sending CPU, so every
# datagram's receive at the far end (IP, UDP, the socket's queue, waking
# the generator) was charged to tandem's worker in both paths; a NIC's
# transmit ends at the wire. Measured before: about half the AF_XDP
# worker's CPU and a sixth of the socket worker's was that far-end receive.
if [ "${BENCH_PEER_RPS:-1}" != 0 ]; then
	nsenter -t $NSPID -n unshare -m sh -c \
		'mount -t sysfs sysfs /sys && echo 1 > /sys/class/net/hxdp1/queues/rx-0/rps_cpus' ||
		echo "NOTE: no RPS on hxdp1: the generator's receive runs on tandem's CPU"
fi
sleep 0.5
# bench_media_sockets turns on threaded NAPI on hxdp0 once the XDP program
# is attached (veth has NAPI only then), pins its thread to tandem's CPU at
# SCHED_FIFO 50 (as a NIC's interrupt steered to the worker's core; in
# softirq a loaded machine defers it to ksoftirqd and veth's 256-packet
# ring drops) and reports the CPU per packet without and with it
# The worker and the generator at SCHED_FIFO (BENCH_RT, default 10; 0: at
# nice -10 as tandemd runs its workers): on a machine busy with other work a
# generator held off the CPU for 100-200 ms sends its backlog as one burst,
# larger than veth's ring (drops in the AF_XDP runs only), and a worker held
# off the same time meets batches it never sees in service. At 200 channels
# both use a fraction of a core; a run the worker cannot carry (600 channels
# with the canceller on) holds CPU 1 for its length, down to the 5 % the
# kernel's RT throttling leaves to everything else there: on a machine
# shared with others, XDP_CHANNELS=200 or BENCH_RT=0.
RT=
if [ "${BENCH_RT:-10}" != 0 ] && command -v chrt >/dev/null; then
	RT="chrt -f ${BENCH_RT:-10}"
fi
set +e
# shellcheck disable=SC2086
ROUNDS=${ROUNDS:-3} BENCH_XDP_IF=hxdp0 BENCH_PEER_NETNS=/proc/$NSPID/ns/net BENCH_NET=192.0.2 \
	$RT "$B" "${XDP_SECONDS:-6}" ${XDP_CHANNELS:-200 600}
rc=$?
# what the veth pair itself dropped (with an XDP program attached, veth
# receives through a 256-packet ring per queue: a sender's burst larger
# than that is dropped there, before tandem, in the AF_XDP runs only)
echo "veth hxdp0 (tandem's side) and hxdp1 (the generator's), whole run:"
ip -s link show hxdp0 | sed -n '3,6p'
nsenter -t $NSPID -n ip -s link show hxdp1 | sed -n '3,6p'
exit $rc
