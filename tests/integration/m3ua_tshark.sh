#!/bin/bash
# Cross-check: each M3UA message vector (RFC 4666 section 3 layouts) must decode with
# tandem-tool m3ua-decode and with tshark (wrapped in SCTP, PPID 3) without malformed/expert errors.
TOP=${TANDEM_TOP:-$PWD}
BUILD=${TANDEM_BUILD:-$TOP/build}
TOOL=$BUILD/tandem-tool
if ! command -v tshark >/dev/null || ! command -v text2pcap >/dev/null; then
	echo "SKIP m3ua_tshark: tshark/text2pcap not installed"
	exit 0
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# name hex (DATA carries an ISUP RLC, Q.763 table 35, CIC 1; the REG REQ's
# routing key holds a Circuit Range, RFC 4666 3.6.1)
VECTORS="
aspup 0100030100000008
aspup_ack 0100030400000008
beat 010003030000001000090008deadbeef
aspac 0100040100000018000b000800000002000600080000002a
data 0100010100000024000600080000002a021000140000123400000abc0502000701001000
aspia 0100040200000010000600080000002a
aspdn 0100030200000008
daud 0100020300000018000600080000002a0012000800000abc
scon 010002040000001800120008000000010205000800000002
dupu 010002050000001800120008000000010204000800020005
drst 0100020600000010001200080000000a
reg_req 010009010000004002070038020a00080000000b000b000800000001020b000800000002020c000505000000020e000800000001020f000c000000010001001f
reg_rsp 01000902000000240208001c020a00080000000b02120008000000000006000800000064
dereg_req 01000903000000100006000800000064
dereg_rsp 010009040000001c0209001400060008000000640213000800000000
"
fail=0
while read -r name hex; do
	[ -z "$name" ] && continue
	if ! "$TOOL" m3ua-decode "$hex" >"$TMP/$name.json"; then
		echo "FAIL m3ua_tshark:$name: tandem-tool rejected it: $(cat "$TMP/$name.json")"
		fail=1
		continue
	fi
	echo "$hex" | sed 's/../& /g; s/^/000000 /' >"$TMP/$name.txt"
	text2pcap -q -S 2905,2905,3 "$TMP/$name.txt" "$TMP/$name.pcap" 2>/dev/null
	out=$(timeout 20 tshark -r "$TMP/$name.pcap" -V -o sctp.checksum:none 2>&1)
	if ! grep -q "MTP 3 User Adaptation Layer" <<<"$out"; then
		echo "FAIL m3ua_tshark:$name: tshark did not see M3UA"
		fail=1
	elif grep -qiE "malformed|Expert Info \(Error|Expert Info \(Warn" <<<"$out"; then
		echo "FAIL m3ua_tshark:$name: tshark reports errors"
		fail=1
	else
		echo "PASS m3ua_tshark:$name"
	fi
done <<<"$VECTORS"
exit $fail
