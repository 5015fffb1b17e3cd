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
	# their grace: 5 s of wall clock from the TERM for all of them together
	# (a daemon under ASan writes its leak report on the way out), not a
	# count of turns, which a loaded machine stretches without bound
	[ ${#PIDS[@]} -gt 0 ] && until_tenths 50 _all_gone "${PIDS[@]}"
	for p in "${PIDS[@]}"; do
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
	if [ -n "${TANDEM_KEEP:-}" ]; then
		echo "kept $TMPD"
	elif [ "${FAILED:-0}" != 0 ]; then
		_keep_failed
	else
		rm -rf "$TMPD"
	fi
}
# A script with a FAIL keeps what it saw (logs, traces, the peers' output)
# under build/it-failed/ and prints the daemon's last log lines: a failure
# in a clean-clone or loaded run can then be read, not only counted.
_keep_failed() {
	local dst=${TANDEM_FAILED_DIR:-$BUILD/it-failed}/$(basename "$0" .sh)-$(date +%H%M%S)-$$
	if mkdir -p "$dst" 2>/dev/null && cp -a "$TMPD/." "$dst/" 2>/dev/null; then
		rm -rf "$TMPD"
	else
		dst=$TMPD
	fi
	echo "   (a check failed: its files are kept in $dst)"
	[ -s "$dst/td.log" ] && tail -n 30 "$dst/td.log" | sed 's/^/   td.log| /'
	return 0
}
trap cleanup EXIT

_all_gone() { # PID...: none of them is alive any more
	local p
	for p; do kill -0 "$p" 2>/dev/null && return 1; done
	return 0
}

# start_bg LOGFILE CMD... : start in the background, remember the PID in $BG_PID
start_bg() {
	local log=$1
	shift
	"$@" >"$log" 2>&1 &
	BG_PID=$!
	PIDS+=("$BG_PID")
	_sipp_uas_listens "$@"
}
# A sipp UAS (scenario uas*, or -sn uas; or the sip-ua peer with --uas and
# --listen udp:ADDR:PORT) is waited for until its port is open: tandem fails a request at the second ICMP port unreachable (its
# retransmission, T1 later), and a loaded machine took longer than that to
# start sipp before a call was sent to it. So is an RTP peer (rtp-peer
# --local ADDR:PORT, run in this namespace: the command itself, or under
# nice/timeout): what tandem sends it before it binds is lost (media_200
# counted a span's first packets as missing).
_sipp_uas_listens() {
	local a prev='' port='' uas='' sipp='' tcp=''
	for a; do
		case "$a" in sipp | */sipp) sipp=1 ;; esac
		case "$prev" in
		-p) port=$a ;;
		-sf) case "${a##*/}" in uas*) uas=1 ;; esac ;;
		-sn) case "$a" in uas*) uas=1 ;; esac ;;
		-t) case "$a" in t* | l*) tcp=1 ;; esac ;;
		--listen) case "$a" in udp:*) port=${a##*:} ;; *) tcp=1 ;; esac ;;
		esac
		case "$a" in */sip-ua) sipp=1 ;; --uas) uas=1 ;; esac
		prev=$a
	done
	_rtp_peer_listens "$@"
	# (over TCP and TLS a connection refused fails at once anyway)
	[ -n "$sipp" ] && [ -n "$uas" ] && [ -n "$port" ] && [ -z "$tcp" ] || return 0
	wait_udp "$port"
	return 0
}

_rtp_peer_listens() {
	local a prev='' port=''
	# the command word, past the wrappers that run it here
	while :; do
		case "${1:-}" in
		nice | timeout | taskset) shift ;;
		-n | -c) shift 2 || return 0 ;;
		-* | [0-9]*) shift ;;
		*) break ;;
		esac
	done
	case "${1:-}" in */rtp-peer) ;; *) return 0 ;; esac
	for a; do
		[ "$prev" = --local ] && port=${a##*:}
		prev=$a
	done
	[ -n "$port" ] && wait_udp "$port"
	return 0
}

# pcap_udp_ready PCAP PORT, pcap_tcp_ready PCAP PORT: the capture writing
# PCAP (filter: udp or tcp port PORT) records packets. tshark says
# "Capturing on" before dumpcap's capture runs: in a loaded run a whole call
# 0.75 s after that line was not in the file (1.5 s between the two seen
# here at load 6). A datagram to 127.0.0.1:PORT, or a connection attempt
# (nothing may listen there yet: it is refused), goes every 0.1 s until one
# is in the file (10 s at most).
pcap_udp_ready() {
	until_tenths 100 _pcap_probe "$1" udp "$2"
}
pcap_tcp_ready() {
	until_tenths 100 _pcap_probe "$1" tcp "$2"
}
_pcap_probe() {
	if [ "$2" = udp ]; then
		echo tandem-capture-probe >"/dev/udp/127.0.0.1/$3"
	else
		: <>"/dev/tcp/127.0.0.1/$3"
	fi 2>/dev/null
	tshark -r "$1" -c 1 2>/dev/null | grep -q .
}

# ports BASE NAME...: the variables NAME... get the ports BASE, BASE+1, ...
# in that order (a script's ports listed once, no number written twice)
ports() {
	local p=$1 n
	shift
	for n; do
		printf -v "$n" %d "$p"
		p=$((p + 1))
	done
}

# PEER_LIFE: the --timeout (seconds) of a peer that serves a whole script
# (a switch, a UAS): as long as the script itself may run (tests/check.sh
# stops a script after 600 s). A shorter life, under load, ended the peer
# before the script's last checks; the bound stays, and cleanup (or
# stop_bg) stops the peer by PID well before it.
PEER_LIFE=${TANDEM_PEER_LIFE:-600}

# stop_bg PID: stop one process start_bg started, before the script ends
# (TERM, at most 5 s of grace, then KILL; its child too when it is a
# wrapper such as timeout CMD)
stop_bg() {
	kill -TERM "$1" 2>/dev/null
	until_tenths 50 _all_gone "$1"
	kill -0 "$1" 2>/dev/null && { pkill -KILL -P "$1" 2>/dev/null; kill -KILL "$1" 2>/dev/null; }
	wait "$1" 2>/dev/null
	return 0
}

# now_us: wall-clock microseconds (bash 5's EPOCHREALTIME; its decimal
# separator follows the locale)
now_us() {
	local t=$EPOCHREALTIME
	echo "${t/[.,]/}"
}

# until_tenths TENTHS CMD...: until CMD succeeds, every 0.1 s, for at most
# TENTHS/10 s of wall clock. The bound is time, not turns of the loop: on a
# loaded machine a turn (a fork, a grep) can take far longer than its 0.1 s
# sleep, and a count of turns stretched a 5 s wait to a minute. CMD runs
# once more at (or after) the deadline, so an event just before it counts.
# TANDEM_WAIT_LOG=FILE appends "caller bound_ms elapsed_ms ok|timeout" per
# wait, to see which waits come close to their bound.
until_tenths() {
	local t0 end now rc=1
	t0=$(now_us)
	end=$((t0 + $1 * 100000))
	shift
	while :; do
		now=$(now_us)
		"$@" && { rc=0; break; }
		[ "$now" -ge "$end" ] && break
		sleep 0.1
	done
	[ -n "${TANDEM_WAIT_LOG:-}" ] && _wait_log "$t0" "$end" $rc
	return $rc
}

_wait_log() { # T0 END RC: the caller is the first frame outside this file
	local i=1
	while [ "${BASH_SOURCE[i]}" = "${BASH_SOURCE[0]}" ]; do i=$((i + 1)); done
	echo "${BASH_SOURCE[i]##*/}:${BASH_LINENO[i - 1]} $((($2 - $1) / 1000)) $((($(now_us) - $1) / 1000)) $([ "$3" = 0 ] && echo ok || echo timeout)" >>"$TANDEM_WAIT_LOG"
}

# wait_tcp / wait_udp PORT [TENTHS]: until something listens on PORT. A
# start waited for is given at least START_TENTHS (30 s): a wait that
# succeeds returns as soon as the port is open, so the floor costs nothing
# on a fast machine, and on one as loaded as make check's can be, a peer's
# start (python3, tshark, a daemon under ASan) took more than the 5 s that
# callers ask for. Only a start that failed waits that long.
START_TENTHS=${START_TENTHS:-300}
_start_bound() {
	local t=${1:-50}
	[ "$t" -lt "$START_TENTHS" ] && t=$START_TENTHS
	echo "$t"
}
wait_tcp() {
	until_tenths "$(_start_bound "${2:-}")" _tcp_open "$1"
}
_tcp_open() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# wait_listen [ADDR:]PORT...: a TCP socket of this namespace listens on
# every PORT (on IPv4 ADDR when given), seen without connecting (a probe
# through a TLS proxy would reach what is behind it)
wait_listen() {
	until_tenths "$START_TENTHS" _tcp_all_listen "$@"
}
_tcp_all_listen() {
	local p h a b c d
	for p; do
		if [[ $p == *:* ]]; then
			IFS=. read -r a b c d <<<"${p%:*}"
			h=$(printf '%02X%02X%02X%02X:%04X ' "$d" "$c" "$b" "$a" "${p##*:}")
		else
			h=$(printf ':%04X ' "$p")
		fi
		awk -v h="$h" 'NR > 1 && $4 == "0A" && index($2 " ", h) { f = 1 }
			END { exit !f }' /proc/net/tcp /proc/net/tcp6 2>/dev/null || return 1
	done
}

# (wait_tcp: something accepts on 127.0.0.1:PORT; wait_udp: a UDP socket
# of this namespace is bound to PORT)
wait_udp() {
	until_tenths "$(_start_bound "${2:-}")" _udp_bound "$(printf ':%04X ' "$1")"
}
_udp_bound() {
	# local_address column of this namespace's UDP sockets
	awk -v h="$1" 'NR > 1 && index($2 " ", h) { f = 1 } END { exit !f }' \
		/proc/net/udp /proc/net/udp6 2>/dev/null
}

# wait_udp_free PORT...: no UDP socket of this namespace is bound to any
# PORT any more. A SIGKILLed tandemd's sockets that io_uring still holds
# close only when the kernel's ring teardown has run, which a loaded
# machine delays: a daemon started again at once found its port in use.
wait_udp_free() {
	until_tenths 300 _udp_all_free "$@"
}
_udp_all_free() {
	local p
	for p; do
		! _udp_bound "$(printf ':%04X ' "$p")" || return 1
	done
}

# wait_ev FILE PATTERN [TENTHS] [N]: until the Nth line matching the
# extended regexp PATTERN shows in FILE (a peer's output, a log)
wait_ev() {
	until_tenths "${3:-100}" _ev_seen "$1" "$2" "${4:-1}"
}
_ev_seen() {
	[ "$(grep -cE "$2" "$1" 2>/dev/null)" -ge "$3" ]
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

# --- the set-up most ISUP <-> SIP scripts share: tandemd between the
# libss7 switch (tests/peers/isup-switch, on M3UA) and SIP peers. The
# script sets VTY and M3UA (ports) first.

# gw_cfg_head LEVEL [print-level]: the head of such a tandemd
# configuration (stdout): log to stderr at LEVEL (print-level: each line
# with its level), the VTY on $VTY, one ASP toward the switch on
# $M3UA over TCP, linkset sw1 (ITU, point codes 2 -> 1, CICs 1-31 on span
# 0 timeslots 1-31); the script adds its sip, routing and media sections
gw_cfg_head() {
	cat <<CFG
log stderr
 logging filter all 1
 logging print category 1
CFG
	[ "${2:-}" = print-level ] && echo " logging print level 1"
	cat <<CFG
 logging level set-all $1
line vty
 bind 127.0.0.1 $VTY
sigtran
 asp sg1
  remote 127.0.0.1 $M3UA
  transport tcp
isup
 linkset sw1
  asp sg1
  variant itu
  point-code local 2 remote 1
  cic 1 31 span 0 timeslot 1
CFG
}

# switch_start [ARG...]: that switch (ITU, point codes 1 -> 2, CICs 1-31)
# listening on $M3UA, living $PEER_LIFE at most, with ARG... (such as
# --auto-answer); its events in $out ($TMPD/sw.out), its commands read
# from the FIFO $TMPD/sw.in, held open on fd 3 (sw CMD writes one); its
# PID in SW_PID
switch_start() {
	out=$TMPD/sw.out
	mkfifo "$TMPD/sw.in"
	start_bg "$out" "$BUILD/peers/isup-switch" --listen "127.0.0.1:$M3UA" --variant itu --opc 1 \
		--dpc 2 --cics 1-31 --timeout "$PEER_LIFE" "$@" --script "$TMPD/sw.in"
	SW_PID=$BG_PID
	exec 3>"$TMPD/sw.in"
}
# sw CMD: a command to the switch on fd 3; sw_to FD CMD: on FD. A switch
# gone (its --timeout ran out, or it died) is a FAIL by name: before, the
# write's SIGPIPE killed the script (exit 141, no FAIL line: loaded run 39,
# sip_trunk_dns past its switch's 160 s)
sw_to() {
	local fd=$1
	shift
	(echo "$*" >&"$fd") 2>/dev/null ||
		fail "it:peer-command-not-delivered ('$*' on fd $fd: the switch or PBX reading it has exited)"
}
sw() { sw_to 3 "$@"; }
# on_iam NUMBER: the switch's next commands wait for the IAM of a call to
# NUMBER, and `last` in them is that call's CIC: the switch acts the moment
# the IAM comes, not after this script has seen it (a loaded machine's
# script was 20 s late once). Said before the call starts; 30 s at most,
# then the switch's script stops (every later step fails)
on_iam() { sw "expect IAM - 30 called=$1"; }
# answer_on_iam NUMBER: ... and it rings (ACM) and answers (ANM) it
answer_on_iam() {
	on_iam "$1"
	sw "ring last"
	sw "answer last"
}

# tandemd_start TAG [BINARY]: tandemd (BINARY, default $TANDEMD) on
# $TMPD/t.cfg, its log $TMPD/td.log, its PID in td; when its VTY does not
# open, FAIL it:TAG:tandemd-start with the log, and the script ends
tandemd_start() {
	start_bg "$TMPD/td.log" "${2:-$TANDEMD}" -c "$TMPD/t.cfg"
	td=$BG_PID
	wait_tcp "$VTY" 50 || { fail "it:$1:tandemd-start"; cat "$TMPD/td.log"; exit 1; }
}

# switch_link_up TAG: the switch brings the link up and resets the
# circuits; FAIL it:TAG:link-up when the GRS of CIC 1 does not come
switch_link_up() {
	sw "wait-link 10"
	wait_ev "$out" "EV GRS cic=1( |$)" 100 || fail "it:$1:link-up"
	sleep 0.5
}

# baresip_find TAG: BARESIP (the binary) and MODS (its module directory)
# for a test that drives baresip as a phone; prints SKIP for TAG and fails
# when baresip or one of the modules the phone needs is missing.
baresip_find() {
	BARESIP=$(command -v baresip)
	[ -n "$BARESIP" ] || { skip "$1 baresip (package baresip-core) is not installed"; return 1; }
	MODS=$(dirname "$(dpkg -L baresip-core 2>/dev/null | grep '/g711\.so$' | head -1)")
	local m
	for m in g711 aufile aubridge sndfile account menu; do
		[ -f "$MODS/$m.so" ] || { skip "$1 baresip module $m.so not found (in '$MODS')"; return 1; }
	done
	command -v python3 >/dev/null || { skip "$1 python3 needed to measure the recording"; return 1; }
}

# tone_wav FILE DBM0: 60 s of 1004 Hz at DBM0 as an 8 kHz 16-bit WAV (a
# sine of peak 22794 is 0 dBm0, the e1-emu's scale), a phone's source
tone_wav() {
	python3 - "$1" "$2" <<'PY'
import math, struct, sys, wave
w = wave.open(sys.argv[1], "wb")
w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
a = 22794 * 10 ** (float(sys.argv[2]) / 20)
w.writeframes(b"".join(struct.pack("<h", int(round(a * math.sin(2 * math.pi * 1004 * i / 8000))))
                       for i in range(8000 * 60)))
w.close()
PY
}

# baresip_cfg DIR PORT AOR-USER RTP-PORTS WAV: a baresip config dir DIR for
# a phone on 127.0.0.1:PORT that answers on its own, plays WAV and records
# what it decodes into DIR/rec (baresip_find first)
baresip_cfg() {
	mkdir -p "$1/rec"
	cat >"$1/config" <<CFG
poll_method		epoll
sip_listen		127.0.0.1:$2
net_interface		127.0.0.1
audio_player		aubridge,nil
audio_source		aufile,$5
audio_alert		aubridge,nil
rtp_ports		$4
module_path		$MODS
module			g711.so
module			aufile.so
module			aubridge.so
module			sndfile.so
module_app		account.so
module_app		menu.so
snd_path		$1/rec
CFG
	echo "<sip:$3@127.0.0.1:$2>;answermode=auto;regint=0" >"$1/accounts"
	: >"$1/contacts"
}

# kam_modules MOD...: a Kamailio configuration's module path ($KMOD, or
# Debian's) and a loadmodule line for each MOD (stdout)
kam_modules() {
	local m
	echo "mpath=\"${KMOD:-/usr/lib/x86_64-linux-gnu/kamailio/modules}/\""
	for m; do echo "loadmodule \"$m.so\""; done
}

# kam_route_dialog [XLOG]: the part of a Kamailio request_route that
# every proxy of these tests has (stdout): in-dialog requests follow their
# Route set (XLOG, a Kamailio statement, runs first: a log line), an ACK
# or CANCEL only with its transaction, another in-dialog request 404;
# then anything but an INVITE gets 405
kam_route_dialog() {
	cat <<'KCFG'
	if (has_totag()) {
		if (loose_route()) {
KCFG
	[ -n "${1:-}" ] && printf '\t\t\t%s\n' "$1"
	cat <<'KCFG'
			t_relay();
			exit;
		}
		if (is_method("ACK")) {
			if (t_check_trans())
				t_relay();
			exit;
		}
		sl_send_reply("404", "Not here");
		exit;
	}
	if (is_method("CANCEL")) {
		if (t_check_trans())
			t_relay();
		exit;
	}
	t_check_trans();
	if (!is_method("INVITE")) {
		sl_send_reply("405", "Method Not Allowed");
		exit;
	}
KCFG
}

# kam_dispatcher_cfg CFG PORT OPTS DEST...: a Kamailio configuration CFG
# (and its destination list CFG.list) for the proxy a carrier puts in front
# of several gateways: on udp 127.0.0.1:PORT, INVITEs round robin over
# DEST... (sip URIs, set 1), OPTIONS to each every second, a destination
# down after one unanswered or refused probe and up after one answered.
# OPTS, comma-separated (or "-"): fr=MS, the INVITE's final-response
# timeout (default 2000); failover, an INVITE that times out or gets 503
# goes to the next destination; ctl=SOCKET, kamcmd's binrpc unix socket.
# Its log lines (stderr): "DISPATCH <Call-ID> to <uri>", "FAILOVER
# <Call-ID> from <uri>", "DSTATE down|up <uri> (<method> <dst>)".
# Start it as: "$KAM" -DD -E -f CFG (KAM, KMOD: the binary, its modules).
kam_dispatcher_cfg() {
	local cfg=$1 port=$2 opts=$3 fr=2000 failover="" ctl="" o d
	shift 3
	for o in ${opts//,/ }; do
		case $o in
		fr=*) fr=${o#fr=} ;;
		failover) failover=1 ;;
		ctl=*) ctl=${o#ctl=} ;;
		-) ;;
		*) echo "kam_dispatcher_cfg: unknown option $o" >&2; return 1 ;;
		esac
	done
	for d in "$@"; do echo "1 $d"; done >"$cfg.list"
	{
		cat <<KCFG
#!KAMAILIO
debug=1
log_stderror=yes
children=1
auto_aliases=no
listen=udp:127.0.0.1:$port
KCFG
		kam_modules tm sl rr maxfwd pv siputils textops xlog dispatcher
		cat <<KCFG
modparam("tm", "fr_timer", $fr)
modparam("dispatcher", "list_file", "$cfg.list")
modparam("dispatcher", "flags", 2)
modparam("dispatcher", "ds_ping_interval", 1)
modparam("dispatcher", "ds_probing_mode", 1)
modparam("dispatcher", "ds_probing_threshold", 1)
modparam("dispatcher", "ds_inactive_threshold", 1)
modparam("dispatcher", "ds_ping_reply_codes", "class=2")
modparam("dispatcher", "ds_ping_from", "sip:proxy@127.0.0.1:$port")
KCFG
		[ -n "$ctl" ] && printf 'loadmodule "ctl.so"\nmodparam("ctl", "binrpc", "unix:%s")\n' "$ctl"
		cat <<'KCFG'

request_route {
	if (!mf_process_maxfwd_header("10")) {
		sl_send_reply("483", "Too Many Hops");
		exit;
	}
KCFG
		kam_route_dialog
		cat <<'KCFG'
	record_route();
	if (!ds_select_dst("1", "4")) {
		sl_send_reply("503", "No destination");
		exit;
	}
	xlog("L_NOTICE", "DISPATCH $ci to $du\n");
KCFG
		[ -n "$failover" ] && printf '\tt_on_failure("NEXT");\n'
		cat <<'KCFG'
	if (!t_relay())
		sl_reply_error();
}

event_route[dispatcher:dst-down] {
	xlog("L_NOTICE", "DSTATE down $ru ($rm $du)\n");
}
event_route[dispatcher:dst-up] {
	xlog("L_NOTICE", "DSTATE up $ru ($rm $du)\n");
}
KCFG
		[ -n "$failover" ] && cat <<'KCFG'

failure_route[NEXT] {
	if (t_is_canceled())
		exit;
	if (t_check_status("503") || (t_branch_timeout() && !t_branch_replied())) {
		xlog("L_NOTICE", "FAILOVER $ci from $du\n");
		ds_mark_dst("ip");
		if (ds_next_dst()) {
			xlog("L_NOTICE", "DISPATCH $ci to $du\n");
			t_on_failure("NEXT");
			t_relay();
		}
	}
}
KCFG
	} >"$cfg"
}
