/* media/span.c: the D channel of a span (E1 TS16): HDLC frames from the
 * span reach the signalling thread's callback, frames queued there go out
 * on the timeslot, the timeslot is no voice channel. The far end here is
 * this test with spandsp's own HDLC coder on a UDP socket. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <spandsp.h>

#include "core/loop.h"
#include "media/media.h"
#include "tests/unit/unit.h"

#define NTS 31
#define FR  8

struct got {
	unsigned frames, failed;
	uint8_t last[64];
	size_t last_len;
	unsigned last_span;
};

static void on_frame(void *priv, unsigned span, const uint8_t *f, size_t len)
{
	struct got *g = priv;

	g->frames++;
	g->last_span = span;
	g->last_len = len < sizeof(g->last) ? len : sizeof(g->last);
	memcpy(g->last, f, g->last_len);
}

static void on_event(void *priv, const struct media_event *ev)
{
	struct got *g = priv;

	if (ev->type == MEDIA_EV_CHAN_FAILED)
		g->failed++;
}

static struct got far_got; /* what the test's HDLC decoder got from tandem */

static void far_rx(void *user, const uint8_t *pkt, int len, int ok)
{
	(void)user;
	if (len > 0 && ok)
		on_frame(&far_got, 0, pkt, (size_t)len);
}

static void noop(void *p)
{
	(void)p;
}

START_TEST(test_dchan_frames_both_ways)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	struct media_cfg cfg = {
		.workers = 1, .chans_per_worker = 4, .rtp_port_min = 26300, .rtp_port_max = 26311};
	struct got got = {0};
	struct media_engine *e = media_engine_alloc(unit_ctx, l, &cfg, on_event, &got);
	struct media_span_cfg sc = {.id = 0, .frames = FR, .worker = -1, .dchan_ts = 16};
	struct sockaddr_in *loc = (struct sockaddr_in *)&sc.local,
			   *rem = (struct sockaddr_in *)&sc.remote;
	const uint8_t up[] = {0x00, 0x01, 0x7f, 0x42, 0x99}, down[] = {0x02, 0x01, 0x73, 0x10};
	hdlc_tx_state_t *tx = hdlc_tx_init(NULL, false, 1, false, NULL, NULL);
	hdlc_rx_state_t *rx = hdlc_rx_init(NULL, false, false, 5, far_rx, NULL);
	struct media_span_stats ss;
	struct media_chan_cfg cc = {.mode = MEDIA_MODE_TDM, .span = 0, .timeslot = 16};
	struct sockaddr_storage lr;
	struct loop_timer g;
	uint32_t ch;
	int fd;

	memset(&far_got, 0, sizeof(far_got));
	loc->sin_family = rem->sin_family = AF_INET;
	loc->sin_addr.s_addr = rem->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	loc->sin_port = htons(26320);
	rem->sin_port = htons(26321);
	sc.local_len = sc.remote_len = sizeof(struct sockaddr_in);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)rem, sizeof(*rem)), 0);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(media_engine_add_span(e, &sc), 0);
	media_engine_set_dchan_cb(e, on_frame, &got);
	ck_assert_int_eq(media_engine_start(e), 0);
	ck_assert_int_eq(media_dchan_send(e, 1, down, sizeof(down)), -ENOENT);
	ck_assert_int_eq(media_dchan_send(e, 0, down, 0), -EMSGSIZE);
	hdlc_tx_flags(tx, 8);
	loop_timer_init(&g, noop, NULL);
	for (unsigned i = 0; i < 300; i++) {
		uint8_t pkt[4 + FR * NTS], d[FR], buf[2048];
		ssize_t r;

		if (i == 50) {
			ck_assert_int_eq(hdlc_tx_frame(tx, up, sizeof(up)), 0);
			ck_assert_int_eq(media_dchan_send(e, 0, down, sizeof(down)), 0);
		}
		memset(pkt, 0xd5, sizeof(pkt));
		pkt[0] = pkt[1] = 0;
		pkt[2] = (uint8_t)(i >> 8);
		pkt[3] = (uint8_t)i;
		hdlc_tx_get(tx, d, FR);
		for (unsigned f = 0; f < FR; f++)
			pkt[4 + f * NTS + 15] = d[f]; /* TS16 is the 16th of 1..31 */
		ck_assert_int_eq(
			sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)loc, sizeof(*loc)),
			(ssize_t)sizeof(pkt));
		loop_timer_schedule(l, &g, 1000);
		loop_run_once(l);
		while ((r = recv(fd, buf, sizeof(buf), 0)) > 0) {
			ck_assert_int_eq(r, (ssize_t)sizeof(pkt));
			for (unsigned f = 0; f < FR; f++)
				d[f] = buf[4 + f * NTS + 15];
			hdlc_rx_put(rx, d, FR);
		}
	}
	loop_timer_cancel(l, &g);
	/* span -> signalling thread: the frame, once, without its FCS */
	ck_assert_uint_eq(got.frames, 1);
	ck_assert_uint_eq(got.last_span, 0);
	ck_assert_uint_eq(got.last_len, sizeof(up));
	ck_assert(!memcmp(got.last, up, sizeof(up)));
	/* signalling thread -> span */
	ck_assert_uint_eq(far_got.frames, 1);
	ck_assert_uint_eq(far_got.last_len, sizeof(down));
	ck_assert(!memcmp(far_got.last, down, sizeof(down)));
	ck_assert_int_eq(media_span_stats(e, 0, &ss), 0);
	ck_assert_uint_eq(ss.d_rx_frames, 1);
	ck_assert_uint_eq(ss.d_tx_frames, 1);
	ck_assert_uint_eq(ss.d_rx_bad, 0);
	/* the D channel's timeslot takes no voice channel */
	ck_assert_int_eq(media_chan_alloc(e, media_span_worker(e, 0), &ch, &lr), 0);
	ck_assert_int_eq(media_chan_modify(e, ch, &cc), 0);
	for (unsigned i = 0; i < 100 && !got.failed; i++) {
		loop_timer_schedule(l, &g, 2000);
		loop_run_once(l);
	}
	loop_timer_cancel(l, &g);
	ck_assert_uint_eq(got.failed, 1);
	media_engine_stop(e);
	hdlc_tx_free(tx);
	hdlc_rx_free(rx);
	close(fd);
	talloc_free(e);
	loop_free(l);
}
END_TEST

Suite *media_dchan_suite(void)
{
	Suite *s = suite_create("media_dchan");
	TCase *tc = unit_tcase("dchan");

	tcase_add_test(tc, test_dchan_frames_both_ways);
	suite_add_tcase(s, tc);
	return s;
}
