/* A diverted call's history between the two sides (RFC 3398 7.2.1.3,
 * Q.1912.5): the IAM's redirecting number, original called number and
 * redirection information <-> Diversion (RFC 5806) or History-Info
 * (RFC 7044 with the RFC 4458 cause), as the trunk says. */
#include <stdio.h>
#include <string.h>

#include "interwork/iw_call_int.h"
#include "sip/sip_hdr.h"
#include "sip/sip_trunk.h"
#include "sip/sip_uri.h"

static void history_to_isup(struct iw_call *c, const struct sip_msg *invite,
			    struct isup_call_spec *spec);

/* Q.763 3.45 redirecting reason -> RFC 5806 Diversion reason and the
 * RFC 4458 cause (the SIP status a diverting UA would have given). */
static const struct {
	const char *reason;
	unsigned cause;
} redir_reason[16] = {
	[0] = {"unknown", 404},	      [1] = {"user-busy", 486},	 [2] = {"no-answer", 408},
	[3] = {"unconditional", 302}, [4] = {"deflection", 487}, [5] = {"deflection", 480},
	[6] = {"unavailable", 503},
};

/* A diverted call (redirecting number, original called number and
 * redirection information in the IAM) becomes Diversion (RFC 5806) or
 * History-Info (RFC 7044) as the trunk says (RFC 3398 7.2.1.3). */
void iw_redirection_headers(const struct iw_call *c, const struct sip_trunk *t, const char *host,
			    char *out, size_t size)
{
	struct isup_msg m;
	enum isup_decode_err err;
	const struct isup_param *p;
	struct isup_number redir = {0}, ocn = {0};
	char redir_e[48] = "", ocn_e[48] = "";
	unsigned reason = 0, orig_reason = 0, counter = 1;

	out[0] = '\0';
	if (t->redir == SIP_REDIR_NONE || c->iam_len <= 0 || c->isup_variant < 0 ||
	    isup_msg_decode((enum isup_variant)c->isup_variant, c->iam, (size_t)c->iam_len, &m,
			    &err) < 0)
		return;
	p = isup_msg_param(&m, ISUP_PAR_REDIRECTING_NUMBER);
	if (p && isup_number_decode(ISUP_PAR_REDIRECTING_NUMBER, p->val, p->len, &redir) == 0)
		iw_isup_to_e164(iw_group_num(c, c->linkset), &redir, redir_e, sizeof(redir_e));
	p = isup_msg_param(&m, ISUP_PAR_ORIGINAL_CALLED_NUMBER);
	if (p && isup_number_decode(ISUP_PAR_ORIGINAL_CALLED_NUMBER, p->val, p->len, &ocn) == 0)
		iw_isup_to_e164(iw_group_num(c, c->linkset), &ocn, ocn_e, sizeof(ocn_e));
	p = isup_msg_param(&m, ISUP_PAR_REDIRECTION_INFORMATION);
	if (p && p->len >= 2) {
		orig_reason = p->val[0] >> 4;
		counter = p->val[1] & 7;
		reason = p->val[1] >> 4;
	}
	if (!redir_e[0] && !ocn_e[0])
		return;
	if (!redir_e[0])
		snprintf(redir_e, sizeof(redir_e), "%s", ocn_e);
	if (!counter)
		counter = 1;
	if (t->redir == SIP_REDIR_DIVERSION) {
		int n = snprintf(
			out, size, "Diversion: <sip:+%s@%s;user=phone>;reason=%s;counter=%u",
			redir_e, host,
			redir_reason[reason].reason ? redir_reason[reason].reason : "unknown",
			counter);

		/* the first diversion (original called number) goes last */
		if (ocn_e[0] && strcmp(ocn_e, redir_e) && n > 0 && (size_t)n < size)
			n += snprintf(out + n, size - (size_t)n,
				      ", <sip:+%s@%s;user=phone>;reason=%s;counter=1", ocn_e, host,
				      redir_reason[orig_reason].reason
					      ? redir_reason[orig_reason].reason
					      : "unknown");
		if (n > 0 && (size_t)n + 3 < size)
			memcpy(out + n, "\r\n", 3);
		else
			out[0] = '\0';
		return;
	}
	/* RFC 7044: the diverting user (index 1), then the target it was
	 * diverted to, with the RFC 4458 cause of the diversion (index 1.1) */
	{
		unsigned cause = redir_reason[reason].cause ? redir_reason[reason].cause : 404;
		int n = snprintf(out, size,
				 "History-Info: <sip:+%s@%s;user=phone>;index=1, "
				 "<sip:+%s@%s;user=phone;cause=%u>;index=1.1;mp=1\r\n",
				 ocn_e[0] ? ocn_e : redir_e, host, c->called, host, cause);

		if (n < 0 || (size_t)n >= size)
			out[0] = '\0';
	}
}

/* RFC 5806 reason -> Q.763 3.45 redirecting reason */
static uint8_t diversion_reason(struct tstr r)
{
	static const struct {
		const char *name;
		uint8_t code;
	} map[] = {
		{"user-busy", 1},  {"no-answer", 2},   {"unconditional", 3},
		{"deflection", 4}, {"unavailable", 6}, {"out-of-service", 6},
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (tstr_casecmp_cstr(r, map[i].name))
			return map[i].code;
	return 0;
}

/* RFC 3398 / RFC 5806: Diversion headers toward ISUP. The first entry is
 * the last diversion (redirecting number and reason), the last entry the
 * first one (original called number); the counters add up to the
 * redirection counter (1..5, Q.763 3.45). */
void iw_diversion_to_isup(struct iw_call *c, const struct sip_msg *invite,
			  struct isup_call_spec *spec)
{
	struct sip_nameaddr na;
	unsigned n = 0, counter = 0;
	uint8_t reason = 0, first_reason = 0;
	char e164[48];

	while (n < 8 && sip_msg_diversion(invite, n, &na) == 0) {
		struct tstr v;
		uint32_t k = 1;
		uint8_t r = sip_param_find(na.params, "reason", &v) ? diversion_reason(v) : 0;

		if (sip_param_find(na.params, "counter", &v))
			sip_uint32_decode(v, &k);
		counter += k ? k : 1;
		if (iw_uri_to_e164(iw_trunk_num(c), na.uri, e164, sizeof(e164)) == 0) {
			if (n == 0) {
				snprintf(c->redir_e164, sizeof(c->redir_e164), "%s", e164);
				spec->have_redirecting = true;
				reason = r;
			}
			snprintf(c->ocn_e164, sizeof(c->ocn_e164), "%s", e164);
			first_reason = r;
		}
		n++;
	}
	if (n == 0) {
		history_to_isup(c, invite, spec);
		return;
	}
	if (!spec->have_redirecting)
		return;
	spec->have_ocn = n > 1;
	if (counter > 5)
		counter = 5;
	/* octet 1: redirecting indicator 3 "call diverted", original reason;
	 * octet 2: counter, redirecting reason */
	spec->redirection_info[0] = (uint8_t)(3 | first_reason << 4);
	spec->redirection_info[1] = (uint8_t)(counter | reason << 4);
	LOGCALL(c, LOGL_INFO, "Diversion: redirecting +%s, %u diversions\n", c->redir_e164,
		counter);
}

/* RFC 4458 cause of a retargeted History-Info entry (the "cause" URI
 * parameter), 0 when there is none. */
static unsigned hi_cause(struct tstr uri)
{
	struct sip_uri u;
	struct tstr v;
	uint32_t cause = 0;

	if (sip_uri_decode(uri, &u) < 0 || !sip_param_find(u.params, "cause", &v) ||
	    sip_uint32_decode(v, &cause) < 0)
		return 0;
	return cause;
}

/* RFC 4458 cause -> Q.763 3.45 redirecting reason (the inverse of the
 * table used toward SIP). */
static uint8_t hi_reason(unsigned cause)
{
	switch (cause) {
	case 486:
		return 1; /* user busy */
	case 408:
		return 2; /* no reply */
	case 302:
		return 3; /* unconditional */
	case 487:
		return 4; /* deflection during alerting */
	case 480:
		return 5; /* deflection immediate response */
	case 503:
		return 6; /* mobile subscriber not reachable */
	default:
		return 0; /* unknown (404 and the rest) */
	}
}

/* RFC 7044 / Q.1912.5: History-Info toward ISUP. Entries whose URI carries
 * an RFC 4458 cause were reached by a diversion: their count is the
 * redirection counter; the entry before the last of them is the
 * redirecting party (its cause the redirecting reason), the entry before
 * the first of them the original called party. */
static void history_to_isup(struct iw_call *c, const struct sip_msg *invite,
			    struct isup_call_spec *spec)
{
	struct sip_nameaddr hi[16];
	unsigned n = 0, counter = 0, first = 0, last = 0;
	char e164[48];

	while (n < 16 && sip_msg_history_info(invite, n, &hi[n]) == 0)
		n++;
	for (unsigned i = 1; i < n; i++)
		if (hi_cause(hi[i].uri)) {
			if (!counter)
				first = i;
			last = i;
			counter++;
		}
	if (!counter)
		return;
	if (iw_uri_to_e164(iw_trunk_num(c), hi[last - 1].uri, e164, sizeof(e164)) < 0)
		return;
	snprintf(c->redir_e164, sizeof(c->redir_e164), "%s", e164);
	spec->have_redirecting = true;
	if (iw_uri_to_e164(iw_trunk_num(c), hi[first - 1].uri, e164, sizeof(e164)) == 0 &&
	    (counter > 1 || strcmp(e164, c->redir_e164))) {
		snprintf(c->ocn_e164, sizeof(c->ocn_e164), "%s", e164);
		spec->have_ocn = true;
	}
	if (counter > 5)
		counter = 5;
	spec->redirection_info[0] = (uint8_t)(3 | hi_reason(hi_cause(hi[first].uri)) << 4);
	spec->redirection_info[1] = (uint8_t)(counter | hi_reason(hi_cause(hi[last].uri)) << 4);
	LOGCALL(c, LOGL_INFO, "History-Info: redirecting +%s, %u diversions\n", c->redir_e164,
		counter);
}

unsigned iw_redir_targets(const struct sip_msg *rsp, bool (*tried)(void *priv, const char *uri),
			  bool (*allowed)(void *priv, const struct sip_uri *u), void *priv,
			  struct iw_redir_target *out, unsigned max)
{
	/* every Contact is weighed (up to 16) before the best max go out */
	struct iw_redir_target good[16], bad[16];
	unsigned ngood = 0, nbad = 0, n = 0;
	struct sip_contact ct;

	for (unsigned i = 0; ngood + nbad < 16 && sip_msg_contact(rsp, i, &ct) == 0; i++) {
		struct iw_redir_target t = {.q = ct.q < 0 ? 1000 : ct.q};
		struct sip_uri u;
		unsigned k;

		if (ct.na.uri.len >= sizeof(t.uri))
			continue;
		snprintf(t.uri, sizeof(t.uri), "%.*s", (int)ct.na.uri.len, ct.na.uri.p);
		if (ct.na.star || sip_uri_decode(ct.na.uri, &u) < 0 ||
		    (u.scheme != SIP_URI_SIP && u.scheme != SIP_URI_SIPS &&
		     u.scheme != SIP_URI_TEL))
			t.verdict = IW_REDIR_NOT_SIP;
		else if (tried && tried(priv, t.uri))
			t.verdict = IW_REDIR_TRIED;
		else if (!allowed || !allowed(priv, &u))
			/* a tel: URI (RFC 3966) has no host: the number did not
			 * route toward SIP */
			t.verdict = u.scheme == SIP_URI_TEL ? IW_REDIR_NO_ROUTE : IW_REDIR_FOREIGN;
		if (t.verdict != IW_REDIR_USE) {
			bad[nbad++] = t;
			continue;
		}
		/* insertion by q, stable */
		for (k = ngood; k > 0 && good[k - 1].q < t.q; k--)
			good[k] = good[k - 1];
		good[k] = t;
		ngood++;
	}
	for (unsigned i = 0; i < ngood && n < max; i++)
		out[n++] = good[i];
	for (unsigned i = 0; i < nbad && n < max; i++)
		out[n++] = bad[i];
	return n;
}
