/* Fuzz the ISUP codec: both variants; what decodes is re-encoded and must
 * decode again to the same structure; typed parameters and the JSON path
 * run on every parameter. Never crash, never over-read. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sigtran/isup_json.h"
#include "sigtran/isup_msg.h"
#include "sigtran/isup_param.h"
#include "sigtran/isup_proto.h"

static void typed(const struct isup_param *p)
{
	union {
		struct isup_number n;
		struct isup_cause c;
		struct isup_bci b;
		struct isup_range_status rs;
	} u;
	uint8_t buf[300];

	if (isup_number_fields(p->code) >= 0 &&
	    isup_number_decode(p->code, p->val, p->len, &u.n) == 0)
		if (isup_number_encode(p->code, &u.n, buf, sizeof(buf)) < 0)
			abort(); /* what decoded must encode */
	if (isup_cause_decode(p->val, p->len, &u.c) == 0 &&
	    isup_cause_encode(&u.c, buf, sizeof(buf)) != (int)p->len)
		abort();
	if (isup_bci_decode(p->val, p->len, &u.b) == 0 && isup_bci_encode(&u.b, buf, 2) != 2)
		abort();
	if (isup_range_status_decode(p->val, p->len, &u.rs) == 0 &&
	    isup_range_status_encode(&u.rs, buf, sizeof(buf)) != (int)p->len)
		abort();
}

static void one(enum isup_variant v, const uint8_t *data, size_t size)
{
	static uint8_t out[8192], store[8192];
	static char json[65536], err[160];
	struct isup_msg m, d, j;
	enum isup_decode_err e;
	unsigned i;
	int n;

	if (isup_msg_decode(v, data, size, &m, &e) != 0)
		return;
	for (i = 0; i < m.nparams; i++)
		typed(&m.p[i]);
	n = isup_msg_encode(v, &m, out, sizeof(out));
	if (n < 0) {
		/* only a parameter too far for a one-octet pointer may refuse */
		if (n != -EINVAL)
			abort();
		return;
	}
	if (isup_msg_decode(v, out, (size_t)n, &d, &e) != 0 || d.nparams != m.nparams ||
	    d.type != m.type || d.cic != m.cic)
		abort();
	for (i = 0; i < m.nparams; i++)
		if (d.p[i].code != m.p[i].code || d.p[i].len != m.p[i].len ||
		    memcmp(d.p[i].val, m.p[i].val, m.p[i].len))
			abort();
	if (isup_json_print(v, &m, json, sizeof(json)) > 0 &&
	    isup_json_parse(v, json, &j, store, sizeof(store), err, sizeof(err)) == 0)
		(void)isup_msg_encode(v, &j, out, sizeof(out));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);

	/* an exact-size copy so ASan catches a read one past the end */
	memcpy(copy, data, size);
	one(ISUP_VAR_ITU, copy, size);
	one(ISUP_VAR_ANSI, copy, size);
	free(copy);
	return 0;
}
