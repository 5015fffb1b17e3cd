/* ISUP message <-> JSON (see isup_json.h). The reader is a small
 * recursive-descent parser into a fixed node array: enough for the objects
 * isup_json_print() writes and people type. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sigtran/isup_json.h"
#include "sigtran/isup_param.h"
#include "sigtran/isup_proto.h"

/* ---- writer ---- */

struct jw {
	char *b;
	size_t size, n;
};

static void __attribute__((format(printf, 2, 3))) jw_printf(struct jw *w, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(w->n < w->size ? w->b + w->n : NULL, w->n < w->size ? w->size - w->n : 0, fmt,
		      ap);
	va_end(ap);
	if (r > 0)
		w->n += (size_t)r;
}

static void jw_hex(struct jw *w, const uint8_t *p, size_t n)
{
	size_t i;

	jw_printf(w, "\"");
	for (i = 0; i < n; i++)
		jw_printf(w, "%02x", p[i]);
	jw_printf(w, "\"");
}

static const char *tf(bool b)
{
	return b ? "true" : "false";
}

static void print_number(struct jw *w, uint8_t code, const struct isup_number *n)
{
	int f = isup_number_fields(code);

	jw_printf(w, "{");
	if (f & ISUP_NUM_F_NQI)
		jw_printf(w, "\"nqi\":%u,", n->nqi);
	if (!(f & ISUP_NUM_F_NO_NOA))
		jw_printf(w, "\"noa\":%u,\"npi\":%u,", n->noa, n->npi);
	if (f & ISUP_NUM_F_INN)
		jw_printf(w, "\"inn\":%u,", n->inn);
	if (f & ISUP_NUM_F_NI)
		jw_printf(w, "\"ni\":%u,", n->ni);
	if (f & ISUP_NUM_F_APRI)
		jw_printf(w, "\"apri\":%u,", n->apri);
	if (f & ISUP_NUM_F_SI)
		jw_printf(w, "\"screening\":%u,", n->screening);
	jw_printf(w, "\"digits\":\"%s\",\"st\":%s}", n->digits, tf(n->st));
}

/* Typed value of one parameter; false when the code has no typed form or
 * the value does not decode (the caller prints hex then). */
static bool print_typed(struct jw *w, uint8_t code, const uint8_t *p, size_t len)
{
	struct isup_number num;
	struct isup_cause c;
	struct isup_bci b;
	struct isup_range_status rs;

	if (isup_number_fields(code) >= 0) {
		if (isup_number_decode(code, p, len, &num))
			return false;
		print_number(w, code, &num);
		return true;
	}
	switch (code) {
	case ISUP_PAR_CAUSE_INDICATORS:
		if (isup_cause_decode(p, len, &c))
			return false;
		jw_printf(w, "{\"location\":%u,\"coding_standard\":%u,", c.location,
			  c.coding_standard);
		if (c.rec_present)
			jw_printf(w, "\"recommendation\":%u,", c.rec);
		jw_printf(w, "\"value\":%u,\"diagnostics\":", c.value);
		jw_hex(w, c.diag, c.diag_len);
		jw_printf(w, "}");
		return true;
	case ISUP_PAR_BACKWARD_CALL_INDICATORS:
		if (isup_bci_decode(p, len, &b))
			return false;
		jw_printf(w,
			  "{\"charge\":%u,\"called_status\":%u,\"called_category\":%u,"
			  "\"e2e_method\":%u,\"interworking\":%s,\"e2e_info\":%s,"
			  "\"isup_all_the_way\":%s,\"holding\":%s,\"isdn_access\":%s,"
			  "\"echo_control_device\":%s,\"sccp_method\":%u}",
			  b.charge, b.called_status, b.called_category, b.e2e_method,
			  tf(b.interworking), tf(b.e2e_info), tf(b.isup_all_the_way), tf(b.holding),
			  tf(b.isdn_access), tf(b.echo_control_device), b.sccp_method);
		return true;
	case ISUP_PAR_RANGE_AND_STATUS:
		if (isup_range_status_decode(p, len, &rs))
			return false;
		jw_printf(w, "{\"range\":%u,\"status\":", rs.range);
		jw_hex(w, rs.status, rs.status_len);
		jw_printf(w, "}");
		return true;
	case ISUP_PAR_NATURE_OF_CONNECTION_INDICATORS:
		/* Q.763 3.35 */
		if (len != 1)
			return false;
		jw_printf(w,
			  "{\"satellite\":%u,\"continuity_check\":%u,\"echo_control_device\":%s}",
			  p[0] & 3, (p[0] >> 2) & 3, tf(p[0] & 0x10));
		return true;
	case ISUP_PAR_FORWARD_CALL_INDICATORS:
		/* Q.763 3.23: bits A to P */
		if (len != 2)
			return false;
		jw_printf(w,
			  "{\"international\":%s,\"e2e_method\":%u,\"interworking\":%s,"
			  "\"e2e_info\":%s,\"isup_all_the_way\":%s,\"isup_preference\":%u,"
			  "\"isdn_access\":%s,\"sccp_method\":%u,\"ported_number_translated\":%s,"
			  "\"qor_attempt\":%s,\"national\":%u}",
			  tf(p[0] & 1), (p[0] >> 1) & 3, tf(p[0] & 0x08), tf(p[0] & 0x10),
			  tf(p[0] & 0x20), p[0] >> 6, tf(p[1] & 1), (p[1] >> 1) & 3,
			  tf(p[1] & 0x08), tf(p[1] & 0x10), p[1] >> 5);
		return true;
	case ISUP_PAR_EVENT_INFORMATION:
		/* Q.763 3.21 */
		if (len != 1)
			return false;
		jw_printf(w, "{\"event\":%u,\"presentation_restricted\":%s}", p[0] & 0x7f,
			  tf(p[0] & 0x80));
		return true;
	case ISUP_PAR_CALLING_PARTYS_CATEGORY:
	case ISUP_PAR_TRANSMISSION_MEDIUM_REQUIREMENT:
	case ISUP_PAR_TRANSMISSION_MEDIUM_USED:
	case ISUP_PAR_HOP_COUNTER:
	case ISUP_PAR_CIRCUIT_GROUP_SUPERVISION_TYPE:
	case ISUP_PAR_SUSPEND_RESUME_INDICATORS:
	case ISUP_PAR_CONTINUITY_INDICATORS:
	case ISUP_PAR_ORIGINATING_LINE_INFORMATION:
		if (len != 1)
			return false;
		jw_printf(w, "%u", p[0]);
		return true;
	default:
		return false;
	}
}

int isup_json_print(enum isup_variant v, const struct isup_msg *m, char *buf, size_t size)
{
	struct jw w = {.b = buf, .size = size};
	const char *tn = isup_msg_type_name(m->type);
	bool first = true;
	unsigned i, j, nunk = 0;

	(void)v;
	jw_printf(&w, "{\"cic\":%u,", m->cic);
	if (tn)
		jw_printf(&w, "\"type\":\"%s\",", tn);
	else
		jw_printf(&w, "\"type\":%u,", m->type);
	jw_printf(&w, "\"params\":{");
	for (i = 0; i < m->nparams; i++) {
		const struct isup_param *p = &m->p[i];
		const char *name = isup_param_name(p->code);
		unsigned seen = 0;

		if (!name) {
			nunk++;
			continue;
		}
		for (j = 0; j < i; j++)
			if (m->p[j].code == p->code)
				seen++;
		jw_printf(&w, "%s\"%s", first ? "" : ",", name);
		if (seen)
			jw_printf(&w, "_%u", seen + 1);
		jw_printf(&w, "\":");
		first = false;
		if (!print_typed(&w, p->code, p->val, p->len)) {
			jw_printf(&w, "{\"hex\":");
			jw_hex(&w, p->val, p->len);
			jw_printf(&w, "}");
		}
	}
	jw_printf(&w, "}");
	if (nunk) {
		first = true;
		jw_printf(&w, ",\"unknown\":[");
		for (i = 0; i < m->nparams; i++) {
			const struct isup_param *p = &m->p[i];

			if (isup_param_name(p->code))
				continue;
			jw_printf(&w, "%s{\"code\":%u,\"hex\":", first ? "" : ",", p->code);
			jw_hex(&w, p->val, p->len);
			jw_printf(&w, "}");
			first = false;
		}
		jw_printf(&w, "]");
	}
	jw_printf(&w, "}");
	if (w.n >= size)
		return -ENOSPC;
	return (int)w.n;
}

/* ---- reader ---- */

enum jtype { J_OBJ, J_ARR, J_STR, J_NUM, J_TRUE, J_FALSE, J_NULL };

struct jn {
	uint8_t t;
	const char *k; /* member name in an object */
	size_t kl;
	const char *s; /* string value */
	size_t sl;
	long long num;
	int child, next; /* first child / next sibling, -1 none */
};

#define JMAX_NODES 512
#define JMAX_DEPTH 8

struct jr {
	const char *p;
	struct jn n[JMAX_NODES];
	int nn;
};

static void ws(struct jr *r)
{
	while (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r')
		r->p++;
}

static int jstring(struct jr *r, const char **s, size_t *l)
{
	const char *q;

	if (*r->p != '"')
		return -1;
	q = ++r->p;
	while (*r->p && *r->p != '"') {
		if (*r->p == '\\' || (unsigned char)*r->p < 0x20)
			return -1;
		r->p++;
	}
	if (*r->p != '"')
		return -1;
	*s = q;
	*l = (size_t)(r->p - q);
	r->p++;
	return 0;
}

static int jvalue(struct jr *r, int depth)
{
	struct jn *n;
	int idx, last = -1;

	ws(r);
	if (r->nn >= JMAX_NODES || depth > JMAX_DEPTH)
		return -1;
	idx = r->nn++;
	n = &r->n[idx];
	memset(n, 0, sizeof(*n));
	n->child = n->next = -1;
	if (*r->p == '{' || *r->p == '[') {
		bool obj = *r->p == '{';
		char close = obj ? '}' : ']';

		n->t = obj ? J_OBJ : J_ARR;
		r->p++;
		ws(r);
		if (*r->p == close) {
			r->p++;
			return idx;
		}
		for (;;) {
			const char *k = NULL;
			size_t kl = 0;
			int c;

			ws(r);
			if (obj) {
				if (jstring(r, &k, &kl))
					return -1;
				ws(r);
				if (*r->p++ != ':')
					return -1;
			}
			c = jvalue(r, depth + 1);
			if (c < 0)
				return -1;
			r->n[c].k = k;
			r->n[c].kl = kl;
			if (last < 0)
				r->n[idx].child = c;
			else
				r->n[last].next = c;
			last = c;
			ws(r);
			if (*r->p == ',') {
				r->p++;
				continue;
			}
			if (*r->p++ != close)
				return -1;
			return idx;
		}
	}
	if (*r->p == '"') {
		n->t = J_STR;
		return jstring(r, &n->s, &n->sl) ? -1 : idx;
	}
	if (*r->p == '-' || (*r->p >= '0' && *r->p <= '9')) {
		char *end;

		errno = 0;
		n->t = J_NUM;
		n->num = strtoll(r->p, &end, 10);
		if (errno || end == r->p || *end == '.' || *end == 'e' || *end == 'E')
			return -1;
		r->p = end;
		return idx;
	}
	if (!strncmp(r->p, "true", 4)) {
		n->t = J_TRUE;
		r->p += 4;
		return idx;
	}
	if (!strncmp(r->p, "false", 5)) {
		n->t = J_FALSE;
		r->p += 5;
		return idx;
	}
	if (!strncmp(r->p, "null", 4)) {
		n->t = J_NULL;
		r->p += 4;
		return idx;
	}
	return -1;
}

static int jget(const struct jr *r, int obj, const char *key)
{
	size_t kl = strlen(key);
	int c;

	if (obj < 0 || r->n[obj].t != J_OBJ)
		return -1;
	for (c = r->n[obj].child; c >= 0; c = r->n[c].next)
		if (r->n[c].kl == kl && !memcmp(r->n[c].k, key, kl))
			return c;
	return -1;
}

struct jctx {
	struct jr *r;
	char *err;
	size_t errlen;
};

static int fail(struct jctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct jctx *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->err, x->errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Integer member in [lo, hi]; booleans count as 0/1; absent gives 0. */
static int jint(struct jctx *x, int obj, const char *key, long long hi, unsigned *out)
{
	int c = jget(x->r, obj, key);
	const struct jn *n;

	*out = 0;
	if (c < 0)
		return 0;
	n = &x->r->n[c];
	if (n->t == J_TRUE || n->t == J_FALSE) {
		*out = n->t == J_TRUE;
		return hi >= 1 ? 0 : fail(x, "%s: out of range", key);
	}
	if (n->t != J_NUM || n->num < 0 || n->num > hi)
		return fail(x, "%s: want an integer 0..%lld", key, hi);
	*out = (unsigned)n->num;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hex string member into out; its length, or -EINVAL. Absent gives 0. */
static int jhex(struct jctx *x, int obj, const char *key, uint8_t *out, size_t size)
{
	int c = jget(x->r, obj, key);
	const struct jn *n;
	size_t i;

	if (c < 0)
		return 0;
	n = &x->r->n[c];
	if (n->t != J_STR || n->sl % 2 || n->sl / 2 > size)
		return fail(x, "%s: want an even-length hex string of at most %zu octets", key,
			    size);
	for (i = 0; i < n->sl / 2; i++) {
		int hi = hexval(n->s[2 * i]), lo = hexval(n->s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return fail(x, "%s: not hex", key);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (int)(n->sl / 2);
}

#define GET(key, hi, dst)                        \
	do {                                     \
		unsigned v_;                     \
		if (jint(x, node, key, hi, &v_)) \
			return -EINVAL;          \
		(dst) = (__typeof__(dst))v_;     \
	} while (0)

static int enc_number(struct jctx *x, uint8_t code, int node, uint8_t *out, size_t size)
{
	struct isup_number n;
	int c = jget(x->r, node, "digits"), r;

	memset(&n, 0, sizeof(n));
	GET("noa", 127, n.noa);
	GET("npi", 7, n.npi);
	GET("inn", 1, n.inn);
	GET("ni", 1, n.ni);
	GET("apri", 3, n.apri);
	GET("screening", 3, n.screening);
	GET("nqi", 255, n.nqi);
	GET("st", 1, n.st);
	if (c >= 0) {
		const struct jn *d = &x->r->n[c];

		if (d->t != J_STR || d->sl > ISUP_NUMBER_MAX_DIGITS)
			return fail(x, "digits: want a string of at most %d digits",
				    ISUP_NUMBER_MAX_DIGITS);
		memcpy(n.digits, d->s, d->sl);
	}
	r = isup_number_encode(code, &n, out, size);
	return r < 0 ? fail(x, "%s: bad number", isup_param_name(code)) : r;
}

/* The value of one parameter from its JSON; length written or -EINVAL. */
static int enc_param(struct jctx *x, uint8_t code, int node, uint8_t *out, size_t size)
{
	const struct jn *n = &x->r->n[node];
	struct isup_cause c;
	struct isup_bci b;
	struct isup_range_status rs;
	unsigned a[11];
	int r;

	if (n->t == J_NUM) {
		if (n->num < 0 || n->num > 255 || size < 1)
			return fail(x, "%s: want 0..255", isup_param_name(code));
		out[0] = (uint8_t)n->num;
		return 1;
	}
	if (n->t != J_OBJ)
		return fail(x, "%s: want an object or a number", isup_param_name(code));
	if (jget(x->r, node, "hex") >= 0)
		return jhex(x, node, "hex", out, size < 255 ? size : 255);
	if (isup_number_fields(code) >= 0)
		return enc_number(x, code, node, out, size);
	switch (code) {
	case ISUP_PAR_CAUSE_INDICATORS:
		memset(&c, 0, sizeof(c));
		GET("location", 15, c.location);
		GET("coding_standard", 3, c.coding_standard);
		GET("value", 127, c.value);
		if (jget(x->r, node, "recommendation") >= 0) {
			c.rec_present = true;
			GET("recommendation", 127, c.rec);
		}
		r = jhex(x, node, "diagnostics", c.diag, sizeof(c.diag));
		if (r < 0)
			return r;
		c.diag_len = (uint8_t)r;
		r = isup_cause_encode(&c, out, size);
		break;
	case ISUP_PAR_BACKWARD_CALL_INDICATORS:
		memset(&b, 0, sizeof(b));
		GET("charge", 3, b.charge);
		GET("called_status", 3, b.called_status);
		GET("called_category", 3, b.called_category);
		GET("e2e_method", 3, b.e2e_method);
		GET("interworking", 1, b.interworking);
		GET("e2e_info", 1, b.e2e_info);
		GET("isup_all_the_way", 1, b.isup_all_the_way);
		GET("holding", 1, b.holding);
		GET("isdn_access", 1, b.isdn_access);
		GET("echo_control_device", 1, b.echo_control_device);
		GET("sccp_method", 3, b.sccp_method);
		r = isup_bci_encode(&b, out, size);
		break;
	case ISUP_PAR_RANGE_AND_STATUS:
		memset(&rs, 0, sizeof(rs));
		GET("range", 255, rs.range);
		r = jhex(x, node, "status", rs.status, sizeof(rs.status));
		if (r < 0)
			return r;
		rs.status_len = (uint8_t)r;
		r = isup_range_status_encode(&rs, out, size);
		break;
	case ISUP_PAR_NATURE_OF_CONNECTION_INDICATORS:
		GET("satellite", 3, a[0]);
		GET("continuity_check", 3, a[1]);
		GET("echo_control_device", 1, a[2]);
		if (size < 1)
			return -ENOSPC;
		out[0] = (uint8_t)(a[0] | a[1] << 2 | a[2] << 4);
		r = 1;
		break;
	case ISUP_PAR_FORWARD_CALL_INDICATORS:
		GET("international", 1, a[0]);
		GET("e2e_method", 3, a[1]);
		GET("interworking", 1, a[2]);
		GET("e2e_info", 1, a[3]);
		GET("isup_all_the_way", 1, a[4]);
		GET("isup_preference", 3, a[5]);
		GET("isdn_access", 1, a[6]);
		GET("sccp_method", 3, a[7]);
		GET("ported_number_translated", 1, a[8]);
		GET("qor_attempt", 1, a[9]);
		GET("national", 7, a[10]);
		if (size < 2)
			return -ENOSPC;
		out[0] =
			(uint8_t)(a[0] | a[1] << 1 | a[2] << 3 | a[3] << 4 | a[4] << 5 | a[5] << 6);
		out[1] = (uint8_t)(a[6] | a[7] << 1 | a[8] << 3 | a[9] << 4 | a[10] << 5);
		r = 2;
		break;
	case ISUP_PAR_EVENT_INFORMATION:
		GET("event", 127, a[0]);
		GET("presentation_restricted", 1, a[1]);
		if (size < 1)
			return -ENOSPC;
		out[0] = (uint8_t)(a[0] | a[1] << 7);
		r = 1;
		break;
	default:
		return fail(x, "%s: give it as {\"hex\":\"..\"}", isup_param_name(code));
	}
	return r < 0 ? fail(x, "%s: cannot encode", isup_param_name(code)) : r;
}

/* "generic_number_2" -> code of generic_number. */
static int code_of(const char *k, size_t kl)
{
	char name[64];
	int code;

	if (kl >= sizeof(name))
		return -1;
	memcpy(name, k, kl);
	name[kl] = '\0';
	code = isup_param_from_name(name);
	if (code < 0) {
		char *u = strrchr(name, '_');

		if (u && u[1] && strspn(u + 1, "0123456789") == strlen(u + 1)) {
			*u = '\0';
			code = isup_param_from_name(name);
		}
	}
	return code;
}

static int add(struct jctx *x, struct isup_msg *m, uint8_t code, int node, uint8_t *store,
	       size_t store_size, size_t *used)
{
	int r = enc_param(x, code, node, store + *used, store_size - *used);

	if (r < 0)
		return r;
	if (r > 255)
		return fail(x, "parameter longer than 255 octets");
	if (isup_msg_add(m, code, store + *used, (size_t)r))
		return fail(x, "too many parameters");
	*used += (size_t)r;
	return 0;
}

int isup_json_parse(enum isup_variant v, const char *json, struct isup_msg *m, uint8_t *store,
		    size_t store_size, char *err, size_t errlen)
{
	struct jr *r = calloc(1, sizeof(*r));
	struct jctx x = {.r = r, .err = err, .errlen = errlen};
	int root, c, t, rc = -EINVAL;
	size_t used = 0;
	unsigned cic;
	char tname[8];

	(void)v;
	if (!r)
		return -ENOMEM;
	r->p = json;
	root = jvalue(r, 0);
	if (root >= 0)
		ws(r);
	if (root < 0 || *r->p || r->n[root].t != J_OBJ) {
		fail(&x, "not a JSON object (or nested too deep / escapes)");
		goto out;
	}
	if (jint(&x, root, "cic", 0xffff, &cic))
		goto out;
	c = jget(r, root, "type");
	if (c < 0 || r->n[c].t != J_STR || r->n[c].sl >= sizeof(tname)) {
		fail(&x, "type: want a message acronym");
		goto out;
	}
	memcpy(tname, r->n[c].s, r->n[c].sl);
	tname[r->n[c].sl] = '\0';
	t = isup_msg_type_from_name(tname);
	if (t < 0) {
		fail(&x, "type: unknown message %s", tname);
		goto out;
	}
	isup_msg_init(m, (uint8_t)t, (uint16_t)cic);
	c = jget(r, root, "params");
	if (c >= 0 && r->n[c].t != J_OBJ) {
		fail(&x, "params: want an object");
		goto out;
	}
	for (c = c >= 0 ? r->n[c].child : -1; c >= 0; c = r->n[c].next) {
		int code = code_of(r->n[c].k, r->n[c].kl);

		if (code < 0) {
			fail(&x, "params: unknown parameter %.*s", (int)r->n[c].kl, r->n[c].k);
			goto out;
		}
		if (add(&x, m, (uint8_t)code, c, store, store_size, &used))
			goto out;
	}
	c = jget(r, root, "unknown");
	if (c >= 0 && r->n[c].t != J_ARR) {
		fail(&x, "unknown: want an array");
		goto out;
	}
	for (c = c >= 0 ? r->n[c].child : -1; c >= 0; c = r->n[c].next) {
		unsigned code;

		if (r->n[c].t != J_OBJ || jget(r, c, "hex") < 0) {
			fail(&x, "unknown: want {\"code\":N,\"hex\":\"..\"}");
			goto out;
		}
		if (jint(&x, c, "code", 255, &code))
			goto out;
		if (add(&x, m, (uint8_t)code, c, store, store_size, &used))
			goto out;
	}
	rc = 0;
out:
	free(r);
	return rc;
}
