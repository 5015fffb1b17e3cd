#!/bin/bash
# PID 1 of the tandem test VM, inside the host's root (read-only, with a RAM
# layer on top): runs the scripts listed in /run/vm/env one after the other,
# each bounded by VM_TEST_TIMEOUT, writing NAME.out, NAME.rc and NAME.time
# into /run/vm/out (shared with the host), then 'done', then powers off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 TERM=dumb
. /run/vm/env
export TANDEM_TOP TANDEM_BUILD
O=/run/vm/out
# a failing script's files (tests/lib.sh keeps them) go where the host
# reads them back, not into the guest's RAM layer that goes with it
export TANDEM_FAILED_DIR=$O/it-failed
ip link set lo up
# devtmpfs has no /dev/fd: bash's <(...) needs it
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
# the unpacked kernel's module tree where modprobe looks (nftables and the
# like load on demand); busybox's modprobe where the host has no kmod
KV=$(uname -r)
if [ ! -d "/lib/modules/$KV" ] && [ -d "$VM_MODDIR" ]; then
	mkdir -p "/lib/modules/$KV" && mount --bind "$VM_MODDIR" "/lib/modules/$KV"
fi
if [ ! -x /sbin/modprobe ] && [ -x /bin/busybox ]; then
	ln -sf /bin/busybox /sbin/modprobe
fi
echo /sbin/modprobe >/proc/sys/kernel/modprobe 2>/dev/null
modprobe sctp_diag 2>/dev/null
awk '{ print $1 " s" }' /proc/uptime >"$O/started.tmp" && mv "$O/started.tmp" "$O/started"
cd "$TANDEM_TOP" || cd /
for s in "${VM_SCRIPTS[@]}"; do
	n=$(basename "$s" .sh)
	t0=$(awk '{ print $1 }' /proc/uptime)
	timeout -k 10 "$VM_TEST_TIMEOUT" bash "$s" >"$O/$n.out" 2>&1 </dev/null
	rc=$?
	[ $rc = 124 ] && echo "FAIL it:$n: ran past ${VM_TEST_TIMEOUT}s in the VM" >>"$O/$n.out"
	awk -v a="$t0" '{ printf "%.1f\n", $1 - a }' /proc/uptime >"$O/$n.time"
	echo $rc >"$O/$n.rc"
done
sync
: >"$O/done"
sync
echo o >/proc/sysrq-trigger
sleep 60
