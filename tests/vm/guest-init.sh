#!/bin/busybox sh
# /init of the tandem test VM's initramfs (built by tests/vm/sctp-tests.sh).
# Loads the modules listed in /mods/order, lays a RAM layer (tmpfs) over the
# host's root filesystem shared read-only over virtio-9p, mounts the run
# directory (vmrun: read-write, where results go) and hands over to
# tests/vm/guest-run.sh inside that root. Any failure powers the VM off;
# the host sees no 'started' file and reports it.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc none /proc
mount -t sysfs none /sys
mount -t devtmpfs none /dev
give_up() {
	echo "tandem-vm init: $*" >/dev/console
	echo o >/proc/sysrq-trigger
	sleep 60
}
for m in $(cat /mods/order); do
	insmod "/mods/$m" || echo "tandem-vm init: insmod $m failed" >/dev/console
done
P9="trans=virtio,version=9p2000.L,msize=262144"
mkdir -p /host /ram /root
mount -t 9p -o "$P9,ro,cache=loose" hostroot /host || give_up "9p mount of the host root failed"
mount -t tmpfs -o mode=0755 ram /ram
mkdir -p /ram/upper /ram/work
mount -t overlay -o lowerdir=/host,upperdir=/ram/upper,workdir=/ram/work root /root ||
	give_up "overlay failed"
R=/root
mount -t proc proc $R/proc
mount -t sysfs sysfs $R/sys
mount -t devtmpfs devtmpfs $R/dev
mkdir -p $R/dev/pts $R/dev/shm $R/run $R/tmp
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts $R/dev/pts
mount -t tmpfs -o mode=1777 shm $R/dev/shm
mount -t tmpfs -o mode=0755 run $R/run
# /tmp stays the overlay's (writes land in the RAM layer): a tmpfs over it
# would hide a tree checked out under the host's /tmp, and the scripts with it
mkdir -p $R/run/vm
mount -t 9p -o "$P9,cache=none" vmrun $R/run/vm || give_up "9p mount of the run directory failed"
hostname tandem-vm
exec switch_root $R /bin/bash -c '. /run/vm/env && exec /bin/bash "$VM_GUEST"'
