#!/bin/bash
# libss7 (an independent ISUP implementation) sends IAM, REL, GRS and UCIC
# through tests/peers/ss7-gen, ITU and ANSI; tandem-tool isup-decode must
# decode each one and find what libss7 was asked to put in it. No ports
# (a socketpair inside ss7-gen), bounded by timeout.
. "$(dirname "$0")/../lib.sh"
TOOL=$BUILD/tandem-tool
GEN=$BUILD/peers/ss7-gen
FAILED=0
if [ ! -x "$GEN" ]; then
	skip "isup_libss7: $GEN not built (needs libss7-dev; make peers)"
	exit 0
fi
if ! command -v python3 >/dev/null; then
	skip "isup_libss7: python3 needed to read the JSON"
	exit 0
fi
# jq-like field access: json_get JSON 'expr on j'
json_get() {
	python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null
}
for var in itu ansi; do
	if ! timeout 60 "$GEN" "$var" >"$TMPD/$var.out" 2>"$TMPD/$var.err"; then
		fail "isup_libss7:$var: ss7-gen failed: $(tail -3 "$TMPD/$var.err")"
		continue
	fi
	seen=""
	while read -r tag hex; do
		[ "$tag" = ISUP ] || continue
		json=$("$TOOL" isup-decode --variant "$var" "$hex")
		rc=$?
		t="isup_libss7:$var"
		if [ $rc -ne 0 ]; then
			fail "$t: rejected $hex: $json"
			continue
		fi
		type=$(json_get "$json" 'j["type"]')
		case "$type" in
		IAM)
			check "$t:IAM-called" test "$(json_get "$json" 'j["params"]["called_party_number"]["digits"]')" = 1234567
			check "$t:IAM-calling" test "$(json_get "$json" 'j["params"]["calling_party_number"]["digits"]')" = 7654321
			check "$t:IAM-cic" test "$(json_get "$json" 'j["cic"]')" = 1
			;;
		REL)
			check "$t:REL-cause" test "$(json_get "$json" 'j["params"]["cause_indicators"]["value"]')" = 16
			;;
		GRS)
			# asked for CICs 1..31: range 30
			check "$t:GRS-range" test "$(json_get "$json" 'j["params"]["range_and_status"]["range"]')" = 30
			;;
		UCIC)
			check "$t:UCIC-cic" test "$(json_get "$json" 'j["cic"]')" = 5
			;;
		*)
			fail "$t: unexpected $type from $hex"
			;;
		esac
		seen="$seen $type"
	done <"$TMPD/$var.out"
	for want in IAM REL GRS UCIC; do
		grep -qw "$want" <<<"$seen" || fail "isup_libss7:$var: no $want from libss7"
	done
done
exit $FAILED
