/* sigtran/m3ua_msg: RFC 4666 section 3 coding, framing and 3.8.1 error codes. */
#include <errno.h>
#include <string.h>

#include "sigtran/m3ua_msg.h"
#include "tests/unit/unit.h"

START_TEST(test_data_roundtrip)
{
	static const uint8_t isup[] = {0x01, 0x00, 0x01, 0x02, 0x03};
	struct m3ua_pdata pd = {.opc = 0x1234,
				.dpc = 0x0abc,
				.si = 5,
				.ni = 2,
				.mp = 0,
				.sls = 7,
				.data = isup,
				.data_len = sizeof(isup)};
	struct m3ua_pdata got;
	struct m3ua_enc e;
	struct m3ua_msg m;
	uint8_t buf[128];
	uint32_t ec, rc;
	int n;

	m3ua_enc_start(&e, buf, sizeof(buf), M3UA_CLS_XFER, M3UA_XFER_DATA);
	m3ua_enc_u32(&e, M3UA_IEI_ROUTE_CTX, 42);
	m3ua_enc_pdata(&e, &pd);
	n = m3ua_enc_finish(&e);
	/* 8 header + 8 RC + 4 + 12 + 5 padded to 8 */
	ck_assert_int_eq(n, 8 + 8 + 4 + 20);
	ck_assert_int_eq(m3ua_frame(buf, n), n);
	ck_assert_int_eq(m3ua_frame(buf, n - 1), -EAGAIN);
	ck_assert_int_eq(m3ua_decode(&m, buf, n, &ec), 0);
	ck_assert_uint_eq(m.nparams, 2);
	ck_assert_int_eq(m3ua_msg_u32(&m, M3UA_IEI_ROUTE_CTX, &rc), 0);
	ck_assert_uint_eq(rc, 42);
	ck_assert_int_eq(m3ua_pdata_decode(&got, m3ua_msg_find(&m, M3UA_IEI_PROT_DATA)), 0);
	ck_assert_uint_eq(got.opc, 0x1234);
	ck_assert_uint_eq(got.dpc, 0x0abc);
	ck_assert_uint_eq(got.sls, 7);
	ck_assert_uint_eq(got.data_len, sizeof(isup));
	ck_assert_mem_eq(got.data, isup, sizeof(isup));
	/* zero-copy: the view points into buf */
	ck_assert(got.data > buf && got.data < buf + n);
}
END_TEST

START_TEST(test_error_codes)
{
	uint8_t buf[16];
	struct m3ua_msg m;
	struct m3ua_enc e;
	uint32_t ec;
	int n;

	m3ua_enc_start(&e, buf, sizeof(buf), M3UA_CLS_ASPSM, M3UA_ASPSM_UP);
	n = m3ua_enc_finish(&e);
	ck_assert_int_eq(m3ua_decode(&m, buf, n, &ec), 0);
	buf[0] = 2;
	ck_assert_int_eq(m3ua_decode(&m, buf, n, &ec), -EBADMSG);
	ck_assert_uint_eq(ec, M3UA_ERR_INVAL_VERSION);
	/* framed all the same, so that the receiver can answer ERR (3.8.1) */
	ck_assert_int_eq(m3ua_frame(buf, n), n);
	buf[0] = 1;
	buf[2] = 7;
	ck_assert_int_eq(m3ua_decode(&m, buf, n, &ec), -EBADMSG);
	ck_assert_uint_eq(ec, M3UA_ERR_UNSUPP_MSG_CLASS);
	buf[2] = M3UA_CLS_ASPSM;
	buf[3] = 9;
	ck_assert_int_eq(m3ua_decode(&m, buf, n, &ec), -EBADMSG);
	ck_assert_uint_eq(ec, M3UA_ERR_UNSUPP_MSG_TYPE);
	/* DATA without Protocol Data */
	m3ua_enc_start(&e, buf, sizeof(buf), M3UA_CLS_XFER, M3UA_XFER_DATA);
	n = m3ua_enc_finish(&e);
	ck_assert_int_eq(m3ua_decode(&m, buf, n, &ec), -EBADMSG);
	ck_assert_uint_eq(ec, M3UA_ERR_MISSING_PARAM);
	/* parameter length running past the message */
	m3ua_enc_start(&e, buf, sizeof(buf), M3UA_CLS_ASPSM, M3UA_ASPSM_BEAT);
	m3ua_enc_u32(&e, M3UA_IEI_HEARDBT_DATA, 1);
	n = m3ua_enc_finish(&e);
	buf[11] = 40;
	ck_assert_int_eq(m3ua_decode(&m, buf, n, &ec), -EBADMSG);
	ck_assert_uint_eq(ec, M3UA_ERR_PARAM_FIELD_ERR);
	/* encoder refuses to overrun */
	m3ua_enc_start(&e, buf, sizeof(buf), M3UA_CLS_ASPSM, M3UA_ASPSM_BEAT);
	m3ua_enc_param(&e, M3UA_IEI_HEARDBT_DATA, buf, 9);
	ck_assert_int_eq(m3ua_enc_finish(&e), -ENOSPC);
}
END_TEST

/* Mandatory parameter per RFC 4666 3.4 (SSNM: Affected Point Code), 3.6 (RKM), 3.8 (MGMT). */
static uint16_t mandatory(uint8_t cls, unsigned int type)
{
	static const uint16_t rkm[] = {0, M3UA_IEI_ROUTING_KEY, M3UA_IEI_REG_RESULT,
				       M3UA_IEI_ROUTE_CTX, M3UA_IEI_DEREG_RESULT};

	if (cls == M3UA_CLS_SSNM)
		return M3UA_IEI_AFFECTED_PC;
	if (cls == M3UA_CLS_MGMT)
		return type == M3UA_MGMT_ERR ? M3UA_IEI_ERR_CODE : M3UA_IEI_STATUS;
	if (cls == M3UA_CLS_RKM && type < 5)
		return rkm[type];
	return 0;
}

START_TEST(test_every_type_roundtrip)
{
	/* RFC 4666 3.1.3: every defined class/type decodes back with its name; the next type
	 * number in each class is rejected with Unsupported Message Type. */
	static const struct {
		uint8_t cls, last;
	} classes[] = {{M3UA_CLS_MGMT, M3UA_MGMT_NTFY},
		       {M3UA_CLS_SSNM, M3UA_SSNM_DRST},
		       {M3UA_CLS_ASPSM, M3UA_ASPSM_BEAT_ACK},
		       {M3UA_CLS_ASPTM, M3UA_ASPTM_INACTIVE_ACK},
		       {M3UA_CLS_RKM, M3UA_RKM_DEREG_RSP}};
	uint8_t buf[32];
	struct m3ua_enc e;
	struct m3ua_msg m;
	uint32_t ec, v;
	unsigned int i, t;

	for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		uint8_t first = classes[i].cls == M3UA_CLS_MGMT ? 0 : 1;

		for (t = first; t <= classes[i].last + 1u; t++) {
			int n;

			uint16_t need = mandatory(classes[i].cls, t);

			if (need && t <= classes[i].last) {
				/* without its mandatory parameter: ERR Missing Parameter (0x16) */
				m3ua_enc_start(&e, buf, sizeof(buf), classes[i].cls, t);
				n = m3ua_enc_finish(&e);
				ck_assert_int_eq(m3ua_decode(&m, buf, n, &ec), -EBADMSG);
				ck_assert_uint_eq(ec, M3UA_ERR_MISSING_PARAM);
			}
			m3ua_enc_start(&e, buf, sizeof(buf), classes[i].cls, t);
			m3ua_enc_u32(&e, M3UA_IEI_CORR_ID, t * 1000u + i);
			if (need)
				m3ua_enc_u32(&e, need, 1);
			if (classes[i].cls == M3UA_CLS_SSNM && t == M3UA_SSNM_DUPU)
				m3ua_enc_u32(&e, M3UA_IEI_USER_CAUSE, 0x00010005);
			n = m3ua_enc_finish(&e);
			if (t > classes[i].last) {
				ck_assert_int_eq(m3ua_decode(&m, buf, n, &ec), -EBADMSG);
				ck_assert_uint_eq(ec, M3UA_ERR_UNSUPP_MSG_TYPE);
				continue;
			}
			ck_assert_int_eq(m3ua_decode(&m, buf, n, &ec), 0);
			ck_assert_uint_eq(m.cls, classes[i].cls);
			ck_assert_uint_eq(m.type, t);
			ck_assert_str_ne(m3ua_type_name(m.cls, m.type), "unknown");
			ck_assert_int_eq(m3ua_msg_u32(&m, M3UA_IEI_CORR_ID, &v), 0);
			ck_assert_uint_eq(v, t * 1000u + i);
		}
	}
}
END_TEST

START_TEST(test_framing_stream)
{
	/* Two messages back to back in one TCP read, then a header whose length is not a
	 * multiple of 4 (RFC 4666 3.1: parameters are padded, so lengths are). */
	uint8_t buf[64];
	struct m3ua_enc e;
	int a, b;

	m3ua_enc_start(&e, buf, sizeof(buf), M3UA_CLS_ASPSM, M3UA_ASPSM_BEAT);
	m3ua_enc_param(&e, M3UA_IEI_HEARDBT_DATA, "abcde", 5);
	a = m3ua_enc_finish(&e);
	ck_assert_int_eq(a, 8 + 4 + 8);
	m3ua_enc_start(&e, buf + a, sizeof(buf) - a, M3UA_CLS_ASPSM, M3UA_ASPSM_UP);
	b = m3ua_enc_finish(&e);
	ck_assert_int_eq(m3ua_frame(buf, a + b), a);
	ck_assert_int_eq(m3ua_frame(buf + a, b), b);
	ck_assert_int_eq(m3ua_frame(buf + a, 7), -EAGAIN);
	buf[a + 7] = 9;
	ck_assert_int_eq(m3ua_frame(buf + a, b), -EBADMSG);
}
END_TEST

Suite *m3ua_msg_suite(void)
{
	Suite *s = suite_create("m3ua_msg");
	TCase *tc = unit_tcase("coding");

	tcase_add_test(tc, test_data_roundtrip);
	tcase_add_test(tc, test_error_codes);
	tcase_add_test(tc, test_every_type_roundtrip);
	tcase_add_test(tc, test_framing_stream);
	suite_add_tcase(s, tc);
	return s;
}
