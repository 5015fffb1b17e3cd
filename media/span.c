/* TDM spans on CESoPSN and the channels that connect a timeslot to RTP.
 *
 * The span is the clock (RFC 5086 5.1: the TDM side keeps time): every
 * packet that arrives from the span carries FRAMES samples of each
 * timeslot toward RTP, and triggers one packet back carrying FRAMES samples
 * of each timeslot toward TDM, taken from the channels' playout buffers.
 * Nothing here allocates per packet. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>

#include <spandsp.h>

#include "core/log.h"
#include "media/g711.h"
#include "media/rtcp.h"
#include "media/worker_int.h"

static enum xc_codec codec_of(enum media_codec c)
{
	switch (c) {
	case MEDIA_CODEC_PCMU:
		return XC_PCMU;
	case MEDIA_CODEC_G722:
		return XC_G722;
	case MEDIA_CODEC_PCMA:
		break;
	}
	return XC_PCMA;
}

/* --- TDM -> RTP: gather a packet's worth, encode, send --- */

static void send_rtp(struct media_chan *c, const uint8_t *pkt, int len)
{
	if (len > 0 && loop_udp_send(c->rtp, pkt, (size_t)len, (struct sockaddr *)&c->cfg.remote,
				     c->cfg.remote_len) == 0) {
		c->st.tx_pkts++;
		c->st.tx_bytes += (size_t)len;
		atomic_fetch_add_explicit(&c->w->tx_pkts, 1, memory_order_relaxed);
		chan_tap(c, MEDIA_TAP_RTP, true, pkt, (size_t)len,
			 (struct sockaddr *)&c->cfg.remote, c->cfg.remote_len);
	}
}

/* A digit detected on the TDM samples: RFC 4733 toward RTP (2.5.1), and
 * a word to the signalling side. */
static void dtmf_detected(const struct dtmf_event *ev, void *priv)
{
	struct media_chan *c = priv;
	struct media_event me = {.type = MEDIA_EV_DTMF, .chan = c->id, .digit = ev->digit};
	int code = rtp_event_from_digit(ev->digit);

	if (code < 0)
		return;
	if (!c->cfg.dtmf_pt) {
		/* no RFC 4733 on this channel: the signalling side relays the
		 * digit (SIP INFO) once its length is known */
		if (ev->end) {
			me.duration = ev->duration;
			worker_event(c->w, &me);
		}
		return;
	}
	if (!ev->end) {
		/* the onset lies DTMF_START_LAG samples back (plus the look-ahead
		 * the audio is delayed by, which the media clock already counts);
		 * a digit that follows closely waits for the last one's three end
		 * packets (RFC 4733 2.5.1.4) */
		if (rtp_event_tx_start(&c->evtx, (uint8_t)code, 10, c->rtp_tx.ts) == -EBUSY)
			c->pending_event = code;
		return;
	}
	if (c->pending_event == code && c->evtx.state != RTP_EVENT_TX_ACTIVE) {
		/* it ended before it could start: send it whole now */
		return;
	}
	rtp_event_tx_stop(&c->evtx);
	me.duration = ev->duration;
	worker_event(c->w, &me);
}

/* samples: received from TDM; sent: what went toward TDM on this timeslot
 * in the same packet (the echo canceller's reference). */
static void chan_tdm_in(struct media_chan *c, const uint8_t *samples, uint8_t *sent, unsigned n)
{
	unsigned need = xc_samples(c->xc);

	if (c->cot_mode == MEDIA_COT_LOOP) {
		/* Q.764 2.1.8: the incoming side loops the circuit back */
		memcpy(sent, samples, n);
		return;
	}
	if (c->cot_mode == MEDIA_COT_CHECK) {
		int16_t rx[CESOP_MAX_FRAMES], tx[CESOP_MAX_FRAMES];
		enum g711_law law = c->span->cc.law;

		g711_decode_buf(law, samples, rx, n);
		if (cot_process(&c->cot, rx, tx, n) == COT_EV_TONE_ON) {
			struct media_event me = {.type = MEDIA_EV_COT, .chan = c->id};

			worker_event(c->w, &me);
		}
		g711_encode_buf(law, tx, sent, n);
		return; /* while the check runs, nothing goes to RTP */
	}

	if (c->up_fill + n > sizeof(c->up))
		c->up_fill = 0; /* cannot happen with sane frames/ptime; never overflow */
	if (c->det || c->ec) {
		int16_t lin[CESOP_MAX_FRAMES], ref[CESOP_MAX_FRAMES], clean[CESOP_MAX_FRAMES];
		enum g711_law law = c->span->cc.law;

		g711_decode_buf(law, samples, lin, n);
		if (c->ec) {
			/* the hybrid's echo of what we sent is taken out before RTP */
			g711_decode_buf(law, sent, ref, n);
			ec_process(c->ec, ref, lin, clean, n);
			memcpy(lin, clean, n * sizeof(int16_t));
			if (!c->ans_reported && ec_state(c->ec) == EC_S_TONE_DISABLED) {
				/* a modem or fax answered: the signalling side may
				 * want to know (and the canceller stays off) */
				struct media_event me = {.type = MEDIA_EV_ANS, .chan = c->id};

				c->ans_reported = true;
				worker_event(c->w, &me);
			}
		}
		/* detect and mute digits in place; the audio comes out delayed */
		if (c->det)
			dtmf_det_rx(c->det, lin, n);
		g711_encode_buf(law, lin, c->up + c->up_fill, n);
	} else {
		memcpy(c->up + c->up_fill, samples, n);
	}
	c->up_fill += n;
	while (c->up_fill >= need) {
		uint8_t payload[XC_MAX_SAMPLES * 2], pkt[RTP_HDR_LEN + sizeof(payload)];
		int plen, len;

		if (c->evtx.state == RTP_EVENT_TX_IDLE && c->evq_n) {
			/* the next of the digits CMD_DTMF_RTP queued */
			char d = c->evq[0];

			memmove(c->evq, c->evq + 1, --c->evq_n);
			rtp_event_tx_start(&c->evtx, (uint8_t)rtp_event_from_digit(d), 10,
					   c->rtp_tx.ts);
			c->evtx_left = (int)c->evq_ms * 8;
		}
		if (c->evtx.state != RTP_EVENT_TX_IDLE && c->cfg.remote.ss_family) {
			struct rtp_event_pkt ep;

			/* while a digit is on, the interval carries the event, not audio */
			if (rtp_event_tx_tick(&c->evtx, need, &ep) == 1) {
				len = rtp_tx_packet(&c->rtp_tx, pkt, sizeof(pkt), c->cfg.dtmf_pt,
						    ep.marker, ep.ts, ep.payload, RTP_EVENT_LEN);
				send_rtp(c, pkt, len);
			}
			rtp_tx_skip(&c->rtp_tx, need);
			if (c->evtx_left > 0 && (c->evtx_left -= (int)need) <= 0) {
				/* a timed digit (CMD_DTMF_RTP) is over: its end packets */
				c->evtx_left = 0;
				rtp_event_tx_stop(&c->evtx);
			}
			if (c->evtx.state == RTP_EVENT_TX_IDLE && c->pending_event >= 0) {
				rtp_event_tx_start(&c->evtx, (uint8_t)c->pending_event, 10,
						   c->rtp_tx.ts);
				/* its end was seen already if detection moved on: end it soon */
				if (!dtmf_det_in_digit(c->det))
					rtp_event_tx_stop(&c->evtx);
				c->pending_event = -1;
			}
			memmove(c->up, c->up + need, c->up_fill - need);
			c->up_fill -= need;
			continue;
		}
		plen = xc_encode(c->xc, c->up, payload, sizeof(payload));
		if (plen >= 0 && c->cfg.remote.ss_family) {
			len = rtp_tx_audio(&c->rtp_tx, pkt, sizeof(pkt), c->cfg.pt, payload,
					   (size_t)plen, need);
			send_rtp(c, pkt, len);
		} else if (plen >= 0) {
			rtp_tx_skip(&c->rtp_tx, need); /* no remote yet: keep time */
		}
		memmove(c->up, c->up + need, c->up_fill - need);
		c->up_fill -= need;
	}
}

/* --- RTP -> TDM: decode into the jitter buffer; the span clock plays it --- */

/* Q.24: at least 40 ms of pause between two digits played toward TDM */
#define TDM_DIGIT_PAUSE 320

/* An RFC 4733 digit toward TDM: on now, or after the one on (and its
 * pause); len: samples to play, 0 until its END says */
static void tdm_digit_begin(struct media_chan *c, char digit, uint32_t len)
{
	if (c->gen.active || c->gen_pause || c->tdmq_n) {
		if (c->tdmq_n < sizeof(c->tdmq)) {
			c->tdmq[c->tdmq_n] = digit;
			c->tdmq_len[c->tdmq_n++] = len;
		}
		return;
	}
	if (dtmf_gen_start(&c->gen, digit, c->span->cc.law, -8.0, -6.0) == 0) {
		c->gen_left = len;
		c->gen_played = 0;
	}
}

/* The length of the last digit begun, if not known yet: its END's
 * duration (RTP timestamp units: samples at 8 kHz), or the last update's
 * when a new digit came without an END */
static void tdm_digit_end(struct media_chan *c, uint32_t dur)
{
	if (!dur)
		dur = 1;
	if (c->tdmq_n) {
		if (!c->tdmq_len[c->tdmq_n - 1])
			c->tdmq_len[c->tdmq_n - 1] = dur;
		return;
	}
	if (!c->gen.active || c->gen_left)
		return; /* over already, or timed (its END came, or CMD_DTMF) */
	if (c->gen_played >= dur) {
		dtmf_gen_stop(&c->gen);
		c->gen_pause = TDM_DIGIT_PAUSE;
	} else {
		c->gen_left = dur - c->gen_played;
	}
}

void chan_tdm_rtp_rx(struct media_chan *c, const uint8_t *data, size_t len)
{
	struct rtp_hdr h;
	uint8_t tdm[XC_MAX_SAMPLES];
	int n;

	if (rtp_decode(data, len, &h) < 0) {
		c->st.rx_bad++;
		return;
	}
	rtp_rx_update(&c->rx, &h, loop_now_ns());
	if (c->cfg.dtmf_pt && h.pt == c->cfg.dtmf_pt) {
		/* RFC 4733 toward TDM: play the digit as Q.23 tones */
		struct rtp_event ev;
		enum rtp_event_rx_kind k;
		uint32_t last_dur = c->evrx.duration;
		bool fresh;

		if (rtp_event_decode(h.payload, h.payload_len, &ev) < 0)
			return;
		/* a new event, not a later segment of a long one (2.5.2.1) */
		fresh = !c->evrx.active ||
			(c->evrx.ts != h.ts && (c->evrx.ended || ev.event != c->evrx.event));
		k = rtp_event_rx_update(&c->evrx, h.ts, &ev);
		if (fresh && (k == RTP_EVENT_RX_START || k == RTP_EVENT_RX_END)) {
			/* a new digit: the last one, if its END never came, lasts
			 * what its updates said; one whose start packets were all
			 * lost still plays (its END gives its length) */
			tdm_digit_end(c, last_dur);
			tdm_digit_begin(c, rtp_event_to_digit(ev.event), 0);
		}
		if (k == RTP_EVENT_RX_END) {
			struct media_event me = {.type = MEDIA_EV_DTMF,
						 .chan = c->id,
						 .digit = rtp_event_to_digit(ev.event),
						 .from_rtp = true,
						 .duration = ev.duration};

			tdm_digit_end(c, ev.duration);
			worker_event(c->w, &me);
		}
		return;
	}
	if (h.pt != c->cfg.pt)
		return; /* comfort noise and unknown payloads are not played */
	n = xc_decode(c->xc, h.payload, h.payload_len, tdm, sizeof(tdm));
	if (n <= 0) {
		c->st.rx_bad++;
		return;
	}
	jb_put(c->jb, h.seq, tdm, (size_t)n);
}

static void chan_tdm_out(struct media_chan *c, uint8_t *out, unsigned n)
{
	unsigned done = 0;

	while (done < n) {
		unsigned k;

		if (c->down_off >= c->down_len) {
			jb_get(c->jb, c->down); /* a frame, concealment, or idle while filling */
			c->down_len = xc_samples(c->xc);
			c->down_off = 0;
		}
		k = c->down_len - c->down_off;
		if (k > n - done)
			k = n - done;
		memcpy(out + done, c->down + c->down_off, k);
		c->down_off += k;
		done += k;
	}
	if (!c->gen.active && c->gen_pause)
		c->gen_pause = c->gen_pause > n ? c->gen_pause - n : 0;
	if (!c->gen.active && !c->gen_pause && c->tdmq_n) {
		/* the next RFC 4733 digit that came while one was on */
		char d = c->tdmq[0];
		uint32_t len = c->tdmq_len[0];

		c->tdmq_n--;
		memmove(c->tdmq, c->tdmq + 1, c->tdmq_n);
		memmove(c->tdmq_len, c->tdmq_len + 1, c->tdmq_n * sizeof(c->tdmq_len[0]));
		tdm_digit_begin(c, d, len);
	}
	if (c->gen.active) {
		int16_t lin[CESOP_MAX_FRAMES];

		dtmf_gen_fill(&c->gen, lin, n);
		g711_encode_buf(c->span->cc.law, lin, out, n);
		c->gen_played += n;
		if (c->gen_left) {
			/* a timed digit (its END came, or SIP INFO): stop when
			 * its length is played, then pause */
			c->gen_left = c->gen_left > n ? c->gen_left - n : 0;
			if (!c->gen_left) {
				dtmf_gen_stop(&c->gen);
				c->gen_pause = TDM_DIGIT_PAUSE;
			}
		}
	} else if (c->tone.active) {
		int16_t lin[CESOP_MAX_FRAMES];

		tone_gen_fill(&c->tone, lin, n);
		g711_encode_buf(c->span->cc.law, lin, out, n);
	}
}

int chan_tdm_cot(struct media_chan *c, enum media_cot mode)
{
	if (!c->span)
		return -ENOTCONN;
	c->cot_mode = mode;
	if (mode == MEDIA_COT_CHECK) {
		/* Q.724: recognise the returned tone above -25 dBm0 for 40 ms */
		cot_init(&c->cot, c->span->cc.law, -25.0, 40);
		cot_start(&c->cot, COT_ORIG_4W);
	} else {
		cot_stop(&c->cot);
	}
	return 0;
}

int chan_tdm_dtmf(struct media_chan *c, char digit, unsigned ms)
{
	int rc;

	if (!c->span)
		return -ENOTCONN;
	/* Q.24 / Q.23 levels as for RFC 4733 events */
	rc = dtmf_gen_start(&c->gen, digit, c->span->cc.law, -8.0, -6.0);
	if (rc < 0)
		return rc;
	c->gen_left = ms * 8;
	c->gen_played = 0;
	return 0;
}

int chan_rtp_dtmf(struct media_chan *c, char digit, unsigned ms)
{
	int code = rtp_event_from_digit(digit);

	if (!c->span || !c->cfg.dtmf_pt)
		return -ENOTCONN;
	if (code < 0)
		return -EINVAL;
	if (c->evtx.state != RTP_EVENT_TX_IDLE || c->evq_n) {
		/* a digit is on: this one follows it */
		if (c->evq_n >= sizeof(c->evq))
			return -EBUSY;
		c->evq[c->evq_n++] = digit;
		c->evq_ms = ms;
		return 0;
	}
	rtp_event_tx_start(&c->evtx, (uint8_t)code, 10, c->rtp_tx.ts);
	c->evtx_left = (int)ms * 8;
	return 0;
}

int chan_tdm_tone(struct media_chan *c, const char *plan, const char *tone)
{
	if (!c->span)
		return -ENOTCONN;
	if (!tone || !tone[0]) {
		tone_gen_stop(&c->tone);
		return 0;
	}
	return tone_gen_start(&c->tone, plan, tone, c->span->cc.law, INT16_MIN);
}

/* --- the D channel: HDLC frames on one timeslot (Q.921 below libpri) --- */

/* A frame (or a status report: len < 0) from the HDLC decoder. */
static void dch_rx_frame(void *priv, const uint8_t *pkt, int len, int ok)
{
	struct media_span *s = priv;
	struct media_dchan_frame f;

	if (len < 0)
		return; /* carrier / framing status: the protocol's timers notice a loss */
	if (!ok || len < 3 || len > MEDIA_DCHAN_MAX) {
		atomic_fetch_add_explicit(&s->d_rx_bad, 1, memory_order_relaxed);
		return;
	}
	f.len = (uint16_t)len;
	memcpy(f.data, pkt, (size_t)len);
	if (!spsc_push(s->drxq, &f)) {
		atomic_fetch_add_explicit(&s->d_dropped, 1, memory_order_relaxed);
		return;
	}
	atomic_fetch_add_explicit(&s->d_rx_frames, 1, memory_order_relaxed);
	loop_wake_signal(s->w->e->ev_wake);
}

/* The D channel timeslot's n bytes of this packet: in from the span, out
 * toward it (flags when there is nothing to send). */
static void dch_process(struct media_span *s, const uint8_t *in, uint8_t *out, unsigned n)
{
	hdlc_rx_put(s->hrx, in, (int)n);
	for (;;) {
		if (!s->pend->len && !spsc_pop(s->dtxq, s->pend))
			break;
		/* the encoder holds one frame besides the one going out */
		if (hdlc_tx_frame(s->htx, s->pend->data, s->pend->len) != 0)
			break;
		atomic_fetch_add_explicit(&s->d_tx_frames, 1, memory_order_relaxed);
		s->pend->len = 0;
	}
	hdlc_tx_get(s->htx, out, n);
}

static int dch_create(struct media_span *s)
{
	s->dch_pos = -1;
	if (!s->cfg.dchan_ts)
		return 0;
	for (unsigned k = 0; k < s->cc.n_ts; k++)
		if (s->cc.ts_list[k] == s->cfg.dchan_ts)
			s->dch_pos = (int)k;
	if (s->dch_pos < 0 || !s->drxq || !s->dtxq)
		return -EINVAL;
	s->pend = talloc_zero(s->w->ctx, struct media_dchan_frame);
	/* Q.921 on a 64 kbit/s channel: CRC-16, one flag between frames,
	 * bad frames not reported; the decoder wants 5 good flags first */
	s->hrx = hdlc_rx_init(NULL, false, false, 5, dch_rx_frame, s);
	s->htx = hdlc_tx_init(NULL, false, 1, false, NULL, NULL);
	if (!s->pend || !s->hrx || !s->htx)
		return -ENOMEM;
	hdlc_tx_flags(s->htx, 8);
	return 0;
}

static void dch_destroy(struct media_span *s)
{
	if (s->hrx)
		hdlc_rx_free(s->hrx);
	if (s->htx)
		hdlc_tx_free(s->htx);
	TALLOC_FREE(s->pend);
	s->hrx = NULL;
	s->htx = NULL;
}

/* --- the span --- */

static void span_rx(void *priv, const uint8_t *data, size_t len, const struct sockaddr *from,
		    socklen_t fromlen)
{
	struct media_span *s = priv;
	struct cesop_pkt pkt;
	uint8_t in[CESOP_MAX_PAYLOAD], out[CESOP_MAX_PAYLOAD], payload[CESOP_MAX_PAYLOAD];
	uint8_t buf[CESOP_CW_LEN + RTP_HDR_LEN + CESOP_MAX_PAYLOAD];
	struct cesop_cw flags = {0};
	unsigned frames = s->cc.frames, n_ts = s->cc.n_ts;
	uint8_t idle = g711_silence(s->cc.law);
	int blen;

	(void)from;
	(void)fromlen;
	if (cesop_decode(&s->cc, data, len, &pkt) < 0) {
		atomic_fetch_add_explicit(&s->rx_bad, 1, memory_order_relaxed);
		return;
	}
	atomic_fetch_add_explicit(&s->rx_pkts, 1, memory_order_relaxed);
	if (s->rx_started && pkt.cw.seq != s->rx_expect) {
		uint16_t gap = (uint16_t)(pkt.cw.seq - s->rx_expect);

		/* a jump beyond RFC 3550's MAX_DROPOUT (A.1) is the far end
		 * restarting its sequence, not loss; late packets are not loss */
		if (gap < 3000)
			atomic_fetch_add_explicit(&s->rx_lost, gap, memory_order_relaxed);
	}
	s->rx_started = true;
	s->rx_expect = (uint16_t)(pkt.cw.seq + 1);

	/* toward RTP, through the jitter buffer: each arrival plays one packet
	 * interval (the span is the clock), a late or lost one is concealed */
	if (pkt.cw.l || pkt.payload_len < (size_t)frames * n_ts) {
		/* RFC 5086 5.2: L set: the attachment circuit failed, play idle */
		atomic_fetch_add_explicit(&s->rx_l_bit, 1, memory_order_relaxed);
		memset(payload, idle, (size_t)frames * n_ts);
		jb_put(s->jb, pkt.cw.seq, payload, (size_t)frames * n_ts);
	} else {
		jb_put(s->jb, pkt.cw.seq, pkt.payload, (size_t)frames * n_ts);
	}
	jb_get(s->jb, payload);
	cesop_deinterleave(payload, n_ts, frames, in);
	/* toward TDM: one packet per packet received (built first: it is the
	 * echo canceller's reference for what came in) */
	for (unsigned k = 0; k < n_ts; k++) {
		if (s->chan[k])
			chan_tdm_out(s->chan[k], out + k * frames, frames);
		else
			memset(out + k * frames, idle, frames);
	}
	for (unsigned k = 0; k < n_ts; k++)
		if (s->chan[k])
			chan_tdm_in(s->chan[k], in + k * frames, out + k * frames, frames);
	if (s->dch_pos >= 0) {
		unsigned k = (unsigned)s->dch_pos;

		dch_process(s, in + k * frames, out + k * frames, frames);
	}
	cesop_interleave(out, n_ts, frames, payload);
	blen = cesop_encode(&s->cc, &s->tx, &flags, payload, buf, sizeof(buf));
	if (blen > 0 && loop_udp_send(s->sock, buf, (size_t)blen, (struct sockaddr *)&s->cfg.remote,
				      s->cfg.remote_len) == 0)
		atomic_fetch_add_explicit(&s->tx_pkts, 1, memory_order_relaxed);
}

int span_create(struct media_worker *w, const struct media_span_cfg *cfg, int fd)
{
	struct media_span *s;
	struct spsc *drxq, *dtxq;

	if (cfg->id >= MEDIA_MAX_SPANS)
		return -ERANGE;
	s = w->spans[cfg->id];
	if (!s)
		return -ENOENT;
	/* the signalling thread made the D channel queues before the span's
	 * command was queued */
	drxq = w->e->dchan_rxq[cfg->id];
	dtxq = w->e->dchan_txq[cfg->id];
	memset(s, 0, sizeof(*s));
	s->drxq = drxq;
	s->dtxq = dtxq;
	s->w = w;
	s->cfg = *cfg;
	cesop_cfg_init(&s->cc, cfg->t1 ? CESOP_T1 : CESOP_E1);
	if (cfg->frames && cesop_cfg_set_frames(&s->cc, cfg->frames) < 0)
		return -EINVAL;
	cesop_tx_init(&s->tx, 1, 0, 0);
	{
		struct jb_cfg jc = {.frame_bytes = (unsigned)cesop_payload_len(&s->cc),
				    .depth = 2,
				    .capacity = 64,
				    .payload = s->cc.law == G711_LAW_A ? JB_PAYLOAD_ALAW
								       : JB_PAYLOAD_ULAW,
				    .conceal = JB_CONCEAL_REPEAT_FADE,
				    .fade_frames = 4};

		s->jb = jb_alloc(w->ctx, &jc);
		if (!s->jb)
			return -ENOMEM;
	}
	if (dch_create(s) < 0) {
		dch_destroy(s);
		jb_free(s->jb);
		s->jb = NULL;
		return -EINVAL;
	}
	s->sock = loop_udp_adopt(w->loop, fd, span_rx, s);
	if (!s->sock)
		return -ENOMEM;
	loop_udp_count_drops(s->sock); /* the worker's health check */
	s->in_use = true;
	return 0;
}

void span_destroy(struct media_span *s)
{
	if (!s || !s->in_use)
		return;
	loop_udp_close(s->sock);
	dch_destroy(s);
	jb_free(s->jb);
	s->jb = NULL;
	s->in_use = false;
}

int chan_tdm_setup(struct media_worker *w, struct media_chan *c, const struct media_chan_cfg *cfg)
{
	struct media_span *s;
	struct jb_cfg jc = {0};
	int pos = -1;

	if (cfg->span >= MEDIA_MAX_SPANS || !w->spans[cfg->span] || !w->spans[cfg->span]->in_use)
		return -ENOENT;
	s = w->spans[cfg->span];
	for (unsigned k = 0; k < s->cc.n_ts; k++)
		if (s->cc.ts_list[k] == cfg->timeslot)
			pos = (int)k;
	if (pos < 0)
		return -ERANGE;
	if (pos == s->dch_pos)
		return -EBUSY; /* the D channel is no voice channel */
	if (s->chan[pos] && s->chan[pos] != c)
		return -EBUSY;
	if (c->xc && c->span == s && c->ts_index == (unsigned)pos) {
		/* re-negotiation on the same timeslot (or the far end became
		 * known): new codec or ptime, and DTMF relay or the echo
		 * canceller switched on or off */
		int rc = xc_set(c->xc, codec_of(cfg->codec), cfg->ptime ? cfg->ptime : 20);

		if (rc < 0)
			return rc;
		if ((cfg->dtmf_pt || cfg->dtmf_detect) && !c->det) {
			c->det = dtmf_det_alloc(w->ctx, DTMF_DEFAULT_DELAY, dtmf_detected, c);
			if (!c->det)
				return -ENOMEM;
		} else if (!cfg->dtmf_pt && !cfg->dtmf_detect && c->det) {
			dtmf_det_free(c->det);
			c->det = NULL;
		}
		if (cfg->ec[0] && !c->ec) {
			struct ec_params ep = {.ops = ec_find(cfg->ec),
					       .tail_ms = cfg->ec_tail_ms,
					       .tone_disable = true};

			c->ec = ep.ops ? ec_alloc(w->ctx, &ep) : NULL;
			if (!c->ec)
				return -EINVAL;
		} else if (!cfg->ec[0] && c->ec) {
			ec_free(c->ec);
			c->ec = NULL;
		}
		return 0;
	}
	chan_tdm_release(c);
	c->xc = xc_alloc(w->ctx, s->cc.law, codec_of(cfg->codec), cfg->ptime ? cfg->ptime : 20);
	jc.frame_bytes = xc_samples(c->xc ? c->xc : NULL);
	jc.depth = 2; /* 40 ms at 20 ms ptime before playout starts */
	jc.capacity = 16;
	jc.payload = s->cc.law == G711_LAW_A ? JB_PAYLOAD_ALAW : JB_PAYLOAD_ULAW;
	jc.conceal = JB_CONCEAL_REPEAT_FADE;
	jc.fade_frames = 3;
	c->jb = c->xc ? jb_alloc(w->ctx, &jc) : NULL;
	if (!c->xc || !c->jb) {
		chan_tdm_release(c);
		return -ENOMEM;
	}
	rtp_tx_init(&c->rtp_tx, (uint32_t)(0x7a000000u ^ c->id), (uint16_t)(c->id * 7919u),
		    c->id * 160u);
	rtp_event_tx_init(&c->evtx);
	c->evtx_left = 0;
	c->evq_n = 0;
	c->pending_event = -1;
	rtp_rx_init(&c->rx, 8000);
	memset(&c->peer, 0, sizeof(c->peer));
	/* RFC 3550 6.2: the first report half the 5 s minimum interval after
	 * media begins (chan_rtcp_tick), not after set-up: a channel set up
	 * long before its first packet would otherwise send an empty RR and
	 * then nothing for 5 s */
	c->next_rtcp_ns = 0;
	c->tx_pkts_at_rtcp = 0;
	rtp_event_rx_init(&c->evrx);
	memset(&c->gen, 0, sizeof(c->gen));
	c->gen_left = c->gen_played = c->gen_pause = 0;
	c->tdmq_n = 0;
	memset(&c->tone, 0, sizeof(c->tone));
	c->cot_mode = MEDIA_COT_OFF;
	c->ans_reported = false;
	if (cfg->ec[0]) {
		struct ec_params ep = {
			.ops = ec_find(cfg->ec), .tail_ms = cfg->ec_tail_ms, .tone_disable = true};

		c->ec = ep.ops ? ec_alloc(w->ctx, &ep) : NULL;
		if (!c->ec) {
			chan_tdm_release(c);
			return -EINVAL;
		}
	}
	if (cfg->dtmf_pt || cfg->dtmf_detect) {
		c->det = dtmf_det_alloc(w->ctx, DTMF_DEFAULT_DELAY, dtmf_detected, c);
		if (!c->det) {
			chan_tdm_release(c);
			return -ENOMEM;
		}
	}
	c->span = s;
	c->ts_index = (unsigned)pos;
	c->up_fill = 0;
	c->down_len = c->down_off = 0;
	s->chan[pos] = c;
	return 0;
}

void chan_tdm_release(struct media_chan *c)
{
	if (c->span && c->span->chan[c->ts_index] == c)
		c->span->chan[c->ts_index] = NULL;
	c->span = NULL;
	if (c->xc)
		xc_free(c->xc);
	if (c->jb)
		jb_free(c->jb);
	if (c->det)
		dtmf_det_free(c->det);
	if (c->ec)
		ec_free(c->ec);
	c->ec = NULL;
	c->xc = NULL;
	c->jb = NULL;
	c->det = NULL;
}

void chan_rtcp_tick(struct media_chan *c, uint64_t now_ns)
{
	uint8_t buf[256];
	struct sockaddr_storage to;
	uint64_t ntp;
	int n;

	if (!c->xc || !c->cfg.remote.ss_family)
		return;
	if (!c->next_rtcp_ns) {
		if (c->rtp_tx.packets || c->rx.started)
			c->next_rtcp_ns = now_ns + 2500000000ull;
		return;
	}
	if (now_ns < c->next_rtcp_ns)
		return;
	c->next_rtcp_ns = now_ns + 5000000000ull;
	ntp = worker_ntp_now();
	n = rtcp_build_report(buf, sizeof(buf), &c->rtp_tx, c->rtp_tx.packets != c->tx_pkts_at_rtcp,
			      ntp, c->rtp_tx.ts, &c->rx, now_ns, "tandem");
	c->tx_pkts_at_rtcp = c->rtp_tx.packets;
	if (n <= 0)
		return;
	/* RFC 3550 11 (the next higher port) or RFC 3605 a=rtcp, or where
	 * the peer's RTCP was latched from (worker.c chan_admit) */
	to = c->rtcp_remote;
	if (!to.ss_family)
		return;
	if (loop_udp_send(chan_rtcp_sock(c), buf, (size_t)n, (struct sockaddr *)&to,
			  c->rtcp_remote_len) == 0)
		chan_tap(c, MEDIA_TAP_RTCP, true, buf, (size_t)n, (struct sockaddr *)&to,
			 c->rtcp_remote_len);
}
