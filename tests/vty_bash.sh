# VTY helpers in bash alone, for scripts run in the SCTP VM (tests/vm):
# under TCG every process started costs a good part of a second, tandem-tool
# more. Sourced after tests/lib.sh (they call pass/fail).
# VTY queries (/dev/tcp, read, [[ =~ ]]): the commands go once the VTY's
# first prompt is in, then a comment line as a marker; the answer, kept in
# $VQ (one line each, after a newline), is whole when the marker's echo is
# in, and the session is closed from here. Not 'exit': the VTY that reads
# 'exit' in the same batch as the commands closes the session before it
# sends their answers (a lost answer, read as an empty but successful one,
# hid that the VTY had refused a loaded run's RSCs). A session
# counts only when the VTY echoed every command. Why one did not goes to
# $TMPD/vq.log, kept with the test's files when a check fails. Status: 0 a
# whole answer, 1 nothing sent (no connection, no prompt), 2 sent but the
# answer not whole or a command not echoed in it (the commands may have
# run: vq_do does not send them again)
vq_once() { # PORT CMD...
	local port=$1 c line seg prompt="" mark="#vq-$$-$RANDOM" LC_ALL=C # the telnet negotiation bytes are no UTF-8
	shift
	VQ=$'\n'
	exec 9<>"/dev/tcp/127.0.0.1/$port" || {
		vq_why "$port" "no connection"
		return 1
	}
	# the first prompt: a last line ending in '>' with no space or '<' (a
	# banner's e-mail address ends in '>' too); input sent before it may be
	# taken for telnet negotiation
	line=""
	while IFS= read -r -d '>' -t 5 seg <&9; do
		line+="$seg>"
		seg=${line##*$'\n'}
		[[ $seg == *' '* || $seg == *'<'* ]] || {
			prompt=1
			break
		}
	done
	if [ -z "$prompt" ]; then
		exec 9>&-
		vq_why "$port" "no prompt within 5 s"
		return 1
	fi
	printf '%s\n' "$@" "$mark" >&9
	# a VTY under TCG on a loaded host once stalled 3 s between lines
	while IFS= read -r -t 15 line <&9; do
		line=${line%$'\r'}
		[[ $line == *" $mark" ]] && break
		VQ+=$line$'\n'
	done
	exec 9>&-
	[[ $line == *" $mark" ]] || {
		vq_why "$port" "answer cut: no echo of the end marker within 15 s of the last line"
		return 2
	}
	for c in "$@"; do
		[[ $VQ == *" $c"$'\n'* ]] || {
			vq_why "$port" "'$c' not echoed"
			return 2
		}
	done
}
vq_why() { # PORT WHY
	[ -n "${TMPD:-}" ] && printf '%(%T)T vq %s: %s\n' -1 "$1" "$2" >>"$TMPD/vq.log"
	return 0
}
# now and then a session closes with no answer at all: ask again
vq() {
	local i
	for i in 1 2 3; do
		vq_once "$@" && return 0
		[ "$i" = 3 ] || sleep 0.3
	done
	return 1
}
# vq_do NAME PORT CMD...: commands that change something; a FAIL named NAME
# when the VTY did not take them (three tries) or answered one with an
# error ("% ..."), nothing printed when it took them all. Sent again only
# when nothing was sent: a reset asked twice is refused the second time
# ("a procedure is already pending"); an answer cut after the sending is
# logged, and what the commands should have done is for the next checks.
# The answers go to $TMPD/vq-do.log.
vq_do() {
	local name=$1 err rc _ LC_ALL=C
	shift
	for _ in 1 2 3; do
		vq_once "$@" 2>/dev/null
		rc=$?
		[ "$rc" != 1 ] && break
		sleep 0.3
	done
	if [ "$rc" = 1 ]; then
		fail "$name (the VTY on $1 did not take: ${*:2})"
		return 1
	fi
	[ -n "${TMPD:-}" ] && printf '%(%T)T vq %s (status %s):%s' -1 "$1" "$rc" "$VQ" >>"$TMPD/vq-do.log"
	if [[ $VQ =~ $'\n'(%[^$'\n']*) ]]; then
		err=${BASH_REMATCH[1]}
		fail "$name (the VTY on $1 answered: $err)"
		return 1
	fi
}
# isup_settled PORT: the tandemd's ISUP linksets have no RSC or GRS of ours
# waiting for its answer (a circuit shows idle once the far end's GRS came,
# ours may still wait for its GRA; a reset or call then is refused or lost).
# True too before a linkset ever came up (no GRS yet): ask it after that.
isup_settled() {
	vq "$1" "show isup linksets" 2>/dev/null && [[ $VQ == *"procedures pending: RSC 0, GRS 0,"* ]] &&
		! [[ $VQ =~ procedures\ pending:\ RSC\ [1-9] ]] && ! [[ $VQ =~ procedures\ pending:\ RSC\ [0-9]+,\ GRS\ [1-9] ]]
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
