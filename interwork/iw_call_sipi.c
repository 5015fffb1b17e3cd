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
	uint8_t cause_buf[IW_SIPI_CAUSE_MAX];
	struct isup_msg conv;
	enum isup_variant v;
	uint8_t enc[272];
	const uint8_t *body;
	size_t blen;
	uint16_t cic;
	char boundary[40];
	int n;

	if (!iw_sipi_trunk(c) || !m)
		return -ENOENT;
	/* the body is coded as the trunk's label says (SIP-T: ANSI, SIP-I:
	 * ITU), converted from the linkset's variant where they differ */
	v = c->trunk->mode == SIP_MODE_SIP_T ? ISUP_VAR_ANSI : ISUP_VAR_ITU;
	if ((int)v != c->isup_variant) {
		enum isup_variant from = (enum isup_variant)c->isup_variant;
		unsigned dropped;

		if (iw_sipi_convert(from, v, m, &conv, cause_buf, &dropped) < 0) {
			LOGCALL(c, LOGL_INFO, "SIP-I: %s has no %s counterpart: no ISUP body\n",
				isup_msg_type_name(m->type) ?: "?",
				v == ISUP_VAR_ANSI ? "ANSI" : "ITU");
			return -ENOTSUP;
		}
		if (dropped)
			LOGCALL(c, LOGL_INFO,
				"SIP-I: %s converted to %s, %u parameter(s) dropped\n",
				isup_msg_type_name(m->type) ?: "?",
				v == ISUP_VAR_ANSI ? "ANSI" : "ITU", dropped);
		m = &conv;
	}
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
 * store) with the variant it is coded in. -ENOENT when there is none,
 * -EBADMSG when the body or the ISUP in it is malformed. */
static int sipi_decode(const struct iw_call *c, const struct sip_msg *sm, struct isup_msg *m,
		       uint8_t *store, size_t size, enum isup_variant *var)
{
	struct iw_sipi_body b;
	enum isup_decode_err err;
	enum isup_variant v;
	int n;

	if (!sm || !c->trunk || c->trunk->mode == SIP_MODE_PLAIN)
		return -ENOENT;
	/* a body of another kind (an INFO's dtmf-relay) carries no ISUP */
	n = iw_sipi_parse(sm, &b);
	if (n == -EBADMSG)
		return -EBADMSG;
	if (n < 0)
		return -ENOENT;
	if (!b.has_isup)
		return -ENOENT;
	if (iw_sipi_variant(b.version, &v) < 0)
		v = c->trunk->mode == SIP_MODE_SIP_T ? ISUP_VAR_ANSI : ISUP_VAR_ITU;
	n = iw_sipi_isup_with_cic(store, size, (uint16_t)c->cic, (const uint8_t *)b.isup.p,
				  b.isup.len);
	if (n < 0 || isup_msg_decode(v, store, (size_t)n, m, &err) < 0)
		return -EBADMSG;
	*var = v;
	return 0;
}

int iw_sipi_isup(const struct iw_call *c, const struct sip_msg *sm, struct isup_msg *m,
		 uint8_t *store, size_t size)
{
	enum isup_variant v;

	return sipi_decode(c, sm, m, store, size, &v);
}

int iw_sipi_isup_var(const struct iw_call *c, const struct sip_msg *sm, struct isup_msg *m,
		     uint8_t *store, size_t size, enum isup_variant *v)
{
	return sipi_decode(c, sm, m, store, size, v);
}

/* Q.1912.5 profile C on receipt: the backward ISUP message a SIP message
 * toward us carries (what: its status, or "BYE", "CANCEL", "INFO"), when it
 * fits what the SIP message says (iw_sipi_fits) and is coded in the
 * circuit leg's variant or converted to it (iw_sipi_convert). 0 with m set
 * (views into store); < 0 when there is none to use: a malformed body, a
 * type that does not fit or has no counterpart in the linkset's variant is
 * logged and ignored, and the caller maps the SIP message as if the body
 * were not there. */
int iw_sipi_backward(struct iw_call *c, const struct sip_msg *sm, const char *what,
		     struct isup_msg *m, uint8_t *store, size_t size)
{
	enum isup_variant v;
	int rc;

	if (!iw_sipi_trunk(c) || size <= IW_SIPI_CAUSE_MAX)
		return -ENOENT;
	/* the end of store is for a cause rewritten by the conversion */
	rc = sipi_decode(c, sm, m, store, size - IW_SIPI_CAUSE_MAX, &v);
	if (rc == -EBADMSG) {
		c->iw->st.sipi_bad++;
		LOGCALL(c, LOGL_NOTICE, "SIP-I body in %s: malformed ISUP: ignored\n", what);
		return rc;
	}
	if (rc < 0)
		return rc;
	if ((int)v != c->isup_variant) {
		/* Q.1912.5 between an ITU and an ANSI network: what both
		 * variants code alike goes on, the rest is dropped */
		enum isup_variant to = (enum isup_variant)c->isup_variant;
		struct isup_msg conv;
		unsigned dropped;

		if (iw_sipi_convert(v, to, m, &conv, store + size - IW_SIPI_CAUSE_MAX, &dropped) <
		    0) {
			LOGCALL(c, LOGL_NOTICE,
				"SIP-I %s in %s: %s coding has no %s counterpart: ignored\n",
				isup_msg_type_name(m->type) ?: "?", what,
				v == ISUP_VAR_ANSI ? "ANSI" : "ITU",
				to == ISUP_VAR_ANSI ? "ANSI" : "ITU");
			return -EPROTO;
		}
		LOGCALL(c, LOGL_INFO,
			"SIP-I %s in %s: %s coding converted for the %s linkset, %u parameter(s) "
			"dropped\n",
			isup_msg_type_name(m->type) ?: "?", what,
			v == ISUP_VAR_ANSI ? "ANSI" : "ITU", to == ISUP_VAR_ANSI ? "ANSI" : "ITU",
			dropped);
		*m = conv;
	}
	if (!iw_sipi_fits(what, m->type, c->acm_sent)) {
		LOGCALL(c, LOGL_NOTICE, "SIP-I %s (type %u) in %s does not fit: ignored\n",
			isup_msg_type_name(m->type) ?: "?", m->type, what);
		return -EPROTO;
	}
	return 0;
}

/* The backward message a SIP message carries sent to the circuit with its
 * own parameters. true when it went; false: the caller maps the SIP
 * message as usual. */
bool iw_sipi_to_circuit(struct iw_call *c, const struct sip_msg *sm, const char *what)
{
	struct isup_msg m;
	uint8_t store[280 + IW_SIPI_CAUSE_MAX];

	if (!c->cleg || !c->cleg->ops->backward ||
	    iw_sipi_backward(c, sm, what, &m, store, sizeof(store)) < 0)
		return false;
	if (c->cleg->ops->backward(c->cleg, &m) < 0) {
		LOGCALL(c, LOGL_NOTICE, "SIP-I %s in %s: the circuit cannot take it now: ignored\n",
			isup_msg_type_name(m.type) ?: "?", what);
		return false;
	}
	c->iw->st.sipi_rx++;
	LOGCALL(c, LOGL_INFO, "SIP-I %s in %s -> circuit with its parameters\n",
		isup_msg_type_name(m.type) ?: "?", what);
	if (m.type == ISUP_MT_ACM || m.type == ISUP_MT_CON)
		c->acm_sent = true;
	return true;
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
	/* its diagnostics go on in our REL (same value and location) */
	if (c->cleg && c->cleg->ops->release_detail)
		c->cleg->ops->release_detail(c->cleg, p->val, p->len);
	*loc = ci.location;
	return ci.value;
}
