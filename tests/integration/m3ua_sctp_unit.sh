#!/bin/bash
# needs: kernel-sctp (make check runs it through tests/vm/sctp-tests.sh)
# The unit suite m3ua_sctp again where the kernel has SCTP: on a host kernel
# without it, test_sctp_loopback (an association over 127.0.0.1 with two
# streams, DATA both ways on the stream chosen by SLS, the PPID, the
# notifications) can only check the refusal and SKIPs; here, in the VM or
# natively, every test of the suite must run and pass, in the plain build
# and in the ASan+UBSan one. A SKIP here is a FAIL.
source "$(dirname "$0")/../lib.sh"
for bin in unit-tests unit-tests-san; do
	if [ ! -x "$BUILD/$bin" ]; then
		skip "it:m3ua-sctp-unit:$bin not built (make unit)"
		continue
	fi
	out=$(CK_RUN_SUITE=m3ua_sctp "$BUILD/$bin" unit 2>&1)
	rc=$?
	sum=$(grep -E '^unit: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped, [0-9]+ registered$' <<<"$out")
	grep -E '^(PASS|FAIL|SKIP) unit:' <<<"$out" | sed -E "s/^(PASS|FAIL|SKIP) unit:/\\1 it:m3ua-sctp-unit:$bin:/; s/^SKIP /FAIL /"
	check "it:m3ua-sctp-unit:$bin:all-ran-none-skipped ($sum, exit $rc)" \
		bash -c '[[ $1 =~ ^unit:\ ([0-9]+)\ passed,\ 0\ failed,\ 0\ skipped,\ ([0-9]+)\ registered$ ]] &&
			[ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] && [ "$2" = 0 ]' _ "$sum" "$rc"
done
exit "${FAILED:-0}"
