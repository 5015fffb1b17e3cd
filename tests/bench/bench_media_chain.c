/* Benchmark: CPU per channel-second of the pure media chain, i.e. how many
 * channels one core can carry for the DSP part alone (no sockets).
 *
 * One E1 span, 31 timeslots, CESoPSN 8 frames per packet (1 ms):
 *   TDM -> RTP: CESoPSN decode -> jitter buffer -> de-interleave ->
 *               20 ms per channel -> transcode -> RTP encode
 *   RTP -> TDM: RTP decode + receiver stats -> transcode -> playout ->
 *               interleave -> CESoPSN encode
 * for several codecs, plus the same with in-band DTMF detection (spandsp)
 * on every channel. Prints one line per case and a JSON summary line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <talloc.h>
#include <time.h>

#include "media/cesopsn.h"
#include "media/dtmf.h"
#include "media/ec.h"
#include "media/ec_tone.h"
#include "media/g711.h"
#include "media/jitterbuf.h"
#include "media/rtp.h"
#include "media/tones.h"
#include "media/transcode.h"

#define NTS	31
#define FRAMES	8
#define PTIME	20
#define SPP	(PTIME * 8) /* samples per RTP packet */
#define SECONDS 10

struct chan {
	struct xc *xc;
	struct rtp_tx tx;
	struct rtp_rx rx;
	struct dtmf_det *dtmf;
	struct ec *ec;	 /* with the canceller: it and DTMF run per span packet, as in the worker */
	uint8_t up[SPP]; /* TDM samples gathered toward RTP */
	uint8_t down[SPP]; /* TDM samples to play toward the span */
	unsigned fill;
	int16_t lin[SPP];
};

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void nop_ev(const struct dtmf_event *ev, void *priv)
{
	(void)ev;
	(*(unsigned *)priv)++;
}

static double run(enum xc_codec codec, bool dtmf, bool ec, unsigned *sink)
{
	void *ctx = talloc_new(NULL);
	struct cesop_cfg cfg;
	struct cesop_tx ctx_tx, peer_tx;
	struct cesop_pkt p;
	struct jb_cfg jc = {.frame_bytes = NTS * FRAMES,
			    .depth = 4,
			    .payload = JB_PAYLOAD_ALAW,
			    .conceal = JB_CONCEAL_REPEAT_FADE};
	struct jb *jb = jb_alloc(ctx, &jc);
	struct chan *ch = talloc_zero_array(ctx, struct chan, NTS);
	uint8_t payload[NTS * FRAMES], streams[NTS * FRAMES], pkt[512], rtp[512], rtp_pay[400];
	uint8_t out_streams[NTS * FRAMES], in_pkt[512];
	int in_len;
	unsigned events = 0, packets = SECONDS * 1000;
	double t0, t1;

	cesop_cfg_init(&cfg, CESOP_E1);
	cesop_tx_init(&peer_tx, 0, 0, 0);
	cesop_tx_init(&ctx_tx, 0, 0, 0);
	for (int c = 0; c < NTS; c++) {
		ch[c].xc = xc_alloc(ctx, G711_LAW_A, codec, PTIME);
		rtp_tx_init(&ch[c].tx, 1000 + c, (uint16_t)(c * 100), 0);
		rtp_rx_init(&ch[c].rx, 8000);
		if (dtmf)
			ch[c].dtmf = dtmf_det_alloc(ctx, DTMF_DEFAULT_DELAY, nop_ev, &events);
		if (ec) {
			struct ec_params ep = {
				.ops = ec_find("tandem"), .tail_ms = 128, .tone_disable = true};

			ch[c].ec = ec_alloc(ctx, &ep);
			if (!ch[c].ec)
				abort();
		}
	}
	/* Span content: a different ramp per timeslot (not silence, so
	 * tables and branches see varied codes). */
	for (unsigned i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 37 + 11);

	in_len = cesop_encode(&cfg, &peer_tx, NULL, payload, in_pkt, sizeof(in_pkt));
	t0 = cpu_s();
	for (unsigned k = 0; k < packets; k++) {
		int n;

		/* The span emulator's packet: built once, only its sequence
		 * number changes, so the emulator costs nothing here. */
		in_pkt[2] = (uint8_t)(k >> 8);
		in_pkt[3] = (uint8_t)k;

		/* TDM -> RTP */
		if (cesop_decode(&cfg, in_pkt, (size_t)in_len, &p) == 0)
			jb_put(jb, p.cw.seq, p.payload, p.payload_len);
		jb_get(jb, streams);
		cesop_deinterleave(streams, NTS, FRAMES, out_streams);
		for (int c = 0; c < NTS; c++) {
			struct chan *h = &ch[c];

			if (h->ec) {
				/* media/span.c chan_tdm_in: the echo of what went
				 * toward TDM in this packet comes out, then the
				 * digits are found and muted, per span packet */
				int16_t lin[FRAMES], ref[FRAMES], clean[FRAMES];
				unsigned off = (k % (SPP / FRAMES)) * FRAMES;

				g711_decode_buf(G711_LAW_A, out_streams + c * FRAMES, lin, FRAMES);
				g711_decode_buf(G711_LAW_A, h->down + off, ref, FRAMES);
				ec_process(h->ec, ref, lin, clean, FRAMES);
				if (h->dtmf)
					dtmf_det_rx(h->dtmf, clean, FRAMES);
				g711_encode_buf(G711_LAW_A, clean, h->up + h->fill, FRAMES);
			} else {
				memcpy(h->up + h->fill, out_streams + c * FRAMES, FRAMES);
			}
			h->fill += FRAMES;
			if (h->fill == SPP) {
				int len, m;
				struct rtp_hdr rh;

				h->fill = 0;
				if (h->dtmf && !h->ec) {
					g711_decode_buf(G711_LAW_A, h->up, h->lin, SPP);
					dtmf_det_rx(h->dtmf, h->lin, SPP);
					g711_encode_buf(G711_LAW_A, h->lin, h->up, SPP);
				}
				len = xc_encode(h->xc, h->up, rtp_pay, sizeof(rtp_pay));
				m = rtp_tx_audio(&h->tx, rtp, sizeof(rtp), xc_payload_type(h->xc),
						 rtp_pay, (size_t)len, SPP);
				/* RTP -> TDM: the far end's packet is ours
				 * looped back. */
				if (rtp_decode(rtp, (size_t)m, &rh) == 0) {
					rtp_rx_update(&h->rx, &rh, (uint64_t)k * 1000000);
					xc_decode(h->xc, rh.payload, rh.payload_len, h->down,
						  sizeof(h->down));
				}
			}
		}
		/* Toward the span: 8 frames of every channel. */
		{
			unsigned off = (k % (SPP / FRAMES)) * FRAMES;

			for (int c = 0; c < NTS; c++)
				memcpy(streams + c * FRAMES, ch[c].down + off, FRAMES);
		}
		cesop_interleave(streams, NTS, FRAMES, payload);
		n = cesop_encode(&cfg, &ctx_tx, NULL, payload, pkt, sizeof(pkt));
		*sink += pkt[n - 1];
	}
	t1 = cpu_s();
	*sink += events;
	/* The chain must have played every span packet, not concealed. */
	if (jb_stats(jb)->played + 4 < packets || jb_stats(jb)->lost)
		fprintf(stderr, "jitter buffer: played %llu lost %llu of %u\n",
			(unsigned long long)jb_stats(jb)->played,
			(unsigned long long)jb_stats(jb)->lost, packets);
	talloc_free(ctx);
	/* ns of CPU per channel-second (both directions). */
	return (t1 - t0) * 1e9 / (NTS * (double)SECONDS);
}

/* Per-channel extras the worker runs on some or all channels: the 2100 Hz
 * tone disabler of the echo canceller (media/ec_tone, on both directions of
 * every call with EC), tone generation. */
static void extras(unsigned *sink)
{
	static int16_t buf[SPP];
	struct ec_tone tdis;
	struct tone_gen g;
	double t0, t1;
	unsigned n = SECONDS * 1000 / PTIME * 20; /* 20 channels' worth */

	for (int i = 0; i < SPP; i++)
		buf[i] = (int16_t)(i * 97);
	ec_tone_init(&tdis);
	t0 = cpu_s();
	for (unsigned k = 0; k < n; k++)
		*sink += ec_tone_rx(&tdis, buf, SPP);
	t1 = cpu_s();
	printf("  %-10s %8.0f ns CPU per channel-second\n", "ec-tone",
	       (t1 - t0) * 1e9 / (SECONDS * 20.0));
	tone_gen_start(&g, "us", "ringback", G711_LAW_U, INT16_MIN);
	t0 = cpu_s();
	for (unsigned k = 0; k < n; k++) {
		tone_gen_fill(&g, buf, SPP);
		*sink += (unsigned)buf[7];
	}
	t1 = cpu_s();
	printf("  %-10s %8.0f ns CPU per channel-second\n", "tone-gen",
	       (t1 - t0) * 1e9 / (SECONDS * 20.0));
}

int main(void)
{
	static const struct {
		const char *name;
		enum xc_codec codec;
		bool dtmf, ec;
	} cases[] = {
		{"pcma", XC_PCMA, false, false},     {"pcmu", XC_PCMU, false, false},
		{"l16", XC_L16, false, false},	     {"g722", XC_G722, false, false},
		{"pcmu+dtmf", XC_PCMU, true, false}, {"pcma+ec+dtmf", XC_PCMA, true, true},
	};
	unsigned sink = 0;
	double r[6];

	printf("media chain, E1 31 ts, CESoPSN 8 frames/pkt, RTP ptime %d ms, %d s per case\n"
	       "(DSP only, no sockets; CPU of this process per channel-second, both directions;\n"
	       " +ec+dtmf: tandem's echo canceller, 128 ms tail, and in-band DTMF detection per\n"
	       " span packet as media/span.c runs them; its far-end signal is the looped-back\n"
	       " ramp, so the canceller adapts all the time)\n",
	       PTIME, SECONDS);
	for (unsigned i = 0; i < 6; i++) {
		r[i] = run(cases[i].codec, cases[i].dtmf, cases[i].ec, &sink);
		printf("  %-13s %8.0f ns CPU per channel-second  -> %8.0f channels per core\n",
		       cases[i].name, r[i], 1e9 / r[i]);
	}
	printf("  side by side, PCMA: EC+DTMF off %.0f ns, on %.0f ns per channel-second "
	       "(on/off %.1f)\n",
	       r[0], r[5], r[5] / r[0]);
	extras(&sink);
	printf("{\"bench\":\"media_chain\",\"ns_per_chan_s\":{\"pcma\":%.0f,\"pcmu\":%.0f,"
	       "\"l16\":%.0f,\"g722\":%.0f,\"pcmu_dtmf\":%.0f,\"pcma_ec_dtmf\":%.0f},"
	       "\"chan_per_core_pcmu\":%.0f,\"sink\":%u}\n",
	       r[0], r[1], r[2], r[3], r[4], r[5], 1e9 / r[1], sink);
	return 0;
}
