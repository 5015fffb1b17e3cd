/* media/cesopsn, media/jitterbuf: framing, timeslot interleaving for E1
 * and T1, the jitter buffer and loss concealment. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/cesopsn.h"
#include "media/jitterbuf.h"
#include "tests/unit/unit.h"

static size_t unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	unsigned v;

	while (s[0] && s[1] && n < max && sscanf(s, "%2x", &v) == 1) {
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

START_TEST(test_decode_vectors)
{
	FILE *f = fopen(unit_vector_path("media/cesopsn_decode.txt"), "r");
	char line[512], span[4], mode[8], hex[256], expect[8];
	int cases = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		struct cesop_cfg cfg;
		struct cesop_pkt p;
		unsigned mask, frames, l, r, m, len, seq;
		size_t plen, n;
		uint8_t raw[128], *copy;
		int rc;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		ck_assert_int_eq(sscanf(line, "%3s %x %u %7s %255s %7s", span, &mask, &frames, mode,
					hex, expect),
				 6);
		cesop_cfg_init(&cfg, span[0] == 'E' ? CESOP_E1 : CESOP_T1);
		ck_assert_int_eq(cesop_cfg_set_timeslots(&cfg, mask), 0);
		ck_assert_int_eq(cesop_cfg_set_frames(&cfg, frames), 0);
		cfg.rtp = !strcmp(mode, "before")  ? CESOP_RTP_BEFORE_CW
			  : !strcmp(mode, "after") ? CESOP_RTP_AFTER_CW
						   : CESOP_RTP_NONE;
		n = unhex(hex, raw, sizeof(raw));
		copy = malloc(n ? n : 1);
		memcpy(copy, raw, n);
		rc = cesop_decode(&cfg, copy, n, &p);
		if (!strcmp(expect, "bad")) {
			ck_assert_msg(rc == -EBADMSG, "%s: %d", hex, rc);
		} else {
			ck_assert_int_eq(sscanf(line, "%*s %*s %*s %*s %*s %*s %u %u %u %u %u %zu",
						&l, &r, &m, &len, &seq, &plen),
					 6);
			ck_assert_msg(rc == 0, "%s: %d", hex, rc);
			ck_assert_int_eq(p.cw.l, l);
			ck_assert_int_eq(p.cw.r, r);
			ck_assert_uint_eq(p.cw.m, m);
			ck_assert_uint_eq(p.cw.len, len);
			ck_assert_uint_eq(p.cw.seq, seq);
			ck_assert_uint_eq(p.payload_len, plen);
			ck_assert_int_eq(p.has_rtp, cfg.rtp != CESOP_RTP_NONE);
			if (p.has_rtp)
				ck_assert_uint_eq(p.rtp.seq, seq);
		}
		free(copy);
		cases++;
	}
	fclose(f);
	ck_assert_int_ge(cases, 12);
}
END_TEST

START_TEST(test_defaults)
{
	struct cesop_cfg e1, t1;

	cesop_cfg_init(&e1, CESOP_E1);
	cesop_cfg_init(&t1, CESOP_T1);
	ck_assert_uint_eq(e1.n_ts, 31);
	ck_assert_uint_eq(e1.ts_list[0], 1);
	ck_assert_uint_eq(e1.ts_list[30], 31);
	ck_assert_int_eq(e1.law, G711_LAW_A);
	ck_assert_uint_eq(cesop_payload_len(&e1), 248);
	ck_assert_uint_eq(t1.n_ts, 24);
	ck_assert_int_eq(t1.law, G711_LAW_U);
	ck_assert_uint_eq(cesop_payload_len(&t1), 192);
	/* E1 timeslot 0 (framing) and T1 channel 25 do not exist. */
	ck_assert_int_eq(cesop_cfg_set_timeslots(&e1, 1), -EINVAL);
	ck_assert_int_eq(cesop_cfg_set_timeslots(&t1, 1u << 25), -EINVAL);
	ck_assert_int_eq(cesop_cfg_set_frames(&t1, 0), -EINVAL);
}
END_TEST

static void round_trip(enum cesop_span span, enum cesop_rtp_mode mode)
{
	struct cesop_cfg cfg;
	struct cesop_tx tx;
	struct cesop_pkt p;
	uint8_t streams[CESOP_MAX_PAYLOAD], payload[CESOP_MAX_PAYLOAD], back[CESOP_MAX_PAYLOAD];
	uint8_t pkt[CESOP_MAX_PAYLOAD + 32];
	unsigned n_ts, frames;
	int len;

	cesop_cfg_init(&cfg, span);
	cfg.rtp = mode;
	n_ts = cfg.n_ts;
	frames = cfg.frames;
	/* Stream t, sample f = t * 8 + f: each byte names its place. */
	for (unsigned t = 0; t < n_ts; t++)
		for (unsigned f = 0; f < frames; f++)
			streams[t * frames + f] = (uint8_t)(t * 8 + f);
	cesop_interleave(streams, n_ts, frames, payload);
	/* Frame-major: one byte per timeslot in timeslot order, frame by frame. */
	for (unsigned f = 0; f < frames; f++)
		for (unsigned t = 0; t < n_ts; t++)
			ck_assert_uint_eq(payload[f * n_ts + t], t * 8 + f);
	cesop_tx_init(&tx, 0xfffe, 77, 1000);
	for (int i = 0; i < 3; i++) {
		len = cesop_encode(&cfg, &tx, NULL, payload, pkt, sizeof(pkt));
		ck_assert_int_eq(len, CESOP_CW_LEN + (mode ? RTP_HDR_LEN : 0) + n_ts * frames);
		ck_assert_int_eq(cesop_decode(&cfg, pkt, (size_t)len, &p), 0);
		ck_assert_uint_eq(p.cw.seq, (uint16_t)(0xfffe + i));
		ck_assert_uint_eq(p.cw.len, 0); /* >= 64 bytes: length field unused */
		if (mode) {
			ck_assert_uint_eq(p.rtp.seq, p.cw.seq);
			ck_assert_uint_eq(p.rtp.ts, 1000 + frames * (unsigned)i);
			ck_assert_uint_eq(p.rtp.ssrc, 77);
		}
		cesop_deinterleave(p.payload, n_ts, frames, back);
		ck_assert_mem_eq(back, streams, n_ts * frames);
	}
	ck_assert_int_eq(cesop_encode(&cfg, &tx, NULL, payload, pkt, 20), -ENOSPC);
}

START_TEST(test_interleave_e1_t1)
{
	round_trip(CESOP_E1, CESOP_RTP_NONE);
	round_trip(CESOP_T1, CESOP_RTP_NONE);
	round_trip(CESOP_E1, CESOP_RTP_BEFORE_CW);
	round_trip(CESOP_T1, CESOP_RTP_AFTER_CW);
}
END_TEST

START_TEST(test_short_packet_and_ais)
{
	struct cesop_cfg cfg;
	struct cesop_tx tx;
	struct cesop_pkt p;
	struct cesop_cw fl = {.l = true};
	uint8_t pay[4] = {1, 2, 3, 4}, pkt[128];
	int len;

	cesop_cfg_init(&cfg, CESOP_E1);
	cesop_cfg_set_timeslots(&cfg, 0x6); /* TS1, TS2 */
	cesop_cfg_set_frames(&cfg, 2);
	cesop_tx_init(&tx, 1, 0, 0);
	len = cesop_encode(&cfg, &tx, NULL, pay, pkt, sizeof(pkt));
	ck_assert_int_eq(len, 8);
	ck_assert_uint_eq(pkt[1], 8); /* Len: packet shorter than 64 bytes */
	/* Ethernet-style padding is cut off by Len. */
	memset(pkt + len, 0, 40);
	ck_assert_int_eq(cesop_decode(&cfg, pkt, 48, &p), 0);
	ck_assert_uint_eq(p.payload_len, 4);
	/* L: AIS, payload omitted. */
	len = cesop_encode(&cfg, &tx, &fl, NULL, pkt, sizeof(pkt));
	ck_assert_int_eq(len, 4);
	ck_assert_int_eq(cesop_decode(&cfg, pkt, 4, &p), 0);
	ck_assert(p.cw.l);
	ck_assert_uint_eq(p.payload_len, 0);
	ck_assert_int_eq(cesop_encode(&cfg, &tx, NULL, NULL, pkt, sizeof(pkt)), -EINVAL);
}
END_TEST

static struct jb *mkjb(enum jb_conceal c, unsigned depth)
{
	struct jb_cfg cfg = {.frame_bytes = 8,
			     .depth = depth,
			     .capacity = 16,
			     .payload = JB_PAYLOAD_ALAW,
			     .conceal = c,
			     .fade_frames = 3};

	return jb_alloc(unit_ctx, &cfg);
}

static void frame(uint8_t *f, uint8_t v)
{
	memset(f, v, 8);
}

START_TEST(test_jb_reorder_late_dup_lost)
{
	struct jb *jb = mkjb(JB_CONCEAL_SILENCE, 3);
	uint8_t f[8], out[8], idle[8];
	const struct jb_stats *st;

	frame(idle, G711_ALAW_SILENCE);
	ck_assert_ptr_nonnull(jb);
	/* Arrival order 11, 10, 12: playout waits for depth 3, then plays
	 * 10, 11, 12 in order. */
	frame(f, 0xa1);
	ck_assert_int_eq(jb_put(jb, 11, f, 8), 0);
	ck_assert_int_eq(jb_get(jb, out), JB_OUT_BUFFERING);
	ck_assert_mem_eq(out, idle, 8);
	frame(f, 0xa0);
	ck_assert_int_eq(jb_put(jb, 10, f, 8), 0);
	frame(f, 0xa2);
	ck_assert_int_eq(jb_put(jb, 12, f, 8), 0);
	ck_assert_int_eq(jb_put(jb, 12, f, 8), -EALREADY);
	for (uint8_t want = 0xa0; want <= 0xa2; want++) {
		ck_assert_int_eq(jb_get(jb, out), JB_OUT_FRAME);
		ck_assert_uint_eq(out[0], want);
	}
	/* 13 never comes; 14 does. 13's slot is concealed and counted lost;
	 * 13 arriving afterwards is late. */
	frame(f, 0xa4);
	ck_assert_int_eq(jb_put(jb, 14, f, 8), 0);
	ck_assert_int_eq(jb_get(jb, out), JB_OUT_CONCEALED);
	ck_assert_mem_eq(out, idle, 8);
	frame(f, 0xa3);
	ck_assert_int_eq(jb_put(jb, 13, f, 8), -ETIME);
	ck_assert_int_eq(jb_get(jb, out), JB_OUT_FRAME);
	ck_assert_uint_eq(out[0], 0xa4);
	st = jb_stats(jb);
	ck_assert_uint_eq(st->received, 4);
	ck_assert_uint_eq(st->played, 4);
	ck_assert_uint_eq(st->lost, 1);
	ck_assert_uint_eq(st->late, 1);
	ck_assert_uint_eq(st->duplicate, 1);
	/* Too large a frame. */
	ck_assert_int_eq(jb_put(jb, 15, f, 9), -EMSGSIZE);
	/* A jump far ahead restarts buffering there. */
	ck_assert_int_eq(jb_put(jb, 5000, f, 8), 0);
	ck_assert_uint_eq(jb_stats(jb)->resync, 1);
	ck_assert_int_eq(jb_get(jb, out), JB_OUT_BUFFERING);
	jb_free(jb);
}
END_TEST

START_TEST(test_jb_sequence_wrap)
{
	struct jb *jb = mkjb(JB_CONCEAL_SILENCE, 2);
	uint8_t f[8], out[8];
	uint16_t s = 65533;

	for (int i = 0; i < 8; i++, s++) {
		frame(f, (uint8_t)i);
		ck_assert_int_eq(jb_put(jb, s, f, 8), 0);
		if (i >= 1) {
			ck_assert_int_eq(jb_get(jb, out), JB_OUT_FRAME);
			ck_assert_uint_eq(out[0], i - 1);
		}
	}
	ck_assert_uint_eq(jb_stats(jb)->lost, 0);
	jb_free(jb);
}
END_TEST

/* "lost" counts gaps inside the stream only: playout before the first
 * frame (buffering) and after the last one (the far end stopped) is
 * concealment, not loss; a gap the buffer ran dry across counts once a
 * frame beyond it arrives. */
START_TEST(test_jb_lost_inside_stream_only)
{
	struct jb *jb = mkjb(JB_CONCEAL_SILENCE, 2);
	uint8_t f[8], out[8];
	const struct jb_stats *st = jb_stats(jb);

	ck_assert_ptr_nonnull(jb);
	frame(f, 0x55);
	/* before the stream: nothing received, playout idles */
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(jb_get(jb, out), JB_OUT_BUFFERING);
	ck_assert_int_eq(jb_put(jb, 100, f, 8), 0);
	ck_assert_int_eq(jb_get(jb, out), JB_OUT_BUFFERING);
	ck_assert_int_eq(jb_put(jb, 101, f, 8), 0);
	ck_assert_int_eq(jb_get(jb, out), JB_OUT_FRAME); /* 100 */
	ck_assert_int_eq(jb_get(jb, out), JB_OUT_FRAME); /* 101 */
	/* the stream ends at 101: a second of playout past it loses nothing */
	for (int i = 0; i < 50; i++)
		ck_assert_int_eq(jb_get(jb, out), JB_OUT_CONCEALED);
	ck_assert_uint_eq(st->lost, 0);
	ck_assert_uint_eq(st->concealed, 50);
	jb_free(jb);

	/* Dry across a gap (depth 4): 104..106 never come and playout passes
	 * them with nothing buffered: not lost yet (the stream may have
	 * ended). 106 then arrives late: 104..106 were inside the stream, so
	 * lost, and 106 late. 107 plays. */
	jb = mkjb(JB_CONCEAL_SILENCE, 4);
	st = jb_stats(jb);
	for (uint16_t q = 100; q < 104; q++)
		ck_assert_int_eq(jb_put(jb, q, f, 8), 0);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(jb_get(jb, out), JB_OUT_FRAME);
	for (int i = 0; i < 3; i++) /* 104..106 */
		ck_assert_int_eq(jb_get(jb, out), JB_OUT_CONCEALED);
	ck_assert_uint_eq(st->lost, 0);
	ck_assert_int_eq(jb_put(jb, 106, f, 8), -ETIME);
	ck_assert_uint_eq(st->lost, 3);
	ck_assert_uint_eq(st->late, 1);
	ck_assert_int_eq(jb_put(jb, 107, f, 8), 0);
	ck_assert_int_eq(jb_get(jb, out), JB_OUT_FRAME);
	ck_assert_uint_eq(st->lost, 3);
	/* Dry one slot (108), then 110 arrives in time: 108 was played
	 * empty, 109 is a gap seen at its own playout; 110 plays. */
	ck_assert_int_eq(jb_get(jb, out), JB_OUT_CONCEALED); /* 108 */
	ck_assert_int_eq(jb_put(jb, 110, f, 8), 0);
	ck_assert_uint_eq(st->lost, 4);
	ck_assert_int_eq(jb_get(jb, out), JB_OUT_CONCEALED); /* 109 */
	ck_assert_uint_eq(st->lost, 5);
	ck_assert_int_eq(jb_get(jb, out), JB_OUT_FRAME); /* 110 */
	/* a pause: playout runs far past 110, nothing lost */
	for (int i = 0; i < 20; i++)
		ck_assert_int_eq(jb_get(jb, out), JB_OUT_CONCEALED);
	ck_assert_uint_eq(st->lost, 5);
	ck_assert_uint_eq(st->played, 6);
	/* the stream comes back at 112 (111 missing): buffering restarts
	 * from 112 and 111, inside the stream, is lost */
	ck_assert_int_eq(jb_put(jb, 112, f, 8), 0);
	ck_assert_uint_eq(st->lost, 6);
	ck_assert_uint_eq(st->resync, 1);
	ck_assert_int_eq(jb_get(jb, out), JB_OUT_BUFFERING);
	jb_free(jb);
}
END_TEST

/* Repeat-last-then-fade: the first missing frame repeats the last one,
 * the next ones fall by 6 dB each, then idle. */
START_TEST(test_jb_conceal_fade)
{
	struct jb *jb = mkjb(JB_CONCEAL_REPEAT_FADE, 1);
	uint8_t f[8], out[8];
	int16_t v0 = 16000, got;

	frame(f, g711_alaw_encode(v0));
	ck_assert_int_eq(jb_put(jb, 1, f, 8), 0);
	ck_assert_int_eq(jb_get(jb, out), JB_OUT_FRAME);
	ck_assert_int_eq(jb_get(jb, out), JB_OUT_CONCEALED);
	ck_assert_mem_eq(out, f, 8);
	ck_assert_int_eq(jb_get(jb, out), JB_OUT_CONCEALED);
	got = g711_alaw_decode(out[3]);
	ck_assert_int_ge(got, 7600);
	ck_assert_int_le(got, 8400);
	ck_assert_int_eq(jb_get(jb, out), JB_OUT_CONCEALED);
	got = g711_alaw_decode(out[3]);
	ck_assert_int_ge(got, 3800);
	ck_assert_int_le(got, 4200);
	ck_assert_int_eq(jb_get(jb, out), JB_OUT_CONCEALED);
	ck_assert_uint_eq(out[0], G711_ALAW_SILENCE);
	ck_assert_uint_eq(jb_stats(jb)->concealed, 4);
	/* The stream comes back after starving: buffering restarts. */
	ck_assert_int_eq(jb_put(jb, 2, f, 8), 0);
	ck_assert_int_eq(jb_get(jb, out), JB_OUT_FRAME);
	jb_free(jb);
}
END_TEST

START_TEST(test_jb_raw_none)
{
	struct jb_cfg cfg = {.frame_bytes = 4,
			     .depth = 1,
			     .payload = JB_PAYLOAD_RAW,
			     .conceal = JB_CONCEAL_NONE};
	struct jb *jb = jb_alloc(unit_ctx, &cfg);
	uint8_t f[4] = {1, 2, 3, 4}, out[4] = {9, 9, 9, 9};

	ck_assert_int_eq(jb_put(jb, 7, f, 4), 0);
	ck_assert_int_eq(jb_get(jb, out), JB_OUT_FRAME);
	memset(out, 9, 4);
	ck_assert_int_eq(jb_get(jb, out), JB_OUT_MISSING);
	ck_assert_uint_eq(out[0], 9);
	jb_free(jb);
	cfg.depth = 0;
	ck_assert_ptr_null(jb_alloc(unit_ctx, &cfg));
}
END_TEST

Suite *cesopsn_suite(void)
{
	Suite *s = suite_create("cesopsn");
	TCase *tc = unit_tcase("cesopsn");
	TCase *tj = unit_tcase("jitterbuf");

	tcase_add_test(tc, test_decode_vectors);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_interleave_e1_t1);
	tcase_add_test(tc, test_short_packet_and_ais);
	tcase_add_test(tj, test_jb_reorder_late_dup_lost);
	tcase_add_test(tj, test_jb_sequence_wrap);
	tcase_add_test(tj, test_jb_lost_inside_stream_only);
	tcase_add_test(tj, test_jb_conceal_fade);
	tcase_add_test(tj, test_jb_raw_none);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, tj);
	return s;
}
