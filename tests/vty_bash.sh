# VTY helpers in bash alone, for scripts run in the SCTP VM (tests/vm):
# under TCG every process started costs a good part of a second.
# Sourced after tests/lib.sh (they call pass/fail).
# VTY queries in bash alone (/dev/tcp, read, [[ =~ ]]): under TCG every
# process started costs a good part of a second, tandem-tool more. The
# commands go at once; 'exit' ends the session and so the answer, kept in
# $VQ (one line each, after a newline).
vq_once() { # PORT CMD...
	local port=$1 c line seg LC_ALL=C # the telnet negotiation bytes are no UTF-8
	shift
	VQ=$'\n'
	exec 9<>"/dev/tcp/127.0.0.1/$port" || return 1
	# the first prompt: a last line ending in '>' with no space or '<' (a
	# banner's e-mail address ends in '>' too); input sent before it may be
	# taken for telnet negotiation
	line=""
	while IFS= read -r -d '>' -t 5 seg <&9; do
		line+="$seg>"
		seg=${line##*$'\n'}
		[[ $seg == *' '* || $seg == *'<'* ]] || break
	done
	for c in "$@" exit exit; do printf '%s\r\n' "$c" >&9; done
	while IFS= read -r -t 5 line <&9; do VQ+="${line%$'\r'}"$'\n'; done
	exec 9>&-
	[ ${#VQ} -gt 1 ]
}
# now and then a session closes with no answer at all: ask again
vq() {
	local _
	for _ in 1 2 3; do vq_once "$@" && return 0; done
	return 1
}
# vq_has PORT ERE CMD...: the answer has a line starting with ERE
vq_has() {
	local port=$1 re=$2 LC_ALL=C # the telnet negotiation bytes are no UTF-8
	shift 2
	vq "$port" "$@" 2>/dev/null && [[ $VQ =~ $'\n'$re ]]
}
# vq_check NAME PORT ERE CMD: a check on a VTY answer, asked again for up to
# 10 s (a VTY under TCG in a loaded VM once gave no answer for 3 s); the last answer is shown when it fails
vq_check() {
	local name=$1
	shift
	if until_ok 100 vq_has "$@"; then
		pass "$name"
	else
		fail "$name"
		printf '%s' "$VQ" | sed 's/^/   | /'
	fi
}
# until CMD succeeds, every 0.2 s, up to TENTHS/10 seconds of wall clock
# (under TCG a process start costs up to a second: counting turns of the
# loop would stretch a 30 s bound to minutes; lib.sh's until_tenths does the same)
until_ok() { # TENTHS CMD...
	local end=$((SECONDS + ($1 + 9) / 10))
	shift
	while :; do
		"$@" && return 0
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.2
	done
}
# file_has FILE ERE [N]: the file has N (default 1) lines matching ERE;
# bash alone, no process started
file_has() {
	local l n=0 LC_ALL=C
	[ -r "$1" ] || return 1
	while IFS= read -r l; do
		[[ $l =~ $2 ]] && n=$((n + 1)) && [ "$n" -ge "${3:-1}" ] && return 0
	done <"$1"
	return 1
}
