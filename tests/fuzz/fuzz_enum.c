/* libFuzzer target: ENUM substitution expressions, enumservice fields, the
 * NAPTR selection, RFC 4694 parameters and the DNS answer TTL walk.
 * Input: byte 0 picks the AUS length (0..16), then the AUS, then NAPTR
 * records as [order pref] fields separated by '\n' (flags, service,
 * regexp), up to 8 records. The whole input also goes to the raw parsers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "interwork/iw_enum.h"
#include "interwork/iw_enum_dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct iw_enum_naptr recs[8];
	struct iw_enum_result res;
	struct iw_enum_np np;
	char aus[20], out[IW_ENUM_URI_MAX], dom[300], *cstr;
	size_t alen, off, n = 0;
	uint32_t ttl;
	int rc;

	iw_enum_answer_ttl(data, size, &ttl);
	iw_enum_service_parse(tstr_make((const char *)data, size));
	{
		static const char *const lists[] = {"E2U+sip", "E2U+pstn:tel,E2U+sip", "E2U+tel"};
		struct iw_enum_filter f;

		for (unsigned i = 0; i < 3; i++) {
			if (iw_enum_filter_parse(&f, lists[i]) < 0)
				abort();
			if (iw_enum_filter_match(&f, tstr_make((const char *)data, size)) >=
			    (1 << f.n))
				abort();
		}
	}
	if (!size)
		return 0;
	alen = data[0] % 17;
	if (alen > size - 1)
		alen = size - 1;
	memcpy(aus, data + 1, alen);
	aus[alen] = 0;
	iw_enum_domain(aus, NULL, dom, sizeof(dom));
	off = 1 + alen;

	/* the remainder as one expression applied to the AUS */
	rc = iw_enum_regexp_apply(tstr_make((const char *)data + off, size - off), aus, out,
				  sizeof(out));
	if (rc >= 0 && (strlen(out) != (size_t)rc || (size_t)rc >= sizeof(out)))
		abort();
	cstr = malloc(size - off + 1);
	if (!cstr)
		return 0;
	memcpy(cstr, data + off, size - off);
	cstr[size - off] = 0;
	iw_enum_np_parse(cstr, &np);
	free(cstr);

	/* the remainder as records */
	while (off + 4 <= size && n < 8) {
		struct tstr f[3];
		struct iw_enum_naptr *r = &recs[n];

		r->order = (uint16_t)(data[off] << 8 | data[off + 1]);
		r->pref = (uint16_t)(data[off + 2] << 8 | data[off + 3]);
		off += 4;
		for (int i = 0; i < 3; i++) {
			const uint8_t *nl = memchr(data + off, '\n', size - off);
			size_t l = nl ? (size_t)(nl - data - off) : size - off;

			f[i] = tstr_make((const char *)data + off, l);
			off += l + (nl ? 1 : 0);
		}
		r->flags = f[0];
		r->service = f[1];
		r->regexp = f[2];
		r->replacement = TSTR_NULL;
		n++;
	}
	if (iw_enum_select(recs, n, aus, IW_ENUM_SVC_DEFAULT, &res) == 0) {
		if (!res.usable || strlen(res.uri) >= sizeof(res.uri))
			abort();
		for (size_t i = 1; i < n; i++)
			if (recs[i - 1].order > recs[i].order ||
			    (recs[i - 1].order == recs[i].order && recs[i - 1].pref > recs[i].pref))
				abort();
	}
	return 0;
}
