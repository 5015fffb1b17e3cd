#!/bin/bash
# tandem-tool isup-decode / isup-encode over every ISUP vector
# (tests/vectors/isup/*.txt): good ones decode (exit 0) to JSON that encodes
# back to the vector's bytes (or its canonical re-encoding) and decodes to the
# same JSON; bad ones exit 1 with an "error" field; usage errors exit 2.
# No network, no ports.
. "$(dirname "$0")/../lib.sh"
TOOL=$BUILD/tandem-tool
FAILED=0
if [ ! -x "$TOOL" ]; then
	fail "isup_tool: $TOOL not built"
	exit 1
fi
n=0
for f in "$TOP"/tests/vectors/isup/*.txt; do
	while read -r var name hex expect rest; do
		case "$var" in '#'* | '') continue ;; esac
		t="isup_tool:$var/$name"
		out=$("$TOOL" isup-decode --variant "$var" "$hex")
		rc=$?
		n=$((n + 1))
		if [ "$expect" != ok ]; then
			if [ $rc -eq 1 ] && grep -q '"error":' <<<"$out"; then
				pass "$t: rejected ($out)"
			else
				fail "$t: rc=$rc out=$out, expected rejection"
			fi
			continue
		fi
		if [ $rc -ne 0 ]; then
			fail "$t: decode rc=$rc $out"
			continue
		fi
		want=$hex
		for kv in $rest; do
			case "$kv" in reenc=*) want=${kv#reenc=} ;; esac
		done
		enc=$("$TOOL" isup-encode --variant "$var" "$out")
		rc=$?
		again=$("$TOOL" isup-decode --variant "$var" "$enc")
		if [ $rc -ne 0 ]; then
			fail "$t: encode rc=$rc"
		elif [ "$again" != "$out" ]; then
			fail "$t: JSON changed: $out -> $again"
		elif [ "$enc" != "$want" ] && ! grep -q '"unknown":' <<<"$out"; then
			# unknown parameters go last on encoding; otherwise the bytes must match
			fail "$t: encoded $enc, want $want"
		else
			pass "$t: round trip"
		fi
	done <"$f"
done
[ $n -ge 40 ] || fail "isup_tool: only $n vectors read"

# Exit codes: usage 2, malformed 1.
"$TOOL" isup-decode >/dev/null 2>&1
check "isup_tool:usage-no-arg" test $? -eq 2
"$TOOL" isup-decode --variant q931 07001000 >/dev/null 2>&1
check "isup_tool:usage-bad-variant" test $? -eq 2
"$TOOL" isup-decode --variant itu 07001g00 >/dev/null 2>&1
check "isup_tool:usage-bad-hex" test $? -eq 2
"$TOOL" isup-encode --variant itu >/dev/null 2>&1
check "isup_tool:encode-usage" test $? -eq 2
"$TOOL" isup-encode --variant itu '{"cic":1,"type":"NOPE"}' >/dev/null 2>&1
check "isup_tool:encode-bad-type" test $? -eq 1
"$TOOL" isup-encode --variant itu '{"cic":1,"type":"REL","params":{}}' >/dev/null 2>&1
check "isup_tool:encode-missing-mandatory" test $? -eq 1
"$TOOL" isup-encode --variant itu '{"cic":5000,"type":"RLC"}' >/dev/null 2>&1
check "isup_tool:encode-itu-cic-too-big" test $? -eq 1
out=$("$TOOL" isup-encode --variant ansi '{"cic":5000,"type":"RLC"}')
check "isup_tool:encode-ansi-cic14" test "$out" = 88131000
# A hand-written JSON (keys people type) gives the Q.763 bytes.
out=$("$TOOL" isup-encode --variant itu '{"cic":7,"type":"REL","params":{"cause_indicators":{"location":2,"value":16}}}')
check "isup_tool:encode-rel" test "$out" = 07000c0200028290
exit $FAILED
