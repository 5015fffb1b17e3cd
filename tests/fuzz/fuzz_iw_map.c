/* libFuzzer target: the interworking maps fed untrusted bytes: Reason
 * header values, tel: / SIP user parts, ISUP digits, route lookups, cause
 * mapping table files. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "interwork/iw_cause.h"
#include "interwork/iw_number.h"
#include "interwork/iw_route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	static struct iw_route_table *t;
	static const char *const tg[] = {"a", "b"};
	const struct iw_route_rule *r;
	struct iw_number_ctx ctx;
	char out[64];
	uint8_t cause, noa;
	int n;

	if (!t) {
		t = iw_route_table_alloc(NULL);
		iw_route_add(t,
			     &(struct iw_route_spec){.prefix = "", .targets = tg, .n_targets = 1});
		iw_route_add(t, &(struct iw_route_spec){.prefix = "49",
							.strip = 2,
							.prepend = "0",
							.targets = tg,
							.n_targets = 2});
	}
	iw_number_ctx_set(&ctx, "49", "0", "00", "30");
	if (iw_reason_parse(p, size, &cause) == 0 && cause > 127)
		abort();
	iw_cause_from_response(486, p, size);
	{
		static struct iw_cause_map m;
		char err[128];

		/* a table either loads with every value in range or names a line */
		iw_cause_map_init(&m);
		if (iw_cause_map_parse(&m, p, size, "f", err, sizeof(err)) == 0) {
			for (int c = 1; c <= 127; c++) {
				int st = iw_cause_map_isup_to_sip(&m, (uint8_t)c, 0);

				if (st != 0 && (st < 300 || st > 699))
					abort();
			}
			for (int st = 300; st <= 699; st++)
				if (iw_cause_map_sip_to_isup(&m, st) - 1u > 126u)
					abort();
		} else if (strncmp(err, "f:", 2) != 0) {
			abort();
		}
	}
	n = iw_number_from_uri(&ctx, p, size, out, sizeof(out));
	if (n >= 0 && (out[0] != '+' || strlen(out) != (size_t)n || n > 16))
		abort();
	for (uint8_t k = 0; k <= 5; k++)
		iw_number_to_e164(&ctx, k, p, size, out, sizeof(out));
	iw_number_from_e164(&ctx, p, size, &noa, out, sizeof(out));
	n = iw_route_lookup(t, p, size, &r, out, sizeof(out));
	if (n >= 0 && strlen(out) != (size_t)n)
		abort();
	return 0;
}
