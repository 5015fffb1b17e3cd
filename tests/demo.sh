#!/bin/bash
# make demo: the gateway's main job, shown. Today: tandemd starts on
# etc/tandem.cfg, answers its VTY, and stops cleanly. (The full ISUP <-> SIP
# call joins this script when the interworking layer lands.)
source "$(dirname "$0")/lib.sh"
PORT=4270
if (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null; then
	echo "demo: something already listens on 127.0.0.1:$PORT (a tandemd from 'make run'?)"
	exit 1
fi
echo "== starting tandemd -c etc/tandem.cfg"
start_bg "$TMPD/tandemd.log" "$BUILD/tandemd" -c "$TOP/etc/tandem.cfg"
pid=$BG_PID
wait_tcp $PORT 50 || { echo "tandemd did not start:"; cat "$TMPD/tandemd.log"; exit 1; }
for c in "show version" "show uptime" "show loop" "show stats"; do
	echo
	echo "== VTY: $c"
	vty $PORT "$c"
done
echo
echo "== stopping tandemd (SIGTERM)"
kill -TERM "$pid"
for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
wait "$pid"
echo "tandemd exited with status $?"
echo
echo "== tandemd log"
cat "$TMPD/tandemd.log"
