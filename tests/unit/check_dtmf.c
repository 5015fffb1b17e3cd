/* media/dtmf, media/rtp_event: in-band digits through generate -> G.711
 * -> detect, suppression, and the RFC 4733 packet sequences. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "media/dtmf.h"
#include "media/rtp_event.h"
#include "media/tones.h"
#include "tests/unit/unit.h"

#define MAXEV 64

struct evlog {
	struct dtmf_event ev[MAXEV];
	int n;
};

static void on_ev(const struct dtmf_event *ev, void *priv)
{
	struct evlog *l = priv;

	if (l->n < MAXEV)
		l->ev[l->n++] = *ev;
}

/* Generate digit for on_ms, then off_ms of silence, through A-law. */
static size_t gen_digit(int16_t *buf, char digit, unsigned on_ms, unsigned off_ms)
{
	struct dtmf_gen g;
	size_t on = on_ms * 8, off = off_ms * 8;

	ck_assert_int_eq(dtmf_gen_start(&g, digit, G711_LAW_A, -10, -8), 0);
	dtmf_gen_fill(&g, buf, on);
	memset(buf + on, 0, off * sizeof(*buf));
	for (size_t i = 0; i < on + off; i++)
		buf[i] = g711_alaw_decode(g711_alaw_encode(buf[i]));
	return on + off;
}

static void feed(struct dtmf_det *d, int16_t *x, size_t n)
{
	for (size_t off = 0; off < n; off += 160)
		dtmf_det_rx(d, x + off, n - off < 160 ? n - off : 160);
}

START_TEST(test_all_digits)
{
	static const char digits[] = "0123456789*#ABCD";
	static int16_t buf[8 * 400];
	struct evlog log = {0};
	struct dtmf_det *d = dtmf_det_alloc(unit_ctx, DTMF_DEFAULT_DELAY, on_ev, &log);
	uint64_t onset = 0;

	ck_assert_ptr_nonnull(d);
	for (int i = 0; digits[i]; i++) {
		/* Durations vary: 60, 100, 140 ... ms. */
		unsigned on = 60 + 40 * (i % 4);
		size_t n = gen_digit(buf, digits[i], on, 150);

		feed(d, buf, n);
		/* The onset estimate lands within 10 ms of the real one. */
		ck_assert_msg(llabs((long long)log.ev[2 * i].start - (long long)onset) <= 80,
			      "digit %c: onset %llu estimated %llu", digits[i],
			      (unsigned long long)onset, (unsigned long long)log.ev[2 * i].start);
		onset += n;
		ck_assert_int_eq(log.n, 2 * (i + 1));
		ck_assert_int_eq(log.ev[2 * i].digit, digits[i]);
		ck_assert(!log.ev[2 * i].end);
		ck_assert_int_eq(log.ev[2 * i + 1].digit, digits[i]);
		ck_assert(log.ev[2 * i + 1].end);
		/* Measured duration within 15 ms of the tone's. */
		ck_assert_msg(fabs(log.ev[2 * i + 1].duration / 8.0 - on) <= 15,
			      "digit %c: %u ms tone measured %.1f ms", digits[i], on,
			      log.ev[2 * i + 1].duration / 8.0);
	}
	dtmf_det_free(d);
}
END_TEST

/* With the look-ahead delay, the digit is cut out of the audio. */
START_TEST(test_suppression)
{
	static int16_t buf[8 * 1000], orig[8 * 1000];
	struct evlog log = {0};
	struct dtmf_det *d = dtmf_det_alloc(unit_ctx, DTMF_DEFAULT_DELAY, on_ev, &log);
	struct tone_osc o;
	size_t n;
	double e_in, e_out;

	/* 200 ms of speech-band noise-free 300 Hz, the digit, then 300 Hz. */
	tone_osc_init(&o, 300);
	for (size_t i = 0; i < 1600; i++)
		buf[i] = (int16_t)(3000 * tone_osc_next(&o));
	n = 1600 + gen_digit(buf + 1600, '5', 200, 0);
	for (size_t i = n; i < n + 2400; i++)
		buf[i] = (int16_t)(3000 * tone_osc_next(&o));
	n += 2400;
	memcpy(orig, buf, n * sizeof(*buf));
	feed(d, buf, n);
	ck_assert_int_eq(log.n, 2);
	/* Output is input delayed by DTMF_DEFAULT_DELAY; the digit sat at
	 * input samples 1600..3199. */
	e_in = tone_mean_square(orig + 1600, 1600);
	e_out = tone_mean_square(buf + 1600 + DTMF_DEFAULT_DELAY, 1600);
	ck_assert_msg(10 * log10(e_out / e_in + 1e-12) < -30, "residual %.1f dB",
		      10 * log10(e_out / e_in + 1e-12));
	/* The detector never saw the tone in its own output: feeding the
	 * output to a second detector finds nothing. */
	{
		struct evlog log2 = {0};
		struct dtmf_det *d2 = dtmf_det_alloc(unit_ctx, 0, on_ev, &log2);

		feed(d2, buf, n);
		ck_assert_int_eq(log2.n, 0);
		dtmf_det_free(d2);
	}
	/* Audio around the digit passes (delayed) untouched. */
	ck_assert_mem_eq(buf + DTMF_DEFAULT_DELAY, orig, 800 * sizeof(*buf));
	dtmf_det_free(d);
}
END_TEST

START_TEST(test_rfc4733_payload)
{
	uint8_t b[4];
	struct rtp_event ev = {.event = 11, .end = true, .volume = 10, .duration = 0x1234}, d;

	ck_assert_int_eq(rtp_event_encode(b, 4, &ev), 4);
	ck_assert_uint_eq(b[0], 11);
	ck_assert_uint_eq(b[1], 0x8a);
	ck_assert_uint_eq(b[2], 0x12);
	ck_assert_uint_eq(b[3], 0x34);
	b[1] |= 0x40; /* R bit ignored */
	ck_assert_int_eq(rtp_event_decode(b, 4, &d), 0);
	ck_assert(d.end);
	ck_assert_uint_eq(d.volume, 10);
	ck_assert_uint_eq(d.duration, 0x1234);
	ck_assert_int_lt(rtp_event_decode(b, 3, &d), 0);
	ck_assert_int_eq(rtp_event_from_digit('#'), 11);
	ck_assert_int_eq(rtp_event_from_digit('D'), 15);
	ck_assert_int_eq(rtp_event_from_digit('x'), -1);
	ck_assert_int_eq(rtp_event_to_digit(10), '*');
}
END_TEST

/* RFC 4733 2.5.1: first packet with the marker, all at the event's start
 * timestamp with growing durations, then the final duration three times
 * with E set; the receiver reports start, updates and one end. */
START_TEST(test_rfc4733_sequence)
{
	struct rtp_event_tx tx;
	struct rtp_event_rx rx;
	struct rtp_event_pkt p;
	struct rtp_event ev;
	enum rtp_event_rx_kind k;
	int starts = 0, updates = 0, ends = 0;

	rtp_event_tx_init(&tx);
	rtp_event_rx_init(&rx);
	ck_assert_int_eq(rtp_event_tx_tick(&tx, 160, &p), 0);
	ck_assert_int_eq(rtp_event_tx_start(&tx, 5, 10, 1000), 0);
	ck_assert_int_eq(rtp_event_tx_start(&tx, 6, 10, 1000), -EBUSY);
	for (int i = 1; i <= 5; i++) {
		ck_assert_int_eq(rtp_event_tx_tick(&tx, 160, &p), 1);
		ck_assert_int_eq(p.marker, i == 1);
		ck_assert_uint_eq(p.ts, 1000);
		rtp_event_decode(p.payload, 4, &ev);
		ck_assert_uint_eq(ev.event, 5);
		ck_assert(!ev.end);
		ck_assert_uint_eq(ev.duration, 160 * i);
		k = rtp_event_rx_update(&rx, p.ts, &ev);
		starts += k == RTP_EVENT_RX_START;
		updates += k == RTP_EVENT_RX_UPDATE;
	}
	rtp_event_tx_stop(&tx);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(rtp_event_tx_tick(&tx, 160, &p), 1);
		ck_assert(!p.marker);
		rtp_event_decode(p.payload, 4, &ev);
		ck_assert(ev.end);
		ck_assert_uint_eq(ev.duration, 800);
		k = rtp_event_rx_update(&rx, p.ts, &ev);
		ends += k == RTP_EVENT_RX_END;
	}
	ck_assert_int_eq(rtp_event_tx_tick(&tx, 160, &p), 0);
	ck_assert_int_eq(starts, 1);
	ck_assert_int_eq(updates, 4);
	ck_assert_int_eq(ends, 1);
	/* The next digit starts fresh. */
	ck_assert_int_eq(rtp_event_tx_start(&tx, 1, 10, 5000), 0);
	ck_assert_int_eq(rtp_event_tx_tick(&tx, 160, &p), 1);
	ck_assert(p.marker);
	rtp_event_decode(p.payload, 4, &ev);
	ck_assert_int_eq(rtp_event_rx_update(&rx, p.ts, &ev), RTP_EVENT_RX_START);
	/* A stale packet of the old event changes nothing. */
	ev.event = 5;
	ck_assert_int_eq(rtp_event_rx_update(&rx, 1000, &ev), RTP_EVENT_RX_NONE);
}
END_TEST

/* 2.5.1.3: a long event splits into segments at duration 0xffff. */
START_TEST(test_rfc4733_long_event)
{
	struct rtp_event_tx tx;
	struct rtp_event_pkt p;
	struct rtp_event ev;
	uint32_t last_ts = 0;
	int segments = 1;

	rtp_event_tx_init(&tx);
	rtp_event_tx_start(&tx, 0, 10, 100);
	for (int i = 0; i < 500; i++) { /* 500 x 20 ms = 10 s = 80000 units */
		ck_assert_int_eq(rtp_event_tx_tick(&tx, 160, &p), 1);
		rtp_event_decode(p.payload, 4, &ev);
		if (i && p.ts != last_ts) {
			ck_assert_uint_eq(p.ts, 100 + 0xffff);
			ck_assert(!p.marker);
			segments++;
		}
		last_ts = p.ts;
	}
	ck_assert_int_eq(segments, 2);
	ck_assert_uint_eq(ev.duration, 80000 - 0xffff);
}
END_TEST

/* Digit in-band -> detector -> RFC 4733 packets -> receiver -> tone
 * generator -> detector again: the digit and its length survive. */
START_TEST(test_chain)
{
	static int16_t buf[8 * 400], regen[8 * 400];
	struct evlog a = {0}, b = {0};
	struct dtmf_det *d1 = dtmf_det_alloc(unit_ctx, DTMF_DEFAULT_DELAY, on_ev, &a);
	struct dtmf_det *d2 = dtmf_det_alloc(unit_ctx, 0, on_ev, &b);
	struct rtp_event_tx tx;
	struct rtp_event_rx rx;
	struct rtp_event_pkt p;
	struct rtp_event ev;
	struct dtmf_gen g = {0};
	size_t n = gen_digit(buf, '9', 120, 200);
	int seen = 0;

	rtp_event_tx_init(&tx);
	rtp_event_rx_init(&rx);
	for (size_t off = 0; off < n; off += 160) {
		dtmf_det_rx(d1, buf + off, 160);
		for (; seen < a.n; seen++) {
			if (!a.ev[seen].end)
				rtp_event_tx_start(&tx,
						   (uint8_t)rtp_event_from_digit(a.ev[seen].digit),
						   10, (uint32_t)a.ev[seen].start);
			else
				rtp_event_tx_stop(&tx);
		}
		if (rtp_event_tx_tick(&tx, 160, &p)) {
			rtp_event_decode(p.payload, 4, &ev);
			switch (rtp_event_rx_update(&rx, p.ts, &ev)) {
			case RTP_EVENT_RX_START:
				dtmf_gen_start(&g, rtp_event_to_digit(ev.event), G711_LAW_A,
					       -(double)ev.volume, -(double)ev.volume + 2);
				break;
			case RTP_EVENT_RX_END:
				dtmf_gen_stop(&g);
				break;
			default:
				break;
			}
		}
		if (!dtmf_gen_fill(&g, regen + off, 160))
			memset(regen + off, 0, 160 * sizeof(*regen));
		dtmf_det_rx(d2, regen + off, 160);
	}
	ck_assert_int_eq(a.n, 2);
	ck_assert_int_eq(b.n, 2);
	ck_assert_int_eq(b.ev[0].digit, '9');
	ck_assert(fabs(b.ev[1].duration / 8.0 - 120) <= 45);
	dtmf_det_free(d1);
	dtmf_det_free(d2);
}
END_TEST

Suite *dtmf_suite(void)
{
	Suite *s = suite_create("dtmf");
	TCase *tc = unit_tcase("dtmf");

	tcase_add_test(tc, test_all_digits);
	tcase_add_test(tc, test_suppression);
	tcase_add_test(tc, test_rfc4733_payload);
	tcase_add_test(tc, test_rfc4733_sequence);
	tcase_add_test(tc, test_rfc4733_long_event);
	tcase_add_test(tc, test_chain);
	suite_add_tcase(s, tc);
	return s;
}
