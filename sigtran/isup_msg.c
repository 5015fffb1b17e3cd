/* ISUP structural coding (Q.763 1.3-1.8): routing label removed, the
 * message is CIC, type, mandatory fixed part, pointers to the mandatory
 * variable parameters and to the optional part, then those parts. */
#include <errno.h>
#include <string.h>

#include "sigtran/isup_fmt.h"
#include "sigtran/isup_msg.h"

/* Q.763 1.2: 12 CIC bits in ITU; T1.113.3 2.2: 14 bits in ANSI. The rest of
 * the second octet is spare. */
static uint16_t cic_mask(enum isup_variant v)
{
	return v == ISUP_VAR_ANSI ? 0x3fff : 0x0fff;
}

static int add_view(struct isup_msg *m, uint8_t code, uint8_t part, const uint8_t *val, uint8_t len)
{
	struct isup_param *p;

	if (m->nparams >= ISUP_MAX_PARAMS)
		return -ENOSPC;
	p = &m->p[m->nparams++];
	p->code = code;
	p->part = part;
	p->len = len;
	p->val = val;
	return 0;
}

static const char *const err_str[] = {
	[ISUP_DEC_OK] = "ok",
	[ISUP_DEC_TRUNCATED] = "truncated",
	[ISUP_DEC_BAD_POINTER] = "pointer or length outside the message",
	[ISUP_DEC_UNKNOWN_TYPE] = "unknown message type",
	[ISUP_DEC_MISSING_MANDATORY] = "mandatory parameter missing or empty",
	[ISUP_DEC_TOO_MANY_PARAMS] = "too many parameters",
};

const char *isup_decode_err_str(enum isup_decode_err err)
{
	if ((unsigned)err >= sizeof(err_str) / sizeof(err_str[0]))
		return "?";
	return err_str[err];
}

/* The body decoder; returns the reason, fills m. */
static enum isup_decode_err decode_body(const struct isup_fmt *f, const uint8_t *buf, size_t len,
					struct isup_msg *m)
{
	size_t pos = 3, ptr_end, t;
	bool opt_ptr;
	unsigned i;

	for (i = 0; i < f->nfixed; i++) {
		if (len - pos < f->fixed[i].len)
			return ISUP_DEC_TRUNCATED;
		if (add_view(m, f->fixed[i].code, ISUP_PART_FIXED, buf + pos, f->fixed[i].len))
			return ISUP_DEC_TOO_MANY_PARAMS;
		pos += f->fixed[i].len;
	}
	if (len - pos < f->nvar)
		return ISUP_DEC_TRUNCATED;
	opt_ptr = f->opt != ISUP_OPT_NONE;
	/* libss7 sends CFN and INR without the optional-part pointer: no octet
	 * left for it, or the first variable pointer leads right past the
	 * variable pointers (with an optional pointer it would be one more). */
	if (opt_ptr && f->opt == ISUP_OPT_LAX &&
	    (len - pos == f->nvar || (f->nvar && buf[pos] == f->nvar)))
		opt_ptr = false;
	ptr_end = pos + f->nvar + (opt_ptr ? 1 : 0);
	if (ptr_end > len)
		return ISUP_DEC_TRUNCATED;

	for (i = 0; i < f->nvar; i++) {
		size_t pp = pos + i;
		uint8_t plen;

		/* Q.763 1.5: a pointer counts octets from itself to the length
		 * octet of its parameter; it cannot point back into the pointers. */
		if (buf[pp] == 0)
			return ISUP_DEC_BAD_POINTER;
		t = pp + buf[pp];
		if (t < ptr_end)
			return ISUP_DEC_BAD_POINTER;
		if (t >= len)
			return ISUP_DEC_TRUNCATED;
		plen = buf[t];
		if (plen == 0)
			return ISUP_DEC_MISSING_MANDATORY;
		if (len - t - 1 < plen)
			return ISUP_DEC_TRUNCATED;
		if (add_view(m, f->var[i], ISUP_PART_VAR, buf + t + 1, plen))
			return ISUP_DEC_TOO_MANY_PARAMS;
	}
	/* Octets no pointer leads to are skipped (libss7 puts an optional-part
	 * pointer in the ANSI GRS, which has no optional part). */
	if (!opt_ptr || buf[pos + f->nvar] == 0)
		return ISUP_DEC_OK; /* Q.763 1.8: pointer 0 means no optional part */

	t = pos + f->nvar + buf[pos + f->nvar];
	if (t < ptr_end)
		return ISUP_DEC_BAD_POINTER;
	for (;;) {
		uint8_t code, plen;

		if (t >= len)
			return ISUP_DEC_TRUNCATED; /* no end of optional parameters octet */
		code = buf[t];
		if (code == ISUP_PAR_END_OF_OPTIONAL_PARAMETERS)
			return ISUP_DEC_OK; /* octets after it are not looked at */
		if (len - t < 2)
			return ISUP_DEC_TRUNCATED;
		plen = buf[t + 1];
		if (len - t - 2 < plen)
			return ISUP_DEC_TRUNCATED;
		if (add_view(m, code, ISUP_PART_OPT, buf + t + 2, plen))
			return ISUP_DEC_TOO_MANY_PARAMS;
		t += 2 + (size_t)plen;
	}
}

int isup_msg_decode(enum isup_variant v, const uint8_t *buf, size_t len, struct isup_msg *out,
		    enum isup_decode_err *err)
{
	const struct isup_fmt *f;
	struct isup_msg m;
	enum isup_decode_err e;

	if (len < 3) {
		*err = ISUP_DEC_TRUNCATED;
		return -EBADMSG;
	}
	m.cic = (uint16_t)((buf[0] | buf[1] << 8) & cic_mask(v));
	m.type = buf[2];
	m.nparams = 0;
	f = isup_fmt_get(v, m.type);
	if (!f) {
		/* Q.764 2.9.5.1: the caller answers with CFN, so it needs both. */
		out->cic = m.cic;
		out->type = m.type;
		out->nparams = 0;
		*err = ISUP_DEC_UNKNOWN_TYPE;
		return -ENOTSUP;
	}
	e = decode_body(f, buf, len, &m);
	*err = e;
	if (e != ISUP_DEC_OK)
		return -EBADMSG;
	out->cic = m.cic;
	out->type = m.type;
	out->nparams = m.nparams;
	memcpy(out->p, m.p, m.nparams * sizeof(m.p[0]));
	return 0;
}

static const struct isup_fmt *any_fmt(uint8_t type)
{
	const struct isup_fmt *f = isup_fmt_get(ISUP_VAR_ITU, type);

	return f ? f : isup_fmt_get(ISUP_VAR_ANSI, type);
}

static enum isup_part part_in(const struct isup_fmt *f, uint8_t code)
{
	unsigned i;

	if (!f)
		return ISUP_PART_OPT;
	for (i = 0; i < f->nfixed; i++)
		if (f->fixed[i].code == code)
			return ISUP_PART_FIXED;
	for (i = 0; i < f->nvar; i++)
		if (f->var[i] == code)
			return ISUP_PART_VAR;
	return ISUP_PART_OPT;
}

enum isup_part isup_msg_part(enum isup_variant v, uint8_t type, uint8_t code)
{
	return part_in(isup_fmt_get(v, type), code);
}

void isup_msg_init(struct isup_msg *m, uint8_t type, uint16_t cic)
{
	m->cic = cic;
	m->type = type;
	m->nparams = 0;
}

int isup_msg_add(struct isup_msg *m, uint8_t code, const void *val, size_t len)
{
	if (len > 255)
		return -EINVAL;
	/* The variant is not known yet: the part recorded here follows the ITU
	 * format (ANSI for ANSI-only messages); isup_msg_encode() places each
	 * parameter by the variant's own format. */
	return add_view(m, code, (uint8_t)part_in(any_fmt(m->type), code), val, (uint8_t)len);
}

/* First parameter with this code not yet placed. */
static int take(const struct isup_msg *m, uint8_t code, uint64_t *used)
{
	unsigned i;

	for (i = 0; i < m->nparams; i++)
		if (m->p[i].code == code && !(*used & (1ULL << i))) {
			*used |= 1ULL << i;
			return (int)i;
		}
	return -1;
}

int isup_msg_encode(enum isup_variant v, const struct isup_msg *m, uint8_t *buf, size_t size)
{
	const struct isup_fmt *f = isup_fmt_get(v, m->type);
	uint64_t used = 0;
	size_t n, ptr_pos;
	unsigned i;
	bool any_opt = false;

	if (!f || m->cic > cic_mask(v) || m->nparams > ISUP_MAX_PARAMS)
		return -EINVAL;
	if (size < 3)
		return -ENOSPC;
	buf[0] = (uint8_t)(m->cic & 0xff);
	buf[1] = (uint8_t)(m->cic >> 8);
	buf[2] = m->type;
	n = 3;
	for (i = 0; i < f->nfixed; i++) {
		int k = take(m, f->fixed[i].code, &used);

		if (k < 0 || m->p[k].len != f->fixed[i].len)
			return -EINVAL;
		if (size - n < m->p[k].len)
			return -ENOSPC;
		memcpy(buf + n, m->p[k].val, m->p[k].len);
		n += m->p[k].len;
	}
	ptr_pos = n;
	n += f->nvar + (f->opt != ISUP_OPT_NONE ? 1 : 0);
	if (n > size)
		return -ENOSPC;
	for (i = 0; i < f->nvar; i++) {
		int k = take(m, f->var[i], &used);

		if (k < 0 || m->p[k].len == 0)
			return -EINVAL;
		if (n - (ptr_pos + i) > 255)
			return -EINVAL;
		if (size - n < 1 + (size_t)m->p[k].len)
			return -ENOSPC;
		buf[ptr_pos + i] = (uint8_t)(n - (ptr_pos + i));
		buf[n++] = m->p[k].len;
		memcpy(buf + n, m->p[k].val, m->p[k].len);
		n += m->p[k].len;
	}
	for (i = 0; i < m->nparams; i++)
		if (!(used & (1ULL << i)))
			any_opt = true;
	if (f->opt == ISUP_OPT_NONE)
		return any_opt ? -EINVAL : (int)n;
	if (!any_opt) {
		buf[ptr_pos + f->nvar] = 0;
		return (int)n;
	}
	if (n - (ptr_pos + f->nvar) > 255)
		return -EINVAL;
	buf[ptr_pos + f->nvar] = (uint8_t)(n - (ptr_pos + f->nvar));
	for (i = 0; i < m->nparams; i++) {
		const struct isup_param *p = &m->p[i];

		if (used & (1ULL << i))
			continue;
		if (p->code == ISUP_PAR_END_OF_OPTIONAL_PARAMETERS)
			return -EINVAL;
		if (size - n < 2 + (size_t)p->len)
			return -ENOSPC;
		buf[n++] = p->code;
		buf[n++] = p->len;
		memcpy(buf + n, p->val, p->len);
		n += p->len;
	}
	if (n >= size)
		return -ENOSPC;
	buf[n++] = ISUP_PAR_END_OF_OPTIONAL_PARAMETERS;
	return (int)n;
}

const struct isup_param *isup_msg_param(const struct isup_msg *m, uint8_t code)
{
	unsigned i;

	for (i = 0; i < m->nparams; i++)
		if (m->p[i].code == code)
			return &m->p[i];
	return NULL;
}

int isup_msg_u8(const struct isup_msg *m, uint8_t code, uint8_t *v)
{
	const struct isup_param *p = isup_msg_param(m, code);

	if (!p)
		return -ENOENT;
	if (p->len != 1)
		return -EBADMSG;
	*v = p->val[0];
	return 0;
}

bool isup_param_known(uint8_t code)
{
	return isup_param_name(code) != NULL;
}

int isup_pci_find(const struct isup_msg *m, uint8_t code, uint8_t *ii)
{
	const struct isup_param *p =
		isup_msg_param(m, ISUP_PAR_PARAMETER_COMPATIBILITY_INFORMATION);
	size_t i = 0;

	if (!p)
		return -ENOENT;
	/* Q.763 3.41: upgraded parameter name, then instruction indicator
	 * octets, each with bit 8 set on the last one */
	while (i < p->len) {
		uint8_t name = p->val[i++], first;

		if (i >= p->len)
			return -EBADMSG;
		first = p->val[i];
		while (i < p->len && !(p->val[i] & 0x80))
			i++;
		if (i >= p->len)
			return -EBADMSG; /* no last octet */
		i++;
		if (name == code) {
			*ii = first;
			return 0;
		}
	}
	return -ENOENT;
}

enum isup_compat isup_param_compat(const struct isup_msg *m, uint8_t code, bool pass_on,
				   bool *notify)
{
	uint8_t ii;

	if (notify)
		*notify = false;
	if (isup_pci_find(m, code, &ii) < 0)
		return pass_on ? ISUP_COMPAT_PASS_ON : ISUP_COMPAT_DISCARD_PARAM;
	if (notify)
		*notify = ii & 0x04; /* C */
	if (ii & 0x01) {	     /* A: end node interpretation */
		if (ii & 0x02)
			return ISUP_COMPAT_RELEASE;
		if (ii & 0x08)
			return ISUP_COMPAT_DISCARD_MSG;
		if (ii & 0x10)
			return ISUP_COMPAT_DISCARD_PARAM;
	}
	if (pass_on)
		return ISUP_COMPAT_PASS_ON;
	switch ((ii >> 5) & 3) { /* G F: pass on not possible */
	case 1:
		return ISUP_COMPAT_DISCARD_MSG;
	case 2:
		return ISUP_COMPAT_DISCARD_PARAM;
	default:
		return ISUP_COMPAT_RELEASE; /* 00, and 11 interpreted as 00 */
	}
}

const char *isup_compat_name(enum isup_compat c)
{
	switch (c) {
	case ISUP_COMPAT_PASS_ON:
		return "pass on";
	case ISUP_COMPAT_DISCARD_PARAM:
		return "discard parameter";
	case ISUP_COMPAT_DISCARD_MSG:
		return "discard message";
	case ISUP_COMPAT_RELEASE:
		return "release call";
	}
	return "?";
}
