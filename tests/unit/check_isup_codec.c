/* sigtran/isup_msg, isup_param, isup_json: the vectors of tests/vectors/isup/
 * (decode, re-encode, JSON round trip, every truncation), every message
 * type of both variants through encode/decode, typed parameters. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sigtran/isup_fmt.h"
#include "sigtran/isup_json.h"
#include "sigtran/isup_msg.h"
#include "sigtran/isup_param.h"
#include "tests/unit/unit.h"

/* ---- vectors ---- */

#define MAX_VEC	  128
#define MAX_BYTES 512
#define MAX_PAR	  8

struct vec {
	char name[48];
	enum isup_variant v;
	uint8_t b[MAX_BYTES];
	size_t len;
	int expect; /* -1 ok, else enum isup_decode_err */
	int type, cic, n;
	unsigned npar;
	uint8_t par_code[MAX_PAR];
	uint8_t par_val[MAX_PAR][64];
	size_t par_len[MAX_PAR];
	uint8_t reenc[MAX_BYTES];
	size_t reenc_len;
	bool has_reenc;
};

static struct vec vecs[MAX_VEC];
static unsigned nvecs;
static char load_error[160];

static int unhex(const char *s, uint8_t *out, size_t size)
{
	size_t n = 0, l = strlen(s);

	if (l % 2 || l / 2 > size)
		return -1;
	for (; n < l / 2; n++) {
		unsigned x;

		if (sscanf(s + 2 * n, "%2x", &x) != 1)
			return -1;
		out[n] = (uint8_t)x;
	}
	return (int)n;
}

static int parse_expect(const char *s)
{
	static const char *const names[] = {
		[ISUP_DEC_TRUNCATED] = "truncated",
		[ISUP_DEC_BAD_POINTER] = "bad_pointer",
		[ISUP_DEC_UNKNOWN_TYPE] = "unknown",
		[ISUP_DEC_MISSING_MANDATORY] = "missing",
	};
	unsigned i;

	if (!strcmp(s, "ok"))
		return -1;
	for (i = 1; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i] && !strcmp(s, names[i]))
			return (int)i;
	return -2;
}

static int load_line(struct vec *v, char *line)
{
	char *tok, *save = NULL;
	int k = 0, r;

	memset(v, 0, sizeof(*v));
	v->type = v->cic = v->n = -1;
	for (tok = strtok_r(line, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save), k++) {
		switch (k) {
		case 0:
			if (strcmp(tok, "itu") && strcmp(tok, "ansi"))
				return -1;
			v->v = strcmp(tok, "itu") ? ISUP_VAR_ANSI : ISUP_VAR_ITU;
			continue;
		case 1:
			snprintf(v->name, sizeof(v->name), "%s/%s", v->v ? "ansi" : "itu", tok);
			continue;
		case 2:
			r = unhex(tok, v->b, sizeof(v->b));
			if (r < 0)
				return -1;
			v->len = (size_t)r;
			continue;
		case 3:
			v->expect = parse_expect(tok);
			if (v->expect == -2)
				return -1;
			continue;
		}
		if (!strncmp(tok, "type=", 5)) {
			v->type = isup_msg_type_from_name(tok + 5);
			if (v->type < 0)
				return -1;
		} else if (!strncmp(tok, "cic=", 4)) {
			v->cic = atoi(tok + 4);
		} else if (!strncmp(tok, "n=", 2)) {
			v->n = atoi(tok + 2);
		} else if (!strncmp(tok, "reenc=", 6)) {
			r = unhex(tok + 6, v->reenc, sizeof(v->reenc));
			if (r < 0)
				return -1;
			v->reenc_len = (size_t)r;
			v->has_reenc = true;
		} else if (!strncmp(tok, "par=", 4) && v->npar < MAX_PAR && strlen(tok) > 7 &&
			   tok[6] == ':') {
			unsigned code;

			if (sscanf(tok + 4, "%2x", &code) != 1)
				return -1;
			r = unhex(tok + 7, v->par_val[v->npar], sizeof(v->par_val[0]));
			if (r < 0)
				return -1;
			v->par_code[v->npar] = (uint8_t)code;
			v->par_len[v->npar++] = (size_t)r;
		} else {
			return -1;
		}
	}
	return k >= 4 ? 0 : -1;
}

static void load_file(const char *rel)
{
	FILE *f = fopen(unit_vector_path(rel), "r");
	char line[1024];
	unsigned lineno = 0;

	if (!f) {
		snprintf(load_error, sizeof(load_error), "cannot open %s", rel);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (nvecs >= MAX_VEC || load_line(&vecs[nvecs], line)) {
			snprintf(load_error, sizeof(load_error), "%s:%u: bad vector line", rel,
				 lineno);
			break;
		}
		nvecs++;
	}
	fclose(f);
}

START_TEST(test_vectors_loaded)
{
	ck_assert_msg(!load_error[0], "%s", load_error);
	ck_assert_uint_ge(nvecs, 40);
}
END_TEST

START_TEST(test_vector)
{
	const struct vec *v = &vecs[_i];
	uint8_t *copy = malloc(v->len ? v->len : 1), out[MAX_BYTES], store[MAX_BYTES];
	enum isup_decode_err err = ISUP_DEC_OK;
	struct isup_msg m, m2;
	char json[8192], json2[8192], why[160];
	int rc, n, n2;
	unsigned i;

	/* An exact-size heap copy: ASan sees any read past the end. */
	memcpy(copy, v->b, v->len);
	rc = isup_msg_decode(v->v, copy, v->len, &m, &err);
	if (v->expect >= 0) {
		ck_assert_msg(rc < 0, "%s: decoded, expected an error", v->name);
		ck_assert_msg((int)err == v->expect, "%s: error %d, want %d", v->name, err,
			      v->expect);
		ck_assert_int_eq(rc, v->expect == ISUP_DEC_UNKNOWN_TYPE ? -ENOTSUP : -EBADMSG);
		if (v->cic >= 0)
			ck_assert_int_eq(m.cic, v->cic);
		goto out;
	}
	ck_assert_msg(rc == 0, "%s: rc %d (%s)", v->name, rc, isup_decode_err_str(err));
	if (v->type >= 0)
		ck_assert_int_eq(m.type, v->type);
	if (v->cic >= 0)
		ck_assert_int_eq(m.cic, v->cic);
	if (v->n >= 0)
		ck_assert_msg((int)m.nparams == v->n, "%s: %u params, want %d", v->name, m.nparams,
			      v->n);
	for (i = 0; i < v->npar; i++) {
		const struct isup_param *p = isup_msg_param(&m, v->par_code[i]);

		ck_assert_msg(p != NULL, "%s: no parameter %02x", v->name, v->par_code[i]);
		ck_assert_uint_eq(p->len, v->par_len[i]);
		ck_assert_mem_eq(p->val, v->par_val[i], v->par_len[i]);
		/* views into the input, not copies */
		ck_assert(p->val >= copy && p->val + p->len <= copy + v->len);
	}
	/* Re-encode: the same bytes (or the canonical ones the vector names). */
	n = isup_msg_encode(v->v, &m, out, sizeof(out));
	ck_assert_msg(n > 0, "%s: encode %d", v->name, n);
	if (v->has_reenc) {
		ck_assert_uint_eq((size_t)n, v->reenc_len);
		ck_assert_mem_eq(out, v->reenc, v->reenc_len);
	} else {
		ck_assert_uint_eq((size_t)n, v->len);
		ck_assert_mem_eq(out, v->b, v->len);
	}
	/* JSON round trip: JSON -> message -> bytes -> message -> the same JSON
	 * (unknown parameters move to the end, so compare JSON, not bytes). */
	ck_assert_int_gt(isup_json_print(v->v, &m, json, sizeof(json)), 0);
	ck_assert_msg(isup_json_parse(v->v, json, &m2, store, sizeof(store), why, sizeof(why)) == 0,
		      "%s: %s in %s", v->name, why, json);
	n2 = isup_msg_encode(v->v, &m2, out, sizeof(out));
	ck_assert_int_eq(n2, n);
	ck_assert_int_eq(isup_msg_decode(v->v, out, (size_t)n2, &m2, &err), 0);
	ck_assert_int_gt(isup_json_print(v->v, &m2, json2, sizeof(json2)), 0);
	ck_assert_str_eq(json2, json);
out:
	free(copy);
}
END_TEST

/* Every proper prefix of a message is an error (never a crash, never an
 * over-read: the prefix lives in an exact-size heap block), a malformed
 * vector's as much as a good one's: cutting a message short never mends it.
 * The one lenient exception: CFN/INR whose optional-part pointer 00 was cut
 * off, from a good message. */
START_TEST(test_truncations)
{
	const struct vec *v = &vecs[_i];
	size_t l;

	for (l = 0; l < v->len; l++) {
		uint8_t *p = malloc(l ? l : 1);
		enum isup_decode_err err;
		struct isup_msg m;
		int rc;

		memcpy(p, v->b, l);
		rc = isup_msg_decode(v->v, p, l, &m, &err);
		free(p);
		if (rc == 0) {
			/* the one prefix that may decode: a format whose
			 * optional-part pointer peers leave out (libss7's CFN,
			 * INR, ANSI RLC), cut just before a zero pointer */
			const struct isup_fmt *f = isup_fmt_get(v->v, v->b[2]);

			ck_assert_msg(v->expect < 0 && l == v->len - 1 && v->b[l] == 0 && f &&
					      f->opt == ISUP_OPT_LAX,
				      "%s: prefix of %zu octets decoded", v->name, l);
			continue;
		}
		/* a message type nobody knows stays unknown once its type
		 * octet is in */
		ck_assert_msg(rc == -EBADMSG || (v->expect == ISUP_DEC_UNKNOWN_TYPE &&
						 rc == -ENOTSUP && l >= 3),
			      "%s: prefix of %zu octets: rc %d", v->name, l, rc);
		ck_assert(err != ISUP_DEC_OK);
	}
}
END_TEST

/* ---- every message type, both variants ---- */

static const uint8_t some_bytes[] = {0x01, 0x10, 0x21, 0x43, 0x65, 0x87, 0x09, 0x00};

START_TEST(test_all_types_roundtrip)
{
	enum isup_variant var = _i ? ISUP_VAR_ANSI : ISUP_VAR_ITU;
	static const uint8_t unk[] = {0xde, 0xad};
	unsigned t, known = 0;

	for (t = 0; t < 256; t++) {
		const struct isup_fmt *f = isup_fmt_get(var, (uint8_t)t);
		uint8_t buf[256];
		struct isup_msg m, d;
		enum isup_decode_err err;
		unsigned i;
		int n;

		ck_assert(isup_msg_type_known(var, (uint8_t)t) == (f != NULL));
		if (!f)
			continue;
		known++;
		ck_assert_msg(isup_msg_type_name((uint8_t)t) != NULL, "type %u has no name", t);
		isup_msg_init(&m, (uint8_t)t, var == ISUP_VAR_ANSI ? 0x3001 : 0x0801);
		/* Added in reverse: the encoder places them by the format. */
		for (i = f->nvar; i-- > 0;)
			ck_assert_int_eq(isup_msg_add(&m, f->var[i], some_bytes, 2 + i), 0);
		for (i = 0; i < f->nfixed; i++)
			ck_assert_int_eq(
				isup_msg_add(&m, f->fixed[i].code, some_bytes + i, f->fixed[i].len),
				0);
		if (f->opt != ISUP_OPT_NONE) {
			ck_assert_int_eq(isup_msg_add(&m, ISUP_PAR_HOP_COUNTER, some_bytes, 1), 0);
			ck_assert_int_eq(isup_msg_add(&m, 0xfe, unk, sizeof(unk)), 0);
		} else {
			/* no optional part: an optional parameter cannot be sent */
			ck_assert_int_eq(isup_msg_add(&m, ISUP_PAR_HOP_COUNTER, some_bytes, 1), 0);
			ck_assert_int_eq(isup_msg_encode(var, &m, buf, sizeof(buf)), -EINVAL);
			m.nparams--;
		}
		n = isup_msg_encode(var, &m, buf, sizeof(buf));
		ck_assert_msg(n >= 3, "type %02x: encode %d", t, n);
		ck_assert_int_eq(isup_msg_decode(var, buf, (size_t)n, &d, &err), 0);
		ck_assert_uint_eq(d.type, t);
		ck_assert_uint_eq(d.cic, m.cic);
		ck_assert_uint_eq(d.nparams, m.nparams);
		for (i = 0; i < m.nparams; i++) {
			const struct isup_param *a = &m.p[i];
			const struct isup_param *b = NULL;
			unsigned j;

			for (j = 0; j < d.nparams; j++)
				if (d.p[j].code == a->code)
					b = &d.p[j];
			ck_assert_msg(b != NULL, "type %02x: lost %02x", t, a->code);
			ck_assert_uint_eq(b->len, a->len);
			ck_assert_mem_eq(b->val, a->val, a->len);
			ck_assert_int_eq(b->part, isup_msg_part(var, (uint8_t)t, a->code));
		}
		/* one octet short of room: -ENOSPC, never a write past the end */
		ck_assert_int_eq(isup_msg_encode(var, &m, buf, (size_t)n - 1), -ENOSPC);
		/* each mandatory one missing: -EINVAL */
		for (i = 0; i < f->nfixed + f->nvar; i++) {
			struct isup_msg less = m;

			memmove(&less.p[i], &less.p[i + 1],
				(less.nparams - i - 1) * sizeof(less.p[0]));
			less.nparams--;
			ck_assert_int_eq(isup_msg_encode(var, &less, buf, sizeof(buf)), -EINVAL);
		}
	}
	/* Q.763 Table 4 has 49 types in use here; T1.113 drops SAM, CON, USR,
	 * CMR/CMC/CMRJ, FAR/FAA/FRJ, ... and adds CRA, CRM, CVR, CVT, EXM. */
	ck_assert_uint_ge(known, var == ISUP_VAR_ITU ? 45 : 30);
}
END_TEST

START_TEST(test_variant_differences)
{
	static const uint8_t nci = 0, fci[2] = {0x20, 0x01}, cpc = 0x0a, tmr = 0,
			     usi[] = {0x80, 0x90, 0xa2}, cdpn[] = {0x03, 0x10, 0x21, 0xf3};
	uint8_t buf[64];
	struct isup_msg m, d;
	enum isup_decode_err err;
	int n;

	isup_msg_init(&m, ISUP_MT_IAM, 0x1000);
	isup_msg_add(&m, ISUP_PAR_NATURE_OF_CONNECTION_INDICATORS, &nci, 1);
	isup_msg_add(&m, ISUP_PAR_FORWARD_CALL_INDICATORS, fci, 2);
	isup_msg_add(&m, ISUP_PAR_CALLING_PARTYS_CATEGORY, &cpc, 1);
	isup_msg_add(&m, ISUP_PAR_USER_SERVICE_INFORMATION, usi, sizeof(usi));
	isup_msg_add(&m, ISUP_PAR_CALLED_PARTY_NUMBER, cdpn, sizeof(cdpn));
	/* ITU: CIC 0x1000 does not fit 12 bits; and TMR is missing */
	ck_assert_int_eq(isup_msg_encode(ISUP_VAR_ITU, &m, buf, sizeof(buf)), -EINVAL);
	/* ANSI: USI is mandatory variable, before the called number */
	n = isup_msg_encode(ISUP_VAR_ANSI, &m, buf, sizeof(buf));
	ck_assert_int_eq(n, 3 + 4 + 3 + 4 + 5);
	ck_assert_uint_eq(buf[7], 3);	  /* USI pointer */
	ck_assert_uint_eq(buf[8], 2 + 4); /* called pointer */
	ck_assert_uint_eq(buf[9], 0);	  /* no optional part */
	ck_assert_uint_eq(buf[10], 3);
	ck_assert_int_eq(isup_msg_decode(ISUP_VAR_ANSI, buf, (size_t)n, &d, &err), 0);
	ck_assert_uint_eq(d.cic, 0x1000);
	ck_assert_int_eq(isup_msg_param(&d, ISUP_PAR_USER_SERVICE_INFORMATION)->part,
			 ISUP_PART_VAR);
	/* ITU: with TMR and a 12-bit CIC, USI goes to the optional part */
	m.cic = 0x0123;
	isup_msg_add(&m, ISUP_PAR_TRANSMISSION_MEDIUM_REQUIREMENT, &tmr, 1);
	n = isup_msg_encode(ISUP_VAR_ITU, &m, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(isup_msg_decode(ISUP_VAR_ITU, buf, (size_t)n, &d, &err), 0);
	ck_assert_int_eq(isup_msg_param(&d, ISUP_PAR_USER_SERVICE_INFORMATION)->part,
			 ISUP_PART_OPT);
	ck_assert_int_eq(isup_msg_param(&d, ISUP_PAR_TRANSMISSION_MEDIUM_REQUIREMENT)->part,
			 ISUP_PART_FIXED);
	/* the same bytes are not an ANSI IAM of the same meaning */
	ck_assert_int_ne(isup_msg_decode(ISUP_VAR_ANSI, buf, (size_t)n, &d, &err) == 0 &&
				 isup_msg_param(&d, ISUP_PAR_TRANSMISSION_MEDIUM_REQUIREMENT) !=
					 NULL,
			 1);
}
END_TEST

START_TEST(test_unknown_param_kept)
{
	/* ANM with an unknown optional parameter fe (Q.764 2.9.5.3 leaves its
	 * handling to the caller, so the codec keeps the bytes). */
	static const uint8_t anm[] = {0x05, 0x00, 0x09, 0x01, 0xfe, 0x02, 0xab, 0xcd, 0x00};
	struct isup_msg m;
	enum isup_decode_err err;
	const struct isup_param *p;
	uint8_t out[16];
	char json[512];

	ck_assert_int_eq(isup_msg_decode(ISUP_VAR_ITU, anm, sizeof(anm), &m, &err), 0);
	p = isup_msg_param(&m, 0xfe);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(p->part, ISUP_PART_OPT);
	ck_assert_uint_eq(p->len, 2);
	ck_assert_ptr_eq(p->val, anm + 6);
	ck_assert_int_eq(isup_msg_encode(ISUP_VAR_ITU, &m, out, sizeof(out)), sizeof(anm));
	ck_assert_mem_eq(out, anm, sizeof(anm));
	ck_assert_int_gt(isup_json_print(ISUP_VAR_ITU, &m, json, sizeof(json)), 0);
	ck_assert_ptr_nonnull(strstr(json, "\"unknown\":[{\"code\":254,\"hex\":\"abcd\"}]"));
}
END_TEST

START_TEST(test_msg_u8)
{
	static const uint8_t cpg[] = {0x07, 0x00, 0x2c, 0x01, 0x01, 0x11, 0x02, 0x16, 0x14, 0x00};
	struct isup_msg m;
	enum isup_decode_err err;
	uint8_t v = 0;

	ck_assert_int_eq(isup_msg_decode(ISUP_VAR_ITU, cpg, sizeof(cpg), &m, &err), 0);
	ck_assert_int_eq(isup_msg_u8(&m, ISUP_PAR_EVENT_INFORMATION, &v), 0);
	ck_assert_uint_eq(v, ISUP_EVENT_ALERTING);
	ck_assert_int_eq(isup_msg_u8(&m, ISUP_PAR_BACKWARD_CALL_INDICATORS, &v), -EBADMSG);
	ck_assert_int_eq(isup_msg_u8(&m, ISUP_PAR_HOP_COUNTER, &v), -ENOENT);
}
END_TEST

START_TEST(test_too_many_params)
{
	uint8_t buf[3 + 1 + 60 * 3 + 1];
	struct isup_msg m;
	enum isup_decode_err err;
	size_t n = 0;
	unsigned i;

	buf[n++] = 1;
	buf[n++] = 0;
	buf[n++] = ISUP_MT_ANM;
	buf[n++] = 1;
	for (i = 0; i < 60; i++) {
		buf[n++] = ISUP_PAR_HOP_COUNTER;
		buf[n++] = 1;
		buf[n++] = (uint8_t)i;
	}
	buf[n++] = 0;
	ck_assert_int_eq(isup_msg_decode(ISUP_VAR_ITU, buf, n, &m, &err), -EBADMSG);
	ck_assert_int_eq(err, ISUP_DEC_TOO_MANY_PARAMS);
	isup_msg_init(&m, ISUP_MT_ANM, 1);
	for (i = 0; i < ISUP_MAX_PARAMS; i++)
		ck_assert_int_eq(isup_msg_add(&m, ISUP_PAR_HOP_COUNTER, buf, 1), 0);
	ck_assert_int_eq(isup_msg_add(&m, ISUP_PAR_HOP_COUNTER, buf, 1), -ENOSPC);
}
END_TEST

/* ---- typed parameters ---- */

START_TEST(test_number_digits)
{
	/* Q.763 3.9: odd "1*#" + ST is even (4 nibbles): 0x03 national, NPI 1. */
	static const uint8_t called[] = {0x03, 0x10, 0xb1, 0xfc};
	struct isup_number n, e;
	uint8_t buf[32];
	int len;

	ck_assert_int_eq(
		isup_number_decode(ISUP_PAR_CALLED_PARTY_NUMBER, called, sizeof(called), &n), 0);
	ck_assert_str_eq(n.digits, "1*#");
	ck_assert(n.st);
	ck_assert_uint_eq(n.noa, ISUP_NOA_NATIONAL);
	ck_assert_uint_eq(n.npi, ISUP_NPI_ISDN);
	len = isup_number_encode(ISUP_PAR_CALLED_PARTY_NUMBER, &n, buf, sizeof(buf));
	ck_assert_int_eq(len, sizeof(called));
	ck_assert_mem_eq(buf, called, sizeof(called));
	/* odd count: O/E set, filler 0 */
	memset(&e, 0, sizeof(e));
	e.noa = ISUP_NOA_INTERNATIONAL;
	e.npi = 1;
	e.ni = 1;
	e.apri = ISUP_APRI_RESTRICTED;
	e.screening = ISUP_SCREEN_NETWORK;
	strcpy(e.digits, "49301");
	len = isup_number_encode(ISUP_PAR_CALLING_PARTY_NUMBER, &e, buf, sizeof(buf));
	ck_assert_int_eq(len, 5);
	ck_assert_uint_eq(buf[0], 0x84);
	ck_assert_uint_eq(buf[1], 0x80 | 0x10 | 0x04 | 0x03);
	ck_assert_uint_eq(buf[4], 0x01);
	ck_assert_int_eq(isup_number_decode(ISUP_PAR_CALLING_PARTY_NUMBER, buf, (size_t)len, &n),
			 0);
	ck_assert_str_eq(n.digits, "49301");
	ck_assert_uint_eq(n.ni, 1);
	ck_assert_uint_eq(n.apri, ISUP_APRI_RESTRICTED);
	ck_assert_uint_eq(n.screening, ISUP_SCREEN_NETWORK);
	ck_assert(!n.st);
	/* INN is not a field of the calling number: not written */
	e.inn = 1;
	e.ni = 0;
	ck_assert_int_eq(isup_number_encode(ISUP_PAR_CALLING_PARTY_NUMBER, &e, buf, sizeof(buf)),
			 5);
	ck_assert_uint_eq(buf[1] & 0x80, 0);
	/* no room; a bad digit; ST in the middle; odd with no digits */
	ck_assert_int_eq(isup_number_encode(ISUP_PAR_CALLING_PARTY_NUMBER, &e, buf, 4), -ENOSPC);
	strcpy(e.digits, "12x");
	ck_assert_int_eq(isup_number_encode(ISUP_PAR_CALLING_PARTY_NUMBER, &e, buf, sizeof(buf)),
			 -EINVAL);
	ck_assert_int_eq(isup_number_decode(ISUP_PAR_CALLED_PARTY_NUMBER,
					    (const uint8_t[]){0x03, 0x10, 0xf1, 0x32}, 4, &n),
			 -EBADMSG);
	ck_assert_int_eq(isup_number_decode(ISUP_PAR_CALLED_PARTY_NUMBER,
					    (const uint8_t[]){0x83, 0x10}, 2, &n),
			 -EBADMSG);
	ck_assert_int_eq(
		isup_number_decode(ISUP_PAR_CALLED_PARTY_NUMBER, (const uint8_t[]){0x83}, 1, &n),
		-EBADMSG);
	/* not a number parameter */
	ck_assert_int_eq(
		isup_number_decode(ISUP_PAR_CAUSE_INDICATORS, (const uint8_t[]){0x03, 0x10}, 2, &n),
		-EBADMSG);
}
END_TEST

START_TEST(test_number_layouts)
{
	/* generic number: NQI first; subsequent number: no NOA octet */
	static const uint8_t gn[] = {0x06, 0x84, 0x13, 0x21, 0x03};
	static const uint8_t sn[] = {0x80, 0x21, 0x03};
	struct isup_number n;
	uint8_t buf[16];

	ck_assert_int_eq(isup_number_decode(ISUP_PAR_GENERIC_NUMBER, gn, sizeof(gn), &n), 0);
	ck_assert_uint_eq(n.nqi, 6);
	ck_assert_uint_eq(n.noa, 4);
	ck_assert_uint_eq(n.screening, 3);
	ck_assert_str_eq(n.digits, "123");
	ck_assert_int_eq(isup_number_encode(ISUP_PAR_GENERIC_NUMBER, &n, buf, sizeof(buf)),
			 sizeof(gn));
	ck_assert_mem_eq(buf, gn, sizeof(gn));
	ck_assert_int_eq(isup_number_decode(ISUP_PAR_SUBSEQUENT_NUMBER, sn, sizeof(sn), &n), 0);
	ck_assert_str_eq(n.digits, "123");
	ck_assert_int_eq(isup_number_encode(ISUP_PAR_SUBSEQUENT_NUMBER, &n, buf, sizeof(buf)),
			 sizeof(sn));
	ck_assert_mem_eq(buf, sn, sizeof(sn));
	ck_assert_int_eq(isup_number_fields(ISUP_PAR_HOP_COUNTER), -1);
}
END_TEST

START_TEST(test_cause)
{
	static const uint8_t plain[] = {0x82, 0x90};
	static const uint8_t with3a[] = {0x02, 0x80, 0xab, 0x0a, 0x0b};
	struct isup_cause c;
	uint8_t buf[40];

	ck_assert_int_eq(isup_cause_decode(plain, sizeof(plain), &c), 0);
	ck_assert_uint_eq(c.value, ISUP_CAUSE_NORMAL_CLEARING);
	ck_assert_uint_eq(c.location, ISUP_LOC_PUBLIC_LOCAL);
	ck_assert_uint_eq(c.coding_standard, ISUP_CODING_ITU);
	ck_assert(!c.rec_present);
	ck_assert_uint_eq(c.diag_len, 0);
	ck_assert_int_eq(isup_cause_decode(with3a, sizeof(with3a), &c), 0);
	ck_assert(c.rec_present);
	ck_assert_uint_eq(c.value, ISUP_CAUSE_ACCESS_INFO_DISCARDED);
	ck_assert_uint_eq(c.diag_len, 2);
	ck_assert_int_eq(isup_cause_encode(&c, buf, sizeof(buf)), sizeof(with3a));
	ck_assert_mem_eq(buf, with3a, sizeof(with3a));
	ck_assert_int_eq(isup_cause_encode(&c, buf, 4), -ENOSPC);
	/* too short; 3a but no value octet; 3a with its extension bit clear */
	ck_assert_int_eq(isup_cause_decode(plain, 1, &c), -EBADMSG);
	ck_assert_int_eq(isup_cause_decode(with3a, 2, &c), -EBADMSG);
	ck_assert_int_eq(isup_cause_decode((const uint8_t[]){0x02, 0x00, 0x90}, 3, &c), -EBADMSG);
	c.value = 200;
	ck_assert_int_eq(isup_cause_encode(&c, buf, sizeof(buf)), -EINVAL);
}
END_TEST

START_TEST(test_bci)
{
	struct isup_bci b = {.charge = 2,
			     .called_status = 1,
			     .called_category = 1,
			     .e2e_method = 0,
			     .isup_all_the_way = true,
			     .isdn_access = true,
			     .echo_control_device = true,
			     .sccp_method = 3},
			d;
	uint8_t buf[2];

	ck_assert_int_eq(isup_bci_encode(&b, buf, sizeof(buf)), 2);
	ck_assert_uint_eq(buf[0], 0x16);
	ck_assert_uint_eq(buf[1], 0x04 | 0x10 | 0x20 | 0xc0);
	ck_assert_int_eq(isup_bci_decode(buf, 2, &d), 0);
	ck_assert_mem_eq(&d, &b, sizeof(b));
	ck_assert_int_eq(isup_bci_decode(buf, 1, &d), -EBADMSG);
	ck_assert_int_eq(isup_bci_encode(&b, buf, 1), -ENOSPC);
}
END_TEST

START_TEST(test_range_status)
{
	struct isup_range_status rs;
	uint8_t buf[40];

	ck_assert_int_eq(isup_range_status_decode((const uint8_t[]){0x1f}, 1, &rs), 0);
	ck_assert_uint_eq(rs.range, 31);
	ck_assert_uint_eq(rs.status_len, 0);
	/* range 8 = 9 circuits = 2 status octets */
	ck_assert_int_eq(isup_range_status_decode((const uint8_t[]){0x08, 0xff, 0x01}, 3, &rs), 0);
	ck_assert_uint_eq(rs.status_len, 2);
	ck_assert_uint_eq(rs.status[1], 1);
	ck_assert_int_eq(isup_range_status_encode(&rs, buf, sizeof(buf)), 3);
	ck_assert_int_eq(isup_range_status_decode((const uint8_t[]){0x08, 0xff}, 2, &rs), -EBADMSG);
	ck_assert_int_eq(isup_range_status_decode(buf, 0, &rs), -EBADMSG);
	rs.range = 255;
	rs.status_len = 32;
	ck_assert_int_eq(isup_range_status_encode(&rs, buf, sizeof(buf)), 33);
	rs.status_len = 31;
	ck_assert_int_eq(isup_range_status_encode(&rs, buf, sizeof(buf)), -EINVAL);
}
END_TEST

START_TEST(test_json_errors)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{\"cic\":1}",
		"{\"cic\":1,\"type\":\"XYZ\"}",
		"{\"cic\":70000,\"type\":\"RLC\"}",
		"{\"cic\":1,\"type\":\"RLC\",\"params\":{\"no_such\":1}}",
		"{\"cic\":1,\"type\":\"RLC\",\"params\":{\"hop_counter\":256}}",
		"{\"cic\":1,\"type\":\"RLC\",\"params\":{\"hop_counter\":{\"hex\":\"abc\"}}}",
		"{\"cic\":1,\"type\":\"REL\",\"params\":{\"cause_indicators\":{\"value\":128}}}",
		"{\"cic\":1,\"type\":\"RLC\"} x",
		"{\"cic\":1,\"type\":\"R\\LC\"}",
		"{\"cic\":1,\"type\":\"RLC\",\"params\":{\"hop_counter\":[[[[[[[[[[1]]]]]]]]]]}}",
	};
	struct isup_msg m;
	uint8_t store[256];
	char why[160];
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(isup_json_parse(ISUP_VAR_ITU, bad[i], &m, store, sizeof(store), why,
					      sizeof(why)) == -EINVAL,
			      "accepted %s", bad[i]);
	ck_assert_int_eq(
		isup_json_parse(ISUP_VAR_ITU,
				"{\"cic\":3,\"type\":\"REL\",\"params\":{\"cause_indicators\":"
				"{\"location\":2,\"value\":16}}}",
				&m, store, sizeof(store), why, sizeof(why)),
		0);
	ck_assert_uint_eq(m.nparams, 1);
	ck_assert_uint_eq(m.p[0].len, 2);
	ck_assert_mem_eq(m.p[0].val, "\x82\x90", 2);
}
END_TEST

Suite *isup_codec_suite(void)
{
	Suite *s = suite_create("isup_codec");
	TCase *tc;

	load_file("isup/itu.txt");
	load_file("isup/ansi.txt");
	load_file("isup/malformed.txt");
	load_file("isup/libss7.txt");

	tc = unit_tcase("vectors");
	tcase_add_test(tc, test_vectors_loaded);
	tcase_add_loop_test(tc, test_vector, 0, (int)nvecs);
	tcase_add_loop_test(tc, test_truncations, 0, (int)nvecs);
	suite_add_tcase(s, tc);

	tc = unit_tcase("msg");
	tcase_add_loop_test(tc, test_all_types_roundtrip, 0, 2);
	tcase_add_test(tc, test_variant_differences);
	tcase_add_test(tc, test_unknown_param_kept);
	tcase_add_test(tc, test_msg_u8);
	tcase_add_test(tc, test_too_many_params);
	suite_add_tcase(s, tc);

	tc = unit_tcase("param");
	tcase_add_test(tc, test_number_digits);
	tcase_add_test(tc, test_number_layouts);
	tcase_add_test(tc, test_cause);
	tcase_add_test(tc, test_bci);
	tcase_add_test(tc, test_range_status);
	tcase_add_test(tc, test_json_errors);
	suite_add_tcase(s, tc);
	return s;
}
