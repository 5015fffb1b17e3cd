/* media/g711: G.711 A-law and µ-law against the ITU tables. */
#include <spandsp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/g711.h"
#include "tests/unit/unit.h"

START_TEST(test_table_points)
{
	FILE *f = fopen(unit_vector_path("media/g711_points.txt"), "r");
	char line[128], law;
	unsigned code;
	int val, n = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		ck_assert_int_eq(sscanf(line, " %c %x %d", &law, &code, &val), 3);
		if (law == 'A') {
			/* Table 1 units are 1/4096 of overload: x8 in 16 bits. */
			ck_assert_int_eq(g711_alaw_decode((uint8_t)code), val * 8);
			ck_assert_uint_eq(g711_alaw_encode((int16_t)(val * 8)), code);
		} else {
			/* Table 2 units are 1/8159 of overload: x4 in 16 bits. */
			ck_assert_int_eq(g711_ulaw_decode((uint8_t)code), val * 4);
			if (code != 0x7f) /* -0 encodes as +0 */
				ck_assert_uint_eq(g711_ulaw_encode((int16_t)(val * 4)), code);
		}
		n++;
	}
	fclose(f);
	ck_assert_int_ge(n, 32);
}
END_TEST

START_TEST(test_all_codes_round_trip)
{
	for (int c = 0; c < 256; c++) {
		ck_assert_uint_eq(g711_alaw_encode(g711_alaw_decode((uint8_t)c)), c);
		if (c != 0x7f)
			ck_assert_uint_eq(g711_ulaw_encode(g711_ulaw_decode((uint8_t)c)), c);
	}
	ck_assert_uint_eq(g711_ulaw_encode(g711_ulaw_decode(0x7f)), 0xff);
}
END_TEST

/* Every 16-bit input: the code is monotonic in the input, and decoding
 * lands within half a quantisation step (the segment boundaries are where
 * the step doubles). Also cross-checked with spandsp's own G.711. */
START_TEST(test_all_inputs_and_segments)
{
	int prev_a = -1, prev_u = -1;

	for (int x = -32768; x <= 32767; x++) {
		uint8_t a = g711_alaw_encode((int16_t)x), u = g711_ulaw_encode((int16_t)x);
		/* Order codes by signed value: sign-magnitude index. */
		int ia = (a ^ 0x55) & 0x80 ? 128 + ((a ^ 0x55) & 0x7f) : 127 - ((a ^ 0x55) & 0x7f);
		int iu = (~u & 0x80) ? 127 - (~u & 0x7f) : 128 + (~u & 0x7f);
		int da = g711_alaw_decode(a), du = g711_ulaw_decode(u);
		int mag = abs(x), step_a, step_u, seg;

		ck_assert_int_ge(ia, prev_a);
		ck_assert_int_ge(iu, prev_u);
		prev_a = ia;
		prev_u = iu;
		seg = ((a ^ 0x55) >> 4) & 7;
		step_a = (seg ? 16 << (seg - 1) : 16);
		seg = ((~u) >> 4) & 7;
		step_u = 8 << seg;
		if (mag < 32256)
			ck_assert_int_le(abs(da - x), step_a / 2 + 8);
		if (mag < 32124)
			ck_assert_int_le(abs(du - x), step_u / 2 + 4);
		ck_assert_uint_eq(a, linear_to_alaw(x));
		ck_assert_uint_eq(u, linear_to_ulaw(x));
	}
	for (int c = 0; c < 256; c++) {
		ck_assert_int_eq(g711_alaw_decode((uint8_t)c), alaw_to_linear((uint8_t)c));
		ck_assert_int_eq(g711_ulaw_decode((uint8_t)c), ulaw_to_linear((uint8_t)c));
	}
	/* Segment boundaries (A-law, Table 1 decision values 32, 64, ...,
	 * 2048 in 1/4096 units): the segment number steps up exactly there. */
	for (int s = 1; s < 8; s++) {
		int edge = (16 << s) * 8;

		ck_assert_int_eq(((g711_alaw_encode((int16_t)(edge - 1)) ^ 0x55) >> 4) & 7, s - 1);
		ck_assert_int_eq(((g711_alaw_encode((int16_t)edge) ^ 0x55) >> 4) & 7, s);
	}
	/* µ-law boundaries at 31, 95, 223, ..., 4063 (Table 2, 1/8159 units). */
	for (int s = 1; s < 8; s++) {
		int edge = ((32 << s) - 33) * 4 + 2; /* first 16-bit input of segment s */

		ck_assert_int_eq(((~g711_ulaw_encode((int16_t)(edge - 4))) >> 4) & 7, s - 1);
		ck_assert_int_eq(((~g711_ulaw_encode((int16_t)(edge + 2))) >> 4) & 7, s);
	}
}
END_TEST

/* G.711 Tables 3 and 4, entry by entry, both signs. */
START_TEST(test_a_mu_tables)
{
	FILE *f = fopen(unit_vector_path("media/g711_a_mu.txt"), "r");
	char line[128], dir[8];
	unsigned from, to;
	int n = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		ck_assert_int_eq(sscanf(line, "%7s %u %u", dir, &from, &to), 3);
		if (!strcmp(dir, "A2U")) {
			/* Positive A-law code on the line: (0x80 | index) ^ 0x55;
			 * positive µ-law: 0xff ^ index; negatives clear bit 7. */
			ck_assert_uint_eq(g711_alaw_to_ulaw((uint8_t)((0x80 | from) ^ 0x55)),
					  0xff ^ to);
			ck_assert_uint_eq(g711_alaw_to_ulaw((uint8_t)(from ^ 0x55)), 0x7f ^ to);
		} else {
			ck_assert_uint_eq(g711_ulaw_to_alaw((uint8_t)(0xff ^ from)),
					  (0x80 | to) ^ 0x55);
			ck_assert_uint_eq(g711_ulaw_to_alaw((uint8_t)(0x7f ^ from)), to ^ 0x55);
		}
		n++;
	}
	fclose(f);
	ck_assert_int_eq(n, 256);
}
END_TEST

/* Properties of the conversion: sign kept, monotonic, and the converted
 * value never further than one step of the coarser law. */
START_TEST(test_a_mu_properties)
{
	int prev_u = -1, prev_a = -1;

	for (int i = 0; i < 128; i++) {
		uint8_t a = (uint8_t)((0x80 | i) ^ 0x55), u = (uint8_t)(0xff ^ i);
		int ui = 0xff ^ g711_alaw_to_ulaw(a), ai = (g711_ulaw_to_alaw(u) ^ 0x55) & 0x7f;
		int va = g711_alaw_decode(a), vu = g711_ulaw_decode(u);
		int sa = ((i >> 4) ? 16 << ((i >> 4) - 1) : 16), su = 8 << (i >> 4);

		ck_assert_uint_eq(g711_alaw_to_ulaw(a) & 0x80, 0x80);
		ck_assert_uint_eq(g711_ulaw_to_alaw(u) & 0x80, 0x80);
		ck_assert_int_ge(ui, prev_u);
		ck_assert_int_ge(ai, prev_a);
		prev_u = ui;
		prev_a = ai;
		ck_assert_int_le(abs(g711_ulaw_decode(g711_alaw_to_ulaw(a)) - va),
				 sa > su ? sa : su);
		ck_assert_int_le(abs(g711_alaw_decode(g711_ulaw_to_alaw(u)) - vu),
				 sa > su ? sa : su);
	}
	/* Full scale maps to full scale. */
	ck_assert_uint_eq(g711_alaw_to_ulaw(0xaa), 0x80);
	ck_assert_uint_eq(g711_ulaw_to_alaw(0x80), 0xaa);
}
END_TEST

START_TEST(test_buffers)
{
	uint8_t a[256], u[256], back[256];
	int16_t lin[256];

	for (int i = 0; i < 256; i++)
		a[i] = (uint8_t)i;
	g711_convert_buf(G711_LAW_A, G711_LAW_U, a, u, 256);
	for (int i = 0; i < 256; i++)
		ck_assert_uint_eq(u[i], g711_alaw_to_ulaw((uint8_t)i));
	g711_decode_buf(G711_LAW_A, a, lin, 256);
	g711_encode_buf(G711_LAW_A, lin, back, 256);
	ck_assert_mem_eq(a, back, 256);
	g711_convert_buf(G711_LAW_A, G711_LAW_A, a, a, 256);
	ck_assert_uint_eq(a[17], 17);
}
END_TEST

Suite *g711_suite(void)
{
	Suite *s = suite_create("g711");
	TCase *tc = unit_tcase("g711");

	tcase_add_test(tc, test_table_points);
	tcase_add_test(tc, test_all_codes_round_trip);
	tcase_add_test(tc, test_all_inputs_and_segments);
	tcase_add_test(tc, test_a_mu_tables);
	tcase_add_test(tc, test_a_mu_properties);
	tcase_add_test(tc, test_buffers);
	suite_add_tcase(s, tc);
	return s;
}
