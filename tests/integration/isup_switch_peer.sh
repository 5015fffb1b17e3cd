#!/bin/bash
# The ISUP peer switch (libss7 behind its own MTP2 shim and M3UA SG) checked
# by a small M3UA ASP in Python: hand-built IAM/REL/GRS/GRA in DATA, the
# switch's own IAM/REL/GRS, ASPUP/ASPAC/BEAT, for ITU and for ANSI. Also: a
# script whose expect is not met exits 1, and --timeout exits 3. And the
# link stays up: an ANSI switch alone keeps its MTP2 link in service past
# MTP2 T2 (11.5 s), which a timer leaked at start used to end.
source "$(dirname "$0")/../lib.sh"
SW=$BUILD/peers/isup-switch
PROBE=$TOP/tests/peers/isup-switch/asp_probe.py
if [ ! -x "$SW" ]; then
	skip "it:isup-switch (build/peers/isup-switch not built: make peers)"
	exit 0
fi
if ! command -v python3 >/dev/null; then
	skip "it:isup-switch (no python3)"
	exit 0
fi
# in the background while the probes run (port 25724 is not listened to by anyone)
printf 'sleep 13000\n' >"$TMPD/s3"
start_bg "$TMPD/s3.out" timeout 25 "$SW" --listen 127.0.0.1:25724 --variant ansi --opc 1-2-3 \
	--dpc 1-2-4 --script "$TMPD/s3" --timeout 20
steady_pid=$BG_PID

port=25720
for v in itu ansi; do
	# the probe starts the switch itself and stops it by PID; timeout bounds it
	timeout 90 python3 "$PROBE" --switch "$SW" --port $port --variant $v >"$TMPD/$v.out" 2>&1
	rc=$?
	sed 's/^/  /' "$TMPD/$v.out"
	check "it:isup-switch-$v (probe exit $rc)" test "$rc" = 0 -a "$(grep -c '^PASS' "$TMPD/$v.out")" -ge 16
	port=$((port + 1))
done

# an expect that is never met: exit 1, and an ERR line says which
printf 'expect IAM 3 1\n' >"$TMPD/s1"
timeout 20 "$SW" --listen 127.0.0.1:$port --variant itu --opc 1 --dpc 2 --script "$TMPD/s1" \
	--timeout 10 >"$TMPD/s1.out" 2>&1
rc=$?
check "it:isup-switch-expect-fails (exit $rc)" test "$rc" = 1 -a -n "$(grep '^ERR expect IAM 3 1' "$TMPD/s1.out")"
port=$((port + 1))

# --timeout bounds the run: exit 3
printf 'sleep 5000\n' >"$TMPD/s2"
timeout 20 "$SW" --listen 127.0.0.1:$port --variant ansi --opc 1-2-3 --dpc 1-2-4 --script "$TMPD/s2" \
	--timeout 1 >"$TMPD/s2.out" 2>&1
rc=$?
check "it:isup-switch-timeout (exit $rc)" test "$rc" = 3

wait "$steady_pid"
rc=$?
sed 's/^/  /' "$TMPD/s3.out"
check "it:isup-switch-link-steady (exit $rc)" test "$rc" = 0 \
	-a "$(grep -c '^EV MTP2_UP' "$TMPD/s3.out")" = 1 -a "$(grep -c '^EV LINK_UP' "$TMPD/s3.out")" = 1 \
	-a "$(grep -cE '^EV (LINK|MTP2)_DOWN' "$TMPD/s3.out")" = 0
exit ${FAILED:-0}
