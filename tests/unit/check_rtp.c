/* media/rtp, media/rtcp: header coding, receiver statistics (RFC 3550
 * A.1/A.3/A.8), sender continuity, RTCP compound packets. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/rtcp.h"
#include "media/rtcp_json.h"
#include "media/rtp.h"
#include "tests/unit/unit.h"

static size_t unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;

	while (s[0] && s[1] && n < max) {
		unsigned v;

		if (sscanf(s, "%2x", &v) != 1)
			break;
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

START_TEST(test_decode_vectors)
{
	FILE *f = fopen(unit_vector_path("media/rtp_decode.txt"), "r");
	char line[512], hex[256], expect[8];
	int cases = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		uint8_t pkt[128], *copy;
		struct rtp_hdr h;
		unsigned m, pt, seq, cc;
		unsigned long ts, ssrc;
		size_t plen, n;
		int rc;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		ck_assert_int_ge(sscanf(line, "%255s %7s", hex, expect), 2);
		n = unhex(hex, pkt, sizeof(pkt));
		/* Decode from an exact-size heap copy so ASan catches any
		 * read past the end. */
		copy = malloc(n);
		memcpy(copy, pkt, n);
		rc = rtp_decode(copy, n, &h);
		if (!strcmp(expect, "bad")) {
			ck_assert_int_eq(rc, -EBADMSG);
		} else {
			ck_assert_int_eq(sscanf(line, "%*s %*s %u %u %u %lu %lu %u %zu", &m, &pt,
						&seq, &ts, &ssrc, &cc, &plen),
					 7);
			ck_assert_int_eq(rc, 0);
			ck_assert_int_eq(h.marker, m);
			ck_assert_uint_eq(h.pt, pt);
			ck_assert_uint_eq(h.seq, seq);
			ck_assert_uint_eq(h.ts, ts);
			ck_assert_uint_eq(h.ssrc, ssrc);
			ck_assert_uint_eq(h.cc, cc);
			ck_assert_uint_eq(h.payload_len, plen);
		}
		/* Every truncation of a packet either decodes inside the
		 * truncated bytes or is rejected. */
		for (size_t k = 0; k < n; k++) {
			if (rtp_decode(copy, k, &h) == 0)
				ck_assert(h.payload + h.payload_len <= copy + k);
		}
		free(copy);
		cases++;
	}
	fclose(f);
	ck_assert_int_ge(cases, 10);
}
END_TEST

START_TEST(test_encode_round_trip)
{
	uint8_t buf[64], ext[4] = {1, 2, 3, 4};
	struct rtp_hdr h = {.marker = true,
			    .pt = 8,
			    .seq = 0xfffe,
			    .ts = 0x89abcdef,
			    .ssrc = 0x01020304,
			    .cc = 2,
			    .csrc = {7, 9},
			    .extension = true,
			    .ext_profile = 0xbede,
			    .ext = ext,
			    .ext_len = 4};
	struct rtp_hdr d;
	int n = rtp_encode_hdr(buf, sizeof(buf), &h);

	ck_assert_int_eq(n, 12 + 8 + 8);
	buf[n] = 0x55;
	ck_assert_int_eq(rtp_decode(buf, (size_t)n + 1, &d), 0);
	ck_assert(d.marker && d.extension);
	ck_assert_uint_eq(d.seq, 0xfffe);
	ck_assert_uint_eq(d.ts, 0x89abcdef);
	ck_assert_uint_eq(d.csrc[1], 9);
	ck_assert_uint_eq(d.ext_profile, 0xbede);
	ck_assert_mem_eq(d.ext, ext, 4);
	ck_assert_uint_eq(d.payload_len, 1);
	ck_assert_int_eq(rtp_encode_hdr(buf, 20, &h), -ENOSPC);
}
END_TEST

/* A codec change and a new remote address keep SSRC, sequence and
 * timestamp running (RFC 3550 5.1); the marker flags the new talkspurt. */
START_TEST(test_sender_continuity)
{
	struct rtp_tx tx;
	uint8_t pay[160] = {0}, buf[200];
	struct rtp_hdr h;
	uint16_t seq_prev;
	uint32_t ts_prev;

	rtp_tx_init(&tx, 0xcafe, 65534, 0xfffffe00);
	ck_assert_int_eq(rtp_tx_audio(&tx, buf, sizeof(buf), RTP_PT_PCMA, pay, 160, 160), 172);
	ck_assert_int_eq(rtp_decode(buf, 172, &h), 0);
	ck_assert(h.marker);
	seq_prev = h.seq;
	ts_prev = h.ts;
	ck_assert_int_eq(rtp_tx_audio(&tx, buf, sizeof(buf), RTP_PT_PCMA, pay, 160, 160), 172);
	rtp_decode(buf, 172, &h);
	ck_assert(!h.marker);
	ck_assert_uint_eq(h.seq, (uint16_t)(seq_prev + 1));
	ck_assert_uint_eq(h.ts, ts_prev + 160);
	/* Codec switch to G.722 (RTP clock still 8000, RFC 3551 4.5.2) and a
	 * new remote address: same SSRC, next seq, timestamp continues. */
	rtp_tx_mark(&tx);
	ck_assert_int_gt(rtp_tx_audio(&tx, buf, sizeof(buf), RTP_PT_G722, pay, 160, 160), 0);
	rtp_decode(buf, 172, &h);
	ck_assert(h.marker);
	ck_assert_uint_eq(h.ssrc, 0xcafe);
	ck_assert_uint_eq(h.seq, 0); /* wrapped */
	ck_assert_uint_eq(h.ts, ts_prev + 320);
	ck_assert_uint_eq(h.pt, RTP_PT_G722);
	ck_assert_uint_eq(tx.packets, 3);
	ck_assert_uint_eq(tx.octets, 480);
	ck_assert_int_eq(rtp_tx_audio(&tx, buf, 100, RTP_PT_PCMA, pay, 160, 160), -ENOSPC);
}
END_TEST

static struct rtp_hdr mk(uint16_t seq, uint32_t ts)
{
	struct rtp_hdr h = {.seq = seq, .ts = ts, .ssrc = 42, .pt = 8};

	return h;
}

START_TEST(test_probation_and_wrap)
{
	struct rtp_rx rx;
	struct rtp_hdr h;

	rtp_rx_init(&rx, 8000);
	h = mk(65530, 0);
	ck_assert_int_eq(rtp_rx_update(&rx, &h, 0), RTP_RX_PROBATION);
	/* Out of sequence during probation restarts it. */
	h = mk(65532, 320);
	ck_assert_int_eq(rtp_rx_update(&rx, &h, 40000000), RTP_RX_PROBATION);
	h = mk(65533, 480);
	ck_assert_int_eq(rtp_rx_update(&rx, &h, 60000000), RTP_RX_OK);
	for (uint16_t s = 65534, i = 0; i < 10; s++, i++) {
		h = mk(s, 480 + 160u * (i + 1));
		ck_assert_int_eq(rtp_rx_update(&rx, &h, 60000000ull + 20000000ull * (i + 1)),
				 RTP_RX_OK);
	}
	/* 65533 .. 65535, 0 .. 7: one wrap. */
	ck_assert_uint_eq(rtp_rx_ext_max(&rx), 65536 + 7);
	ck_assert_int_eq(rtp_rx_cum_lost(&rx), 0);
	ck_assert_uint_eq(rx.received, 11);
	/* Duplicate and reordering. */
	h = mk(7, 0);
	ck_assert_int_eq(rtp_rx_update(&rx, &h, 300000000), RTP_RX_DUPLICATE);
	h = mk(9, 480 + 160u * 12);
	ck_assert_int_eq(rtp_rx_update(&rx, &h, 300000000), RTP_RX_OK);
	h = mk(8, 480 + 160u * 11);
	ck_assert_int_eq(rtp_rx_update(&rx, &h, 300000000), RTP_RX_OK);
	ck_assert_uint_eq(rx.reordered, 1);
	h = mk(8, 480 + 160u * 11);
	ck_assert_int_eq(rtp_rx_update(&rx, &h, 300000000), RTP_RX_DUPLICATE);
	ck_assert_int_eq(rtp_rx_cum_lost(&rx), 0);
	/* A different SSRC is not mixed in. */
	h = mk(10, 0);
	h.ssrc = 43;
	ck_assert_int_eq(rtp_rx_update(&rx, &h, 300000000), RTP_RX_OTHER_SSRC);
	/* Interleaved stray packets of another source do not take over... */
	h = mk(10, 480 + 160u * 13);
	ck_assert_int_eq(rtp_rx_update(&rx, &h, 320000000), RTP_RX_OK);
	h = mk(500, 0);
	h.ssrc = 43;
	ck_assert_int_eq(rtp_rx_update(&rx, &h, 330000000), RTP_RX_OTHER_SSRC);
	/* ...but a run of RTP_SSRC_SWITCH in-sequence packets does. */
	for (uint16_t s = 1000; s < 1000 + RTP_SSRC_SWITCH; s++) {
		h = mk(s, s * 160u);
		h.ssrc = 44;
		ck_assert_int_eq(rtp_rx_update(&rx, &h, 340000000ull + s),
				 s + 1 < 1000 + RTP_SSRC_SWITCH ? RTP_RX_OTHER_SSRC
								: RTP_RX_NEW_SSRC);
	}
	ck_assert_uint_eq(rx.ssrc, 44);
	ck_assert_uint_eq(rx.ssrc_changes, 1);
	h = mk(1000 + RTP_SSRC_SWITCH, 0);
	h.ssrc = 44;
	ck_assert_int_eq(rtp_rx_update(&rx, &h, 360000000), RTP_RX_OK);
	ck_assert_uint_eq(rtp_rx_ext_max(&rx), 1000 + RTP_SSRC_SWITCH);
	ck_assert_int_eq(rtp_rx_cum_lost(&rx), 0);
}
END_TEST

START_TEST(test_seq_jump_restart)
{
	struct rtp_rx rx;
	struct rtp_hdr h;

	rtp_rx_init(&rx, 8000);
	for (uint16_t s = 100; s < 110; s++) {
		h = mk(s, s * 160u);
		rtp_rx_update(&rx, &h, s * 20000000ull);
	}
	h = mk(20000, 0);
	ck_assert_int_eq(rtp_rx_update(&rx, &h, 3000000000ull), RTP_RX_BAD_SEQ);
	h = mk(20001, 160);
	ck_assert_int_eq(rtp_rx_update(&rx, &h, 3020000000ull), RTP_RX_RESTARTED);
	ck_assert_uint_eq(rtp_rx_ext_max(&rx), 20001);
	ck_assert_uint_eq(rx.resyncs, 1);
	ck_assert_int_eq(rtp_rx_cum_lost(&rx), 0);
}
END_TEST

/* A.8 by hand: 20 ms packets (ts += 160), arrivals at 0, 20, 45, 60, 80 ms.
 * Transit (8 kHz units): -1000, -1000, -960, -1000, -1000; D: 0, 40, 40, 0.
 * Integer J*16: 0, 40, 40+40-3 = 77, 77+0-5 = 72; J = 72 >> 4 = 4 (the
 * real-valued recursion gives 4.54). */
START_TEST(test_jitter_hand_computed)
{
	static const unsigned arr_ms[] = {0, 20, 45, 60, 80};
	struct rtp_rx rx;
	struct rtp_hdr h;

	rtp_rx_init(&rx, 8000);
	for (unsigned i = 0; i < 5; i++) {
		h = mk((uint16_t)(500 + i), 1000 + 160 * i);
		rtp_rx_update(&rx, &h, 1000000000000ull + arr_ms[i] * 1000000ull);
	}
	ck_assert_uint_eq(rx.jitter_q4, 72);
	ck_assert_uint_eq(rtp_rx_jitter(&rx), 4);
}
END_TEST

/* A timestamp jump (new timeline behind the same SSRC) is not jitter. */
START_TEST(test_timestamp_jump)
{
	struct rtp_rx rx;
	struct rtp_hdr h;
	uint32_t ts = 0;

	rtp_rx_init(&rx, 8000);
	for (unsigned i = 0; i < 50; i++, ts += 160) {
		if (i == 25)
			ts += 8000u * 600; /* +10 min of timestamp, same arrival pace */
		h = mk((uint16_t)i, ts);
		rtp_rx_update(&rx, &h, i * 20000000ull);
	}
	ck_assert_uint_eq(rx.ts_jumps, 1);
	ck_assert_uint_eq(rtp_rx_jitter(&rx), 0);
	/* A steady 20 ms pacing with a 4 ms alternate wobble does count. */
	for (unsigned i = 50; i < 250; i++, ts += 160) {
		h = mk((uint16_t)i, ts);
		rtp_rx_update(&rx, &h, i * 20000000ull + (i & 1) * 4000000ull);
	}
	/* |D| = 32 units every packet: J converges to 32. */
	ck_assert_uint_ge(rtp_rx_jitter(&rx), 30);
	ck_assert_uint_le(rtp_rx_jitter(&rx), 32);
}
END_TEST

START_TEST(test_rtcp_sr_rr_round_trip)
{
	struct rtp_rx rx;
	struct rtp_hdr h;
	struct rtcp_rb rb;
	struct rtcp_builder b;
	struct rtcp_iter it;
	struct rtcp_pkt pkt;
	struct rtcp_report rep;
	struct rtcp_sr_info sr = {
		.ntp = 0xe1234567890abcdeull, .rtp_ts = 160000, .packets = 1000, .octets = 160000};
	uint8_t buf[512];
	const char *cname, *reason;
	size_t cname_len, reason_len;
	uint32_t ssrc;
	unsigned got = 0;

	/* 100 packets 100..199 sent, 10 of them (every 10th from 105) lost. */
	rtp_rx_init(&rx, 8000);
	for (uint16_t s = 100; s < 200; s++) {
		if (s % 10 == 5)
			continue;
		h = mk(s, s * 160u);
		rtp_rx_update(&rx, &h, s * 20000000ull);
	}
	/* The SR from the source arrived 1.5 s before our report. */
	rtp_rx_sr_seen(&rx, 0x0000123456780000ull, 2000000000ull);
	rtcp_rb_from_rx(&rx, &rb, 3500000000ull);
	/* Base is 101 (A.1: the packet ending probation): expected 99,
	 * received 89 -> 10 lost, fraction 10 * 256 / 99 = 25. */
	ck_assert_int_eq(rb.lost, 10);
	ck_assert_uint_eq(rb.fraction, 25);
	ck_assert_uint_eq(rb.ext_max, 199);
	ck_assert_uint_eq(rb.lsr, 0x12345678);
	ck_assert_uint_eq(rb.dlsr, 98304); /* 1.5 * 65536 */

	rtcp_builder_init(&b, buf, sizeof(buf));
	ck_assert_int_eq(rtcp_add_sr(&b, 0xabc, &sr, &rb, 1), 0);
	ck_assert_int_eq(rtcp_add_sdes_cname(&b, 0xabc, "gw@example.net"), 0);
	ck_assert_int_eq(rtcp_add_bye(&b, 0xabc, "call ended"), 0);
	ck_assert_int_eq(b.len % 4, 0);
	ck_assert_int_eq(rtcp_iter_init(&it, buf, b.len), 0);
	while (rtcp_iter_next(&it, &pkt) == 1) {
		switch (got++) {
		case 0:
			ck_assert_int_eq(rtcp_report_decode(&pkt, &rep), 0);
			ck_assert(rep.is_sr);
			ck_assert_uint_eq(rep.ssrc, 0xabc);
			ck_assert(rep.sr.ntp == sr.ntp);
			ck_assert_uint_eq(rep.sr.packets, 1000);
			ck_assert_uint_eq(rep.rb_count, 1);
			ck_assert_int_eq(rep.rb[0].lost, 10);
			ck_assert_uint_eq(rep.rb[0].fraction, 25);
			ck_assert_uint_eq(rep.rb[0].ext_max, 199);
			ck_assert_uint_eq(rep.rb[0].ssrc, 42);
			ck_assert_uint_eq(rep.rb[0].dlsr, 98304);
			break;
		case 1:
			ck_assert_int_eq(rtcp_sdes_cname(&pkt, &ssrc, &cname, &cname_len), 0);
			ck_assert_uint_eq(ssrc, 0xabc);
			ck_assert_int_eq(cname_len, 14);
			ck_assert(!memcmp(cname, "gw@example.net", 14));
			break;
		case 2:
			ck_assert_int_eq(rtcp_bye_decode(&pkt, &ssrc, &reason, &reason_len), 0);
			ck_assert_int_eq(reason_len, 10);
			ck_assert(!memcmp(reason, "call ended", 10));
			break;
		}
	}
	ck_assert_uint_eq(got, 3);

	/* RR with a negative cumulative loss (duplicates) keeps its sign. */
	rb.lost = -3;
	rtcp_builder_init(&b, buf, sizeof(buf));
	ck_assert_int_eq(rtcp_add_rr(&b, 0x55, &rb, 1), 0);
	ck_assert_int_eq(rtcp_iter_init(&it, buf, b.len), 0);
	ck_assert_int_eq(rtcp_iter_next(&it, &pkt), 1);
	ck_assert_int_eq(rtcp_report_decode(&pkt, &rep), 0);
	ck_assert(!rep.is_sr);
	ck_assert_int_eq(rep.rb[0].lost, -3);

	/* Malformed compounds. */
	ck_assert_int_eq(rtcp_iter_init(&it, buf, b.len - 4), -EBADMSG); /* length short */
	buf[1] = RTCP_SDES;
	ck_assert_int_eq(rtcp_iter_init(&it, buf, b.len), -EBADMSG); /* must start SR/RR */
	buf[1] = RTCP_RR;
	buf[0] |= 0x20;
	rtcp_builder_init(&b, buf + 32, sizeof(buf) - 32);
	ck_assert_int_eq(rtcp_iter_init(&it, buf, 32), -EBADMSG); /* padding on first */
	/* No room. */
	rtcp_builder_init(&b, buf, 20);
	ck_assert_int_eq(rtcp_add_sr(&b, 1, &sr, NULL, 0), -ENOSPC);
	ck_assert_uint_eq(b.len, 0);
}
END_TEST

/* A hand-assembled compound decodes to the fields it was built from, and
 * the builder reproduces it byte for byte. */
/* RFC 5761 4: RTCP told from RTP on one port by the second octet. */
START_TEST(test_rtcp_mux_demux)
{
	static const uint8_t sr[] = {0x80, 200, 0, 6}, rr[] = {0x81, 201, 0, 7},
			     fir[] = {0x80, 192, 0, 1}, last[] = {0x80, 223, 0, 1},
			     pcma[] = {0x80, 8, 0, 1}, pcmu_m[] = {0x80, 0x80, 0, 1},
			     te_m[] = {0x80, 0x80 | 101, 0, 1}, pt_127m[] = {0x80, 0xff, 0, 1},
			     below[] = {0x80, 191, 0, 1}, above[] = {0x80, 224, 0, 1};

	ck_assert(rtcp_is_muxed(sr, sizeof(sr)));
	ck_assert(rtcp_is_muxed(rr, sizeof(rr)));
	ck_assert(rtcp_is_muxed(fir, sizeof(fir)));
	ck_assert(rtcp_is_muxed(last, sizeof(last)));
	/* RTP: PCMA, PCMU and telephone-event with the marker, pt 127 marked */
	ck_assert(!rtcp_is_muxed(pcma, sizeof(pcma)));
	ck_assert(!rtcp_is_muxed(pcmu_m, sizeof(pcmu_m)));
	ck_assert(!rtcp_is_muxed(te_m, sizeof(te_m)));
	ck_assert(!rtcp_is_muxed(pt_127m, sizeof(pt_127m)));
	/* the edges of 192-223, and too short to tell */
	ck_assert(!rtcp_is_muxed(below, sizeof(below)));
	ck_assert(!rtcp_is_muxed(above, sizeof(above)));
	ck_assert(!rtcp_is_muxed(sr, 1));
	ck_assert(!rtcp_is_muxed(sr, 0));
}
END_TEST

START_TEST(test_rtcp_vector)
{
	FILE *f = fopen(unit_vector_path("media/rtcp_compound.txt"), "r");
	char line[1024], hex[1000] = "";
	uint8_t pkt[512], *copy, out[512];
	size_t n;
	struct rtcp_iter it;
	struct rtcp_pkt p;
	struct rtcp_report rep;
	struct rtcp_builder b;
	struct rtcp_sr_info sr;
	const char *cname;
	size_t cname_len;
	uint32_t ssrc;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "hex %999s", hex) == 1)
			break;
	fclose(f);
	n = unhex(hex, pkt, sizeof(pkt));
	ck_assert_uint_eq(n, 52 + 24 + 8);
	copy = malloc(n);
	memcpy(copy, pkt, n);
	ck_assert_int_eq(rtcp_iter_init(&it, copy, n), 0);
	ck_assert_int_eq(rtcp_iter_next(&it, &p), 1);
	ck_assert_int_eq(rtcp_report_decode(&p, &rep), 0);
	ck_assert(rep.is_sr);
	ck_assert_uint_eq(rep.ssrc, 0x11223344);
	ck_assert(rep.sr.ntp == 0xe8a1b2c340000000ull);
	ck_assert_uint_eq(rep.sr.rtp_ts, 80000);
	ck_assert_uint_eq(rep.sr.packets, 500);
	ck_assert_uint_eq(rep.sr.octets, 80000);
	ck_assert_uint_eq(rep.rb_count, 1);
	ck_assert_uint_eq(rep.rb[0].ssrc, 0x55667788);
	ck_assert_uint_eq(rep.rb[0].fraction, 25);
	ck_assert_int_eq(rep.rb[0].lost, 10);
	ck_assert_uint_eq(rep.rb[0].ext_max, 0x1000f);
	ck_assert_uint_eq(rep.rb[0].jitter, 32);
	ck_assert_uint_eq(rep.rb[0].lsr, 0xb2c34000);
	ck_assert_uint_eq(rep.rb[0].dlsr, 0x18000);
	ck_assert_int_eq(rtcp_iter_next(&it, &p), 1);
	ck_assert_int_eq(rtcp_sdes_cname(&p, &ssrc, &cname, &cname_len), 0);
	ck_assert_uint_eq(cname_len, 11);
	ck_assert(!memcmp(cname, "tandem@host", 11));
	ck_assert_int_eq(rtcp_iter_next(&it, &p), 1);
	ck_assert_uint_eq(p.pt, RTCP_BYE);
	ck_assert_int_eq(rtcp_iter_next(&it, &p), 0);

	sr = rep.sr;
	rtcp_builder_init(&b, out, sizeof(out));
	ck_assert_int_eq(rtcp_add_sr(&b, rep.ssrc, &sr, rep.rb, 1), 0);
	ck_assert_int_eq(rtcp_add_sdes_cname(&b, rep.ssrc, "tandem@host"), 0);
	ck_assert_int_eq(rtcp_add_bye(&b, rep.ssrc, NULL), 0);
	ck_assert_uint_eq(b.len, n);
	ck_assert_mem_eq(out, pkt, n);
	/* A truncation is a valid compound only at a packet boundary. */
	for (size_t k = 0; k < n; k++)
		ck_assert_int_eq(rtcp_iter_init(&it, copy, k), k == 52 || k == 76 ? 0 : -EBADMSG);
	free(copy);
}
END_TEST

/* The far end's reports about our stream: tests/vectors/media/rtcp_peer.txt */
START_TEST(test_rtcp_peer_vectors)
{
	FILE *f = fopen(unit_vector_path("media/rtcp_peer.txt"), "r");
	char line[2048];
	unsigned n_vec = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		char name[32], res[8], rtt[16], srn[24], hex[1024];
		unsigned ssrc, have_rb, fraction, jitter;
		unsigned long long ntp;
		int lost, rc;
		uint8_t pkt[512], *copy;
		size_t n;
		uint64_t sr_ntp = 1;
		struct rtcp_peer p = {.lost = 777};

		if (sscanf(line, "vec %31s %x %llx %7s %u %u %d %u %15s %23s %1023s", name, &ssrc,
			   &ntp, res, &have_rb, &fraction, &lost, &jitter, rtt, srn, hex) != 11)
			continue;
		n_vec++;
		n = unhex(hex, pkt, sizeof(pkt));
		copy = malloc(n ? n : 1); /* exact size: ASan sees any read past it */
		memcpy(copy, pkt, n);
		rc = rtcp_peer_rx(&p, copy, n, ssrc, ntp, &sr_ntp);
		free(copy);
		if (!strcmp(res, "bad")) {
			ck_assert_msg(rc == -EBADMSG, "%s: %d", name, rc);
			/* nothing taken over from a refused packet */
			ck_assert_msg(p.bad == 1 && p.reports == 0 && p.lost == 777 && !p.have_rb &&
					      sr_ntp == 0,
				      "%s", name);
			continue;
		}
		ck_assert_msg(rc == 0, "%s: %d", name, rc);
		ck_assert_msg(p.reports == 1 && p.bad == 0, "%s", name);
		ck_assert_msg(p.have_rb == (have_rb != 0), "%s: have_rb", name);
		if (have_rb) {
			ck_assert_msg(p.fraction == fraction, "%s: fraction %u", name, p.fraction);
			ck_assert_msg(p.lost == lost, "%s: lost %d", name, p.lost);
			ck_assert_msg(p.jitter == jitter, "%s: jitter %u", name, p.jitter);
		}
		if (!strcmp(rtt, "-"))
			ck_assert_msg(!p.have_rtt, "%s: rtt %u", name, p.rtt_q16);
		else
			ck_assert_msg(p.have_rtt && p.rtt_q16 == strtoul(rtt, NULL, 10),
				      "%s: rtt %u", name, p.rtt_q16);
		if (!strcmp(srn, "-"))
			ck_assert_msg(sr_ntp == 0, "%s", name);
		else
			ck_assert_msg(sr_ntp == strtoull(srn, NULL, 16), "%s: sr %llx", name,
				      (unsigned long long)sr_ntp);
	}
	fclose(f);
	ck_assert_uint_ge(n_vec, 9);
}
END_TEST

START_TEST(test_rtcp_periodic_report)
{
	struct rtp_tx tx;
	struct rtp_rx rx;
	struct rtp_hdr h;
	struct rtcp_iter it;
	struct rtcp_pkt pkt;
	struct rtcp_report rep;
	uint8_t buf[256], pay[160] = {0};
	int n;

	rtp_tx_init(&tx, 0x77, 1, 0);
	rtp_rx_init(&rx, 8000);
	/* Nothing received and nothing sent yet: an empty RR and SDES. */
	n = rtcp_build_report(buf, sizeof(buf), &tx, false, 0, 0, &rx, 0, "a@b");
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(rtcp_iter_init(&it, buf, (size_t)n), 0);
	ck_assert_int_eq(rtcp_iter_next(&it, &pkt), 1);
	ck_assert_int_eq(rtcp_report_decode(&pkt, &rep), 0);
	ck_assert(!rep.is_sr);
	ck_assert_uint_eq(rep.rb_count, 0);
	ck_assert_int_eq(rtcp_iter_next(&it, &pkt), 1);
	ck_assert_uint_eq(pkt.pt, RTCP_SDES);
	/* After sending 3 packets and receiving 5 with one lost: SR + 1 RB. */
	for (int i = 0; i < 3; i++)
		rtp_tx_audio(&tx, buf, sizeof(buf), 8, pay, 160, 160);
	for (uint16_t s = 10; s < 16; s++) {
		if (s == 13)
			continue;
		h = mk(s, s * 160u);
		rtp_rx_update(&rx, &h, s * 20000000ull);
	}
	n = rtcp_build_report(buf, sizeof(buf), &tx, true, 0x1122334455667788ull, 480, &rx,
			      400000000ull, "a@b");
	ck_assert_int_eq(rtcp_iter_init(&it, buf, (size_t)n), 0);
	ck_assert_int_eq(rtcp_iter_next(&it, &pkt), 1);
	ck_assert_int_eq(rtcp_report_decode(&pkt, &rep), 0);
	ck_assert(rep.is_sr);
	ck_assert_uint_eq(rep.sr.packets, 3);
	ck_assert_uint_eq(rep.sr.octets, 480);
	ck_assert_uint_eq(rep.sr.rtp_ts, 480);
	ck_assert_uint_eq(rep.rb_count, 1);
	ck_assert_int_eq(rep.rb[0].lost, 1);
	ck_assert_uint_eq(rep.rb[0].ext_max, 15);
	ck_assert_int_eq(rtcp_build_report(buf, 30, &tx, true, 0, 0, &rx, 0, "a@b"), -ENOSPC);
}
END_TEST

START_TEST(test_comfort_noise)
{
	uint8_t cn[] = {40, 1, 2, 3};
	uint8_t lvl = 0;

	ck_assert_int_eq(rtp_cn_decode(cn, sizeof(cn), &lvl), 0);
	ck_assert_uint_eq(lvl, 40);
	ck_assert_int_eq(rtp_cn_decode(cn, 1, &lvl), 0);
	ck_assert_int_eq(rtp_cn_decode(cn, 0, &lvl), -EBADMSG);
	cn[0] = 0x80;
	ck_assert_int_eq(rtp_cn_decode(cn, 1, &lvl), -EBADMSG);
}
END_TEST

/* An SR with one report block (and SDES after it) as HEP's RTCP JSON:
 * every field where a collector looks for it; an RR without blocks; what
 * is not RTCP refused; a buffer too small said so. */
START_TEST(test_rtcp_json)
{
	struct rtcp_sr_info sr = {
		.ntp = 0xe1234567890abcdeull, .rtp_ts = 160000, .packets = 1000, .octets = 160000};
	struct rtcp_rb rb = {.ssrc = 0x1234,
			     .fraction = 25,
			     .lost = -3,
			     .ext_max = 70199,
			     .jitter = 17,
			     .lsr = 0x12345678,
			     .dlsr = 98304};
	struct rtcp_builder b;
	uint8_t buf[256];
	char js[512];

	rtcp_builder_init(&b, buf, sizeof(buf));
	ck_assert_int_eq(rtcp_add_sr(&b, 0xabc, &sr, &rb, 1), 0);
	ck_assert_int_eq(rtcp_add_sdes_cname(&b, 0xabc, "tandem"), 0);
	ck_assert_int_gt(rtcp_json_encode(js, sizeof(js), buf, b.len), 0);
	ck_assert_str_eq(js, "{\"type\":200,\"ssrc\":2748,\"sender_information\":{"
			     "\"ntp_timestamp_sec\":3777185127,\"ntp_timestamp_usec\":2299182302,"
			     "\"rtp_timestamp\":160000,\"packets\":1000,\"octets\":160000},"
			     "\"report_count\":1,\"report_blocks\":[{\"source_ssrc\":4660,"
			     "\"fraction_lost\":25,\"packets_lost\":-3,\"highest_seq_no\":70199,"
			     "\"ia_jitter\":17,\"lsr\":305419896,\"dlsr\":98304}]}");
	ck_assert_int_eq(rtcp_json_encode(js, 40, buf, b.len), -ENOSPC);

	rtcp_builder_init(&b, buf, sizeof(buf));
	ck_assert_int_eq(rtcp_add_rr(&b, 7, NULL, 0), 0);
	ck_assert_int_gt(rtcp_json_encode(js, sizeof(js), buf, b.len), 0);
	ck_assert_str_eq(js, "{\"type\":201,\"ssrc\":7,\"report_count\":0,\"report_blocks\":[]}");

	/* the largest report (31 blocks of the widest values) fits the
	 * 5120 bytes iw_capture.c gives it */
	{
		struct rtcp_rb big[RTCP_MAX_RB];
		uint8_t bbuf[1024];
		char bjs[5120];

		for (unsigned i = 0; i < RTCP_MAX_RB; i++)
			big[i] = (struct rtcp_rb){.ssrc = UINT32_MAX,
						  .fraction = 255,
						  .lost = -8388608,
						  .ext_max = UINT32_MAX,
						  .jitter = UINT32_MAX,
						  .lsr = UINT32_MAX,
						  .dlsr = UINT32_MAX};
		rtcp_builder_init(&b, bbuf, sizeof(bbuf));
		ck_assert_int_eq(rtcp_add_sr(&b, UINT32_MAX, &sr, big, RTCP_MAX_RB), 0);
		ck_assert_int_gt(rtcp_json_encode(bjs, sizeof(bjs), bbuf, b.len), 4000);
	}

	/* an RTP packet, a cut SR */
	memset(buf, 0, sizeof(buf));
	buf[0] = 0x80;
	buf[1] = 8;
	ck_assert_int_eq(rtcp_json_encode(js, sizeof(js), buf, 172), -EBADMSG);
	ck_assert_str_eq(js, "");
	rtcp_builder_init(&b, buf, sizeof(buf));
	ck_assert_int_eq(rtcp_add_sr(&b, 0xabc, &sr, &rb, 1), 0);
	ck_assert_int_eq(rtcp_json_encode(js, sizeof(js), buf, b.len - 4), -EBADMSG);
}
END_TEST

Suite *rtp_suite(void)
{
	Suite *s = suite_create("rtp");
	TCase *tc = unit_tcase("rtp");

	tcase_add_test(tc, test_decode_vectors);
	tcase_add_test(tc, test_encode_round_trip);
	tcase_add_test(tc, test_sender_continuity);
	tcase_add_test(tc, test_probation_and_wrap);
	tcase_add_test(tc, test_seq_jump_restart);
	tcase_add_test(tc, test_jitter_hand_computed);
	tcase_add_test(tc, test_timestamp_jump);
	tcase_add_test(tc, test_rtcp_sr_rr_round_trip);
	tcase_add_test(tc, test_rtcp_vector);
	tcase_add_test(tc, test_rtcp_mux_demux);
	tcase_add_test(tc, test_rtcp_peer_vectors);
	tcase_add_test(tc, test_rtcp_periodic_report);
	tcase_add_test(tc, test_rtcp_json);
	tcase_add_test(tc, test_comfort_noise);
	suite_add_tcase(s, tc);
	return s;
}
