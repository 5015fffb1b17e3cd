/* A call's numbers as each side writes them: E.164 inside the call, the
 * numbering context of the linkset or trunk on the wire (iw_number.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "interwork/iw_call_int.h"
#include "sip/sip_trunk.h"

/* The numbering context of a group or trunk: its own when configured,
 * else the gateway's. */
static const struct iw_number_ctx *num_ctx(const struct iw *iw, bool trunk, const char *name)
{
	const struct iw_number_ctx *n =
		iw->cfg.numbering && name && name[0] ? iw->cfg.numbering(trunk, name) : NULL;

	return n ? n : &iw->cfg.num;
}

const struct iw_number_ctx *iw_group_num(const struct iw_call *c, const char *group)
{
	return num_ctx(c->iw, false, group);
}

const struct iw_number_ctx *iw_trunk_num(const struct iw_call *c)
{
	return num_ctx(c->iw, true, c->trunk ? c->trunk->name : NULL);
}

/* ISUP number -> E.164 digits without '+' (iw_number: NOA, prefixes,
 * area code). -EINVAL for a number that has no E.164 reading (out holds the
 * digits as they came, for the log). */
int iw_isup_to_e164(const struct iw_number_ctx *num, const struct isup_number *n, char *out,
		    size_t size)
{
	char buf[48];

	if (iw_number_to_e164(num, n->noa, n->digits, strlen(n->digits), buf, sizeof(buf)) > 0 &&
	    buf[0] == '+') {
		snprintf(out, size, "%s", buf + 1);
		return 0;
	}
	snprintf(out, size, "%s", n->digits);
	return -EINVAL;
}

/* E.164 (no '+') -> ISUP number: national inside our country code. */
void iw_e164_to_isup(const struct iw_number_ctx *num, const char *e164, struct isup_number *n)
{
	uint8_t noa = 4;

	memset(n, 0, sizeof(*n));
	n->npi = 1; /* E.164 */
	if (iw_number_from_e164(num, e164, strlen(e164), &noa, n->digits, sizeof(n->digits)) < 0) {
		noa = 4;
		snprintf(n->digits, sizeof(n->digits), "%s", e164);
	}
	n->noa = noa;
}

/* A Request-URI or From URI -> E.164 digits without '+'. */
int iw_uri_to_e164(const struct iw_number_ctx *num, struct tstr uri, char *out, size_t size)
{
	char buf[48];

	if (iw_number_from_uri(num, uri.p, uri.len, buf, sizeof(buf)) < 0 || buf[0] != '+')
		return -EINVAL;
	snprintf(out, size, "%s", buf + 1);
	return 0;
}
