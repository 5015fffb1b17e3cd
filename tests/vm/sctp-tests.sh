#!/bin/bash
# Run test scripts that need kernel SCTP, on a kernel that has it.
#
#   tests/vm/sctp-tests.sh OUTDIR SCRIPT...
#
# For each SCRIPT, OUTDIR/NAME.out receives what it printed and
# OUTDIR/NAME.rc its exit status (NAME: the file name less .sh), so that
# tests/check.sh reads them as it reads any integration script's output.
# Where the scripts run:
#   1. here, one after the other, when this kernel opens an SCTP socket;
#   2. otherwise all of them in ONE boot of a small QEMU virtual machine
#      (TCG, no KVM needed): a Debian kernel with sctp.ko, this machine's
#      root filesystem read-only over virtio-9p with a RAM layer on top, only
#      a loopback interface (tests/vm/README.md);
#   3. otherwise each script's output is one line "SKIP it:NAME: reason".
# Time is bounded: TANDEM_VM_BOOT_TIMEOUT (s, default 240) for the guest to
# start the first script, TANDEM_VM_TEST_TIMEOUT (s, default 600) per script;
# QEMU is stopped by its PID when either runs out.
# Environment: TANDEM_VM_CACHE (kernel and initramfs, default
# /var/cache/tandem-vm), TANDEM_VM_MEM (MiB, default 768), TANDEM_VM_CPUS
# (default 2), TANDEM_VM=force|never (force the VM even with native SCTP,
# or never use it), TANDEM_VM_KEEP=1 (keep the guest's console log).
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=${TANDEM_TOP:-$(cd "$HERE/../.." && pwd)}
BUILD=${TANDEM_BUILD:-$TOP/build}
CACHE=${TANDEM_VM_CACHE:-/var/cache/tandem-vm}
BOOT_T=${TANDEM_VM_BOOT_TIMEOUT:-240}
TEST_T=${TANDEM_VM_TEST_TIMEOUT:-600}
MEM=${TANDEM_VM_MEM:-768}
CPUS=${TANDEM_VM_CPUS:-2}

[ $# -ge 2 ] || {
	echo "usage: $0 OUTDIR SCRIPT..." >&2
	exit 2
}
OUT=$(mkdir -p "$1" && cd "$1" && pwd)
shift
SCRIPTS=()
for s in "$@"; do SCRIPTS+=("$(cd "$(dirname "$s")" && pwd)/$(basename "$s")"); done

say() { echo "sctp-tests: $*" >&2; }
name_of() { basename "$1" .sh; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# every script gets the same SKIP line; rc 0 (a SKIP is not a failure)
skip_all() {
	local s n
	for s in "${SCRIPTS[@]}"; do
		n=$(name_of "$s")
		echo "SKIP it:$n: $*" >"$OUT/$n.out"
		echo 0 >"$OUT/$n.rc"
	done
	say "SKIP: $*"
	exit 0
}
# a harness failure is a FAIL for every script that did not report
fail_rest() {
	local s n
	for s in "${SCRIPTS[@]}"; do
		n=$(name_of "$s")
		[ -s "$OUT/$n.rc" ] && continue
		echo "FAIL it:$n: $*" >>"$OUT/$n.out"
		echo 1 >"$OUT/$n.rc"
	done
	say "FAIL: $*"
}

native_sctp() {
	python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132)' 2>/dev/null
}

rm -f "$OUT"/*.out "$OUT"/*.rc
T0=$(now)
if [ "${TANDEM_VM:-}" != force ] && native_sctp; then
	say "this kernel has SCTP: running natively"
	for s in "${SCRIPTS[@]}"; do
		n=$(name_of "$s")
		timeout -k 10 "$TEST_T" bash "$s" >"$OUT/$n.out" 2>&1
		echo $? >"$OUT/$n.rc"
	done
	say "native run took $(secs "$T0" "$(now)") s"
	exit 0
fi
[ "${TANDEM_VM:-}" = never ] && skip_all "no kernel SCTP here and TANDEM_VM=never"

# ------------------------------------------------------------ what the VM needs
command -v qemu-system-x86_64 >/dev/null ||
	skip_all "no kernel SCTP and no qemu-system-x86_64 for a VM (Debian package qemu-system-x86)"
BUSYBOX=""
for b in /bin/busybox /usr/bin/busybox; do
	[ -x "$b" ] && ! LC_ALL=C ldd "$b" >/dev/null 2>&1 && BUSYBOX=$b && break
done
[ -n "$BUSYBOX" ] || skip_all "no kernel SCTP and no static busybox for the VM's initramfs (busybox-static)"
command -v cpio >/dev/null || skip_all "no kernel SCTP and no cpio to pack the VM's initramfs"

# A kernel usable as the guest's: SCTP, 9p over virtio and overlayfs, as
# modules or built in. $1 = a directory holding boot/ and lib/modules/.
kernel_ok() { # ROOT KV
	local cfg=$1/boot/config-$2 o
	[ -s "$1/boot/vmlinuz-$2" ] && [ -r "$1/boot/vmlinuz-$2" ] && [ -s "$cfg" ] || return 1
	[ -d "$1/lib/modules/$2" ] || return 1
	for o in IP_SCTP 9P_FS NET_9P_VIRTIO OVERLAY_FS VIRTIO_PCI; do
		grep -qE "^CONFIG_$o=[ym]" "$cfg" || return 1
	done
}
KROOT="" KV=""
# the machine's own installed kernels first
for v in /boot/vmlinuz-*; do
	[ -e "$v" ] || continue
	k=${v#/boot/vmlinuz-}
	if kernel_ok / "$k"; then KROOT=/ KV=$k && break; fi
done
# then a Debian kernel package unpacked in the cache (never installed)
if [ -z "$KV" ]; then
	for d in "$CACHE"/linux-*/boot/vmlinuz-*; do
		[ -e "$d" ] || continue
		r=${d%/boot/vmlinuz-*}
		k=${d##*/vmlinuz-}
		if kernel_ok "$r" "$k" && [ -s "$r/lib/modules/$k/modules.dep" ]; then KROOT=$r KV=$k && break; fi
	done
fi
if [ -z "$KV" ]; then
	[ "$(id -u)" = 0 ] || skip_all "no kernel SCTP, no /boot/vmlinuz-* with SCTP and 9p, and not root to fetch linux-image-amd64 into $CACHE"
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	[ -n "$pkg" ] || skip_all "no kernel SCTP, no /boot/vmlinuz-* with SCTP, and apt knows no linux-image-amd64"
	k=${pkg#linux-image-}
	say "fetching $pkg (unpacked into $CACHE, not installed)"
	mkdir -p "$CACHE/deb" && chmod 0777 "$CACHE/deb"
	deb=$(ls "$CACHE/deb/${pkg}_"*.deb 2>/dev/null | head -n1)
	if [ -z "$deb" ]; then
		(cd "$CACHE/deb" && timeout 300 apt-get download -q "$pkg" >&2) ||
			skip_all "no kernel SCTP, and apt-get download $pkg failed"
		deb=$(ls "$CACHE/deb/${pkg}_"*.deb 2>/dev/null | head -n1)
	fi
	r=$CACHE/linux-$k
	rm -rf "$r.tmp" "$r"
	dpkg-deb -x "$deb" "$r.tmp" || skip_all "dpkg-deb -x $deb failed"
	# module dependency lists: the package's postinst would make them
	"$BUSYBOX" depmod -b "$r.tmp" "$k" || skip_all "depmod for $k failed"
	mv "$r.tmp" "$r"
	kernel_ok "$r" "$k" || skip_all "$pkg lacks SCTP, 9p or overlayfs"
	KROOT=$r KV=$k
fi
MODS=$KROOT/lib/modules/$KV

# ------------------------------------------------------------ initramfs
# Modules loaded before the root is mounted, each after those it needs.
# crc32c_generic: SCTP's checksum needs a crc32c and TCG's CPU model has no
# SSE4.2 for the accelerated one.
WANT="virtio_pci virtio_rng 9pnet_virtio 9p overlay crc32c_generic sctp"
declare -A SEEN=()
ORDER=()
mod_file() {
	awk -F: -v m="$1" '{ n = $1; sub(/.*\//, "", n); sub(/\.ko.*$/, "", n); gsub(/-/, "_", n)
		if (n == m) { print $1; exit } }' "$MODS/modules.dep"
}
add_mod() {
	local p=$1 d
	[ -n "${SEEN[$p]:-}" ] && return
	SEEN[$p]=1
	for d in $(awk -F': *' -v p="$p" '$1 == p { print $2; exit }' "$MODS/modules.dep"); do add_mod "$d"; done
	ORDER+=("$p")
}
for m in $WANT; do
	p=$(mod_file "$m")
	if [ -z "$p" ]; then
		grep -q "/${m//_/[_-]}.ko" "$MODS/modules.builtin" 2>/dev/null && continue
		skip_all "kernel $KV has no module $m"
	fi
	add_mod "$p"
done
# the file name carries a digest of its contents: editing init rebuilds it
DIGEST=$( (cat "$HERE/guest-init.sh"; echo "$KROOT $KV ${ORDER[*]}") | md5sum | cut -c1-12)
INITRD=$CACHE/initrd-$KV-$DIGEST.cpio.gz
if [ ! -s "$INITRD" ]; then
	mkdir -p "$CACHE" || skip_all "cannot create $CACHE"
	T=$(mktemp -d) || exit 1
	mkdir -p "$T/bin" "$T/dev" "$T/proc" "$T/sys" "$T/mods"
	cp "$BUSYBOX" "$T/bin/busybox"
	cp "$HERE/guest-init.sh" "$T/init"
	chmod 0755 "$T/init"
	for p in "${ORDER[@]}"; do
		cp "$MODS/$p" "$T/mods/"
		basename "$p" >>"$T/mods/order"
	done
	(cd "$T" && find . | cpio -o -H newc --quiet | gzip -1) >"$INITRD.tmp" && mv "$INITRD.tmp" "$INITRD"
	rm -rf "$T"
	[ -s "$INITRD" ] || skip_all "could not build the initramfs in $CACHE"
fi

# ------------------------------------------------------------ boot
RUN=$(mktemp -d /tmp/tandem-vm.XXXXXX) || exit 1
QPID=""
stop_vm() {
	if [ -n "$QPID" ] && kill -0 "$QPID" 2>/dev/null; then
		kill -TERM "$QPID" 2>/dev/null
		for _ in $(seq 1 30); do kill -0 "$QPID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$QPID" 2>/dev/null
		wait "$QPID" 2>/dev/null
	fi
	QPID=""
}
finish() {
	stop_vm
	if [ -n "${TANDEM_VM_KEEP:-}" ]; then say "kept $RUN"; else rm -rf "$RUN"; fi
}
trap finish EXIT
trap 'exit 130' INT TERM

# what the guest reads: the scripts, where the tree is, the time limits
{
	printf 'TANDEM_TOP=%q\nTANDEM_BUILD=%q\nVM_TEST_TIMEOUT=%q\nVM_MODDIR=%q\n' \
		"$TOP" "$BUILD" "$TEST_T" "$MODS"
	printf 'VM_SCRIPTS=(%s)\n' "$(printf '%q ' "${SCRIPTS[@]}")"
	printf 'VM_GUEST=%q\n' "$HERE/guest-run.sh"
	# the scripts' own size knobs (m3ua_osmo_calls.sh: CALLS_*)
	for v in $(compgen -v | grep -E '^CALLS_[A-Z0-9_]+$'); do printf 'export %s=%q\n' "$v" "${!v}"; done
} >"$RUN/env"
mkdir -p "$RUN/out"

QARGS=(-accel tcg -machine pc -cpu qemu64 -m "$MEM" -smp "$CPUS"
	-nodefaults -no-user-config -display none -no-reboot
	-serial "file:$RUN/console.log"
	-kernel "$KROOT/boot/vmlinuz-$KV" -initrd "$INITRD"
	-append "console=ttyS0 quiet loglevel=3 panic=-1 mitigations=off"
	-device virtio-rng-pci
	-fsdev local,id=root9p,path=/,security_model=none,readonly=on,multidevs=remap
	-device virtio-9p-pci,fsdev=root9p,mount_tag=hostroot
	-fsdev "local,id=run9p,path=$RUN,security_model=none,multidevs=remap"
	-device virtio-9p-pci,fsdev=run9p,mount_tag=vmrun)

say "booting $KV under QEMU/TCG (${MEM} MiB, $CPUS CPUs) for ${#SCRIPTS[@]} script(s)"
qemu-system-x86_64 "${QARGS[@]}" >"$RUN/qemu.log" 2>&1 &
QPID=$!

# 1. the guest reaches its runner (it writes 'started') within BOOT_T
booted=""
for _ in $(seq 1 $((BOOT_T * 5))); do
	[ -e "$RUN/out/started" ] && booted=1 && break
	kill -0 "$QPID" 2>/dev/null || break
	sleep 0.2
done
TB=$(now)
if [ -z "$booted" ]; then
	if kill -0 "$QPID" 2>/dev/null; then why="the VM did not start the tests within ${BOOT_T}s"; else why="QEMU ended before the tests started"; fi
	say "$why; QEMU said:"
	tail -n 5 "$RUN/qemu.log" >&2
	say "guest console (tail):"
	tail -n 25 "$RUN/console.log" >&2
	fail_rest "$why (see the console tail on stderr)"
	exit 1
fi
say "guest up after $(secs "$T0" "$TB") s (boot: $(cat "$RUN/out/started"))"

# 2. each script within TEST_T (the guest's own timeout kills it first;
# this is the backstop), the whole run within n * (TEST_T + 30)
LIMIT=$((${#SCRIPTS[@]} * (TEST_T + 30)))
for _ in $(seq 1 $((LIMIT * 5))); do
	kill -0 "$QPID" 2>/dev/null || break
	[ -e "$RUN/out/done" ] && break
	sleep 0.2
done
[ -e "$RUN/out/done" ] && for _ in $(seq 1 50); do kill -0 "$QPID" 2>/dev/null || break; sleep 0.2; done
timed_out=""
kill -0 "$QPID" 2>/dev/null && [ ! -e "$RUN/out/done" ] && timed_out=1
stop_vm
for s in "${SCRIPTS[@]}"; do
	n=$(name_of "$s")
	[ -e "$RUN/out/$n.out" ] && cp "$RUN/out/$n.out" "$OUT/$n.out"
	[ -s "$RUN/out/$n.rc" ] && cp "$RUN/out/$n.rc" "$OUT/$n.rc"
	[ -s "$RUN/out/$n.time" ] && say "$n: $(cat "$RUN/out/$n.time") s in the guest, rc $(cat "$OUT/$n.rc" 2>/dev/null || echo ?)"
done
# what failing scripts kept in the guest: beside the host's own
if [ -d "$RUN/out/it-failed" ]; then
	mkdir -p "$BUILD/it-failed" && cp -a "$RUN/out/it-failed/." "$BUILD/it-failed/" &&
		say "files of failed checks: $(cd "$RUN/out/it-failed" && ls | sed "s|^|$BUILD/it-failed/|" | tr '\n' ' ')"
fi
if [ -n "$timed_out" ]; then
	fail_rest "the VM ran past ${LIMIT}s; stopped"
	exit 1
fi
[ -e "$RUN/out/done" ] || {
	tail -n 25 "$RUN/console.log" >&2
	fail_rest "the guest stopped before finishing (console tail on stderr)"
	exit 1
}
say "VM part took $(secs "$T0" "$(now)") s (boot $(secs "$T0" "$TB") s)"
exit 0
