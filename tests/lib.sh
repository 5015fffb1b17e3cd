# Shared helpers for integration scripts and the demo (bash).
# Every process started through start_bg is killed by PID on exit.

TOP=${TANDEM_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BUILD=${TANDEM_BUILD:-$TOP/build}
# The daemon under test: tests/check.sh points this at build/tandemd-san for a
# second run of the call suites under ASan+UBSan.
TANDEMD=${TANDEM_TANDEMD:-$BUILD/tandemd}
PIDS=()
TMPD=$(mktemp -d /tmp/tandem-it.XXXXXX)

cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 1 20); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		# a wrapper (timeout CMD) killed hard leaves its child: that goes too
		kill -0 "$p" 2>/dev/null && pkill -KILL -P "$p" 2>/dev/null
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	# under make check's sanitizer runs: a report the daemon wrote to its
	# own log (UBSan writes to stderr whatever log_path says) fails the script
	if [ -n "${TANDEM_SAN_SCAN:-}" ] &&
		grep -rqE 'runtime error:|ERROR: (AddressSanitizer|LeakSanitizer)' "$TMPD" 2>/dev/null; then
		echo "FAIL it:$(basename "$0" .sh): sanitizer report in a log of this test:"
		grep -rhE 'runtime error:|ERROR: (AddressSanitizer|LeakSanitizer)' "$TMPD" | head -5
		FAILED=1
	fi
	[ -n "${TANDEM_KEEP:-}" ] && echo "kept $TMPD" || rm -rf "$TMPD"
}
trap cleanup EXIT

# start_bg LOGFILE CMD... : start in the background, remember the PID in $BG_PID
start_bg() {
	local log=$1
	shift
	"$@" >"$log" 2>&1 &
	BG_PID=$!
	PIDS+=("$BG_PID")
}

# wait_tcp PORT [TENTHS]: until something listens on 127.0.0.1:PORT
wait_tcp() {
	local port=$1 n=${2:-50}
	for _ in $(seq 1 "$n"); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# wait_udp PORT [TENTHS]: until a UDP socket is bound to PORT (a peer
# started in the background is ready to receive)
wait_udp() {
	local port=$1 n=${2:-50} hex
	hex=$(printf ':%04X ' "$port")
	for _ in $(seq 1 "$n"); do
		# local_address column of this namespace's UDP sockets
		awk -v h="$hex" 'NR > 1 && index($2 " ", h) { f = 1 } END { exit !f }' \
			/proc/net/udp /proc/net/udp6 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# wait_ev FILE PATTERN [TENTHS] [N]: until the Nth line matching the
# extended regexp PATTERN shows in FILE (a peer's output, a log)
wait_ev() {
	local f=$1 pat=$2 n=${3:-100} k=${4:-1}
	for _ in $(seq 1 "$n"); do
		[ "$(grep -cE "$pat" "$f" 2>/dev/null)" -ge "$k" ] && return 0
		sleep 0.1
	done
	return 1
}

# vty PORT "cmd1" "cmd2" ...: run commands on tandemd's telnet VTY (waiting
# for each prompt, as a person would), print the answers
vty() {
	local port=$1
	shift
	"$BUILD/tandem-tool" vty --port "$port" "$@"
}

# stat_col FILE NAME: the last row's value of the column NAME in a sipp
# stat file (-trace_stat -stf FILE), 0 when absent
stat_col() {
	awk -F';' -v n="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == n) c = i; next }
		{ v = $c } END { print v + 0 }' "$1"
}

pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; FAILED=1; }
skip() { echo "SKIP $*"; }
check() { # check NAME CONDITION-COMMAND...
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}
