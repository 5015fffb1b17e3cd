/* SIP-I / SIP-T (Q.1912.5 profile C, RFC 3372): the ISUP message of the
 * circuit leg rides along in the SIP message body, and one that came in a
 * body is read back (iw_sipi.c is the pure codec). Only a circuit leg that
 * speaks ISUP has messages to carry. */
#include <errno.h>
#include <stdio.h>

#include "interwork/iw_call_int.h"
#include "interwork/iw_sipi.h"
#include "sip/sip_trunk.h"

bool iw_sipi_trunk(const struct iw_call *c)
{
	return c->trunk && c->trunk->mode != SIP_MODE_PLAIN && c->isup_variant >= 0;
}

/* A multipart body of our SDP (sdp_len 0: none) and the ISUP message m
 * (RFC 3204: without its CIC). Returns the length with the Content-Type in
 * ctype, or < 0 when the call carries no ISUP body. */
int iw_sipi_body(const struct iw_call *c, const char *sdp, int sdp_len, const struct isup_msg *m,
		 char *buf, size_t size, char *ctype, size_t ctsize)
{
	enum isup_variant v;
	uint8_t enc[272];
	const uint8_t *body;
	size_t blen;
	uint16_t cic;
	char boundary[40];
	int n;

	if (!iw_sipi_trunk(c) || !m)
		return -ENOENT;
	v = (enum isup_variant)c->isup_variant;
	n = isup_msg_encode(v, m, enc, sizeof(enc));
	if (n < 0 || iw_sipi_isup_strip_cic(enc, (size_t)n, &body, &blen, &cic) < 0)
		return -EINVAL;
	for (unsigned k = 0; k < 4; k++) {
		snprintf(boundary, sizeof(boundary), "tandem-%u-%u", c->id, k * 7919u + 1u);
		n = iw_sipi_build(buf, size, sdp, sdp_len > 0 ? (size_t)sdp_len : 0, body, blen,
				  c->trunk->mode == SIP_MODE_SIP_T ? IW_SIPI_ANSI00
								   : IW_SIPI_ITU_T92,
				  boundary, ctype, ctsize);
		if (n != -EEXIST)
			return n;
	}
	return -EEXIST;
}

/* The ISUP message of a SIP-I/SIP-T body, decoded into m (views into
 * store). -ENOENT when there is none. */
int iw_sipi_isup(const struct iw_call *c, const struct sip_msg *sm, struct isup_msg *m,
		 uint8_t *store, size_t size)
{
	struct iw_sipi_body b;
	enum isup_decode_err err;
	enum isup_variant v;
	int n;

	if (!sm || !c->trunk || c->trunk->mode == SIP_MODE_PLAIN || iw_sipi_parse(sm, &b) < 0 ||
	    !b.has_isup)
		return -ENOENT;
	if (iw_sipi_variant(b.version, &v) < 0)
		v = c->trunk->mode == SIP_MODE_SIP_T ? ISUP_VAR_ANSI : ISUP_VAR_ITU;
	n = iw_sipi_isup_with_cic(store, size, (uint16_t)c->cic, (const uint8_t *)b.isup.p,
				  b.isup.len);
	if (n < 0 || isup_msg_decode(v, store, (size_t)n, m, &err) < 0)
		return -EBADMSG;
	return 0;
}

/* Q.1912.5: the cause of an encapsulated REL wins over the SIP status. */
int iw_sipi_rel_cause(const struct iw_call *c, const struct sip_msg *sm, uint8_t *loc)
{
	const struct isup_param *p;
	struct isup_cause ci;
	struct isup_msg m;
	uint8_t store[280];

	if (iw_sipi_isup(c, sm, &m, store, sizeof(store)) < 0 || m.type != ISUP_MT_REL)
		return -1;
	p = isup_msg_param(&m, ISUP_PAR_CAUSE_INDICATORS);
	if (!p || isup_cause_decode(p->val, p->len, &ci) < 0 || ci.value == 0)
		return -1;
	*loc = ci.location;
	return ci.value;
}
