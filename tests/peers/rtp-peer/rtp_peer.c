/* rtp-peer: a small RTP endpoint for tests (RFC 3550 / 3551 / 4733), with
 * its own packet code so that it checks tandem's rather than sharing it.
 *
 * Sends G.711 (PT 8 A-law or 0 µ-law) every ptime: silence, a tone, or
 * in-band DTMF; optionally RFC 4733 digits (start, updates, three end
 * packets). Analyses what it receives and prints one line at the end:
 *
 *   RX pkts=250 lost=0 dup=0 jitter_ms=0.4 level_dbm0=-10.0 f1004_dbm0=-10.0
 *      events="123" inband_dtmf="" ssrc=1 pt=8 TX pkts=250
 *
 * Usage: rtp-peer --local IP:PORT --remote IP:PORT [--pt 8] [--ptime 20]
 *        [--tone HZ:DBM0] [--inband DIGITS] [--events DIGITS] [--event-pt 101]
 *        [--seconds S] [--drain MS] [--latch] [--silent] [--noise DBM0] [--rtcp]
 * (--rtcp: bind PORT+1 and answer each SR with an RR: LSR from it, DLSR 0)
 * (--rtcp-mux: the same on PORT itself, RFC 5761: RTCP told by packet type)
 * (--drain: after S, receive until nothing came for MS, at most 5 s more)
 * (SIGUSR1: S ends now, the drain follows: a test that knows the far end
 *  has sent its last says so instead of guessing S)
 * (--seconds: from the start; with --latch, from the latch (the first packet
 *  received), so a far end that starts late still gets S of stream; with
 *  nothing received in S, the peer stops then, as it always did)
 *        rtp-peer --local IP:PORT --count [--seconds S]: many streams in, per-SSRC loss
 */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <spandsp.h>

static int pt = 8, event_pt = 101, ptime = 20;

static volatile sig_atomic_t usr1;

static void on_usr1(int sig)
{
	(void)sig;
	usr1 = 1;
}

/* --count: many streams into one port; loss per SSRC by sequence gaps */
#define COUNT_MAX 1024
static struct {
	uint32_t ssrc;
	uint16_t next;
	uint64_t pkts, lost;
} streams[COUNT_MAX];
static unsigned n_streams;

static void count_packet(const uint8_t *p, size_t len)
{
	uint32_t ssrc;
	uint16_t seq;
	unsigned i;

	if (len < 12 || (p[0] >> 6) != 2)
		return;
	seq = (uint16_t)(p[2] << 8 | p[3]);
	ssrc = (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11];
	for (i = 0; i < n_streams && streams[i].ssrc != ssrc; i++)
		;
	if (i == n_streams) {
		if (n_streams == COUNT_MAX)
			return;
		n_streams++;
		streams[i].ssrc = ssrc;
		streams[i].next = seq;
	}
	if (seq != streams[i].next && (uint16_t)(seq - streams[i].next) < 3000)
		streams[i].lost += (uint16_t)(seq - streams[i].next);
	streams[i].next = (uint16_t)(seq + 1);
	streams[i].pkts++;
}

/* something waits in FD's receive queue */
static bool readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, 0) > 0;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int parse_addr(const char *s, struct sockaddr_in *a)
{
	char host[64];
	const char *c = strrchr(s, ':');

	if (!c || (size_t)(c - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(c - s));
	host[c - s] = 0;
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)atoi(c + 1));
	return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
}

static double rms_to_dbm0(double rms)
{
	double db = rms > 0 ? 20.0 * log10(rms / (22794.0 / sqrt(2.0))) : -99.0;

	return db < -99.0 ? -99.0 : db;
}

struct rx {
	uint64_t pkts, dup, energy_n;
	int64_t lost;
	bool started;
	uint16_t max_seq;
	uint32_t ssrc;
	unsigned ssrc_changes;
	double jitter, last_transit;
	bool have_transit;
	double energy, g_s1, g_s2, g_power;
	unsigned g_n, g_blocks;
	char events[128];
	uint32_t last_event_ts;
	bool event_seen;
	dtmf_rx_state_t *drx;
	char inband[128];
	int last_pt;
};

static void on_digits(void *user, const char *digits, int len)
{
	struct rx *r = user;
	size_t n = strlen(r->inband);

	if (n + (size_t)len < sizeof(r->inband)) {
		memcpy(r->inband + n, digits, (size_t)len);
		r->inband[n + (size_t)len] = 0;
	}
}

static void rx_audio(struct rx *r, int16_t s)
{
	double coeff = 2 * cos(2 * M_PI * 1004.0 / 8000.0), s0;

	r->energy += (double)s * s;
	r->energy_n++;
	dtmf_rx(r->drx, &s, 1);
	s0 = s + coeff * r->g_s1 - r->g_s2;
	r->g_s2 = r->g_s1;
	r->g_s1 = s0;
	if (++r->g_n == 8000) {
		r->g_power += r->g_s1 * r->g_s1 + r->g_s2 * r->g_s2 - coeff * r->g_s1 * r->g_s2;
		r->g_s1 = r->g_s2 = 0;
		r->g_n = 0;
		r->g_blocks++;
	}
}

static void rx_packet(struct rx *r, const uint8_t *p, size_t len, double arrival)
{
	static const char digit_chars[] = "0123456789*#ABCD";
	unsigned cc, hdr;
	uint16_t seq;
	uint32_t ts, ssrc;
	int ppt;

	/* RFC 3550 5.1 */
	if (len < 12 || (p[0] >> 6) != 2)
		return;
	cc = p[0] & 0x0f;
	hdr = 12 + 4 * cc;
	if (p[0] & 0x10) { /* extension */
		if (len < hdr + 4)
			return;
		hdr += 4 + 4 * (unsigned)((p[hdr + 2] << 8) | p[hdr + 3]);
	}
	if (len < hdr)
		return;
	if (p[0] & 0x20) { /* padding */
		if (p[len - 1] > len - hdr)
			return;
		len -= p[len - 1];
	}
	ppt = p[1] & 0x7f;
	seq = (uint16_t)(p[2] << 8 | p[3]);
	ts = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
	ssrc = (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11];
	if (!r->started || ssrc != r->ssrc) {
		if (r->started)
			r->ssrc_changes++;
		r->started = true;
		r->ssrc = ssrc;
		r->max_seq = (uint16_t)(seq - 1);
		r->have_transit = false;
	}
	{
		int16_t d = (int16_t)(seq - r->max_seq);

		if (d == 0) {
			r->dup++;
			return;
		}
		if (d > 0) {
			r->lost += d - 1;
			r->max_seq = seq;
		} else {
			r->lost--; /* late: it was counted as lost */
		}
	}
	r->pkts++;
	r->last_pt = ppt;
	if (ppt == event_pt) {
		/* RFC 4733 2.3: event, E|R|volume, duration; one digit per timestamp */
		if (len >= hdr + 4 && p[hdr] < 16 && (!r->event_seen || ts != r->last_event_ts)) {
			size_t n = strlen(r->events);

			if (n + 1 < sizeof(r->events)) {
				r->events[n] = digit_chars[p[hdr]];
				r->events[n + 1] = 0;
			}
			r->event_seen = true;
			r->last_event_ts = ts;
		}
		return;
	}
	/* RFC 3550 A.8: interarrival jitter in timestamp units */
	{
		double transit = arrival * 8000.0 - ts;

		if (r->have_transit) {
			double d = fabs(transit - r->last_transit);

			r->jitter += (d - r->jitter) / 16.0;
		}
		r->last_transit = transit;
		r->have_transit = true;
	}
	if (ppt == 8 || ppt == 0)
		for (size_t i = hdr; i < len; i++)
			rx_audio(r, ppt == 8 ? alaw_to_linear(p[i]) : ulaw_to_linear(p[i]));
}

/* --rtcp: RTCP on the next port (RFC 3550 11); every SR that comes is
 * answered at once with an RR about its sender (6.4.2): our loss and
 * jitter, LSR from the SR, DLSR 0, so the far end can take the round
 * trip (6.4.1). Its own packet code, like the rest of this peer. */
static unsigned rtcp_sr_rx, rtcp_rr_tx;

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void rtcp_answer(int rfd, const uint8_t *b, size_t n, const struct sockaddr_in *from,
			uint32_t ssrc, int64_t lost, double jitter)
{
	uint8_t rr[32];
	uint32_t l = (uint32_t)(lost < 0 ? 0 : lost > 0x7fffff ? 0x7fffff : lost);

	if (n < 28 || (b[0] >> 6) != 2 || b[1] != 200)
		return;
	rtcp_sr_rx++;
	rr[0] = 0x81; /* V=2, one report block */
	rr[1] = 201;
	rr[2] = 0;
	rr[3] = 7;
	wr32(rr + 4, ssrc);
	memcpy(rr + 8, b + 4, 4); /* about the SR's sender */
	wr32(rr + 12, l);	  /* fraction 0, cumulative lost */
	wr32(rr + 16, 0);
	wr32(rr + 20, (uint32_t)jitter);
	memcpy(rr + 24, b + 10, 4); /* LSR: the middle 32 bits of its NTP time */
	wr32(rr + 28, 0);	    /* DLSR: answered at once */
	if (sendto(rfd, rr, sizeof(rr), 0, (const struct sockaddr *)from, sizeof(*from)) ==
	    (ssize_t)sizeof(rr))
		rtcp_rr_tx++;
}

int main(int argc, char **argv)
{
	struct sockaddr_in local, remote;
	bool have_local = false, have_remote = false, latch = false, silent = false, count = false;
	double drain = 0, last_rx;
	double seconds = 5, tone_hz = 0, tone_dbm0 = -10, phase = 0, start, next, noise_dbm0 = 0;
	double t0; /* the stream's own clock: the start, or the latch */
	bool noise = false, rtcp = false, rtcp_mux = false;
	int rfd = -1;
	uint32_t lcg = 12345;
	const char *inband = NULL, *events = NULL;
	struct rx r = {0};
	uint16_t seq = 1000;
	uint32_t ts = 160000, ssrc = 0x5a5a0001;
	uint64_t tx_pkts = 0;
	dtmf_tx_state_t *dtx = NULL;
	unsigned ev_i = 0, ev_pkt = 0;
	uint32_t ev_ts = 0;
	int fd;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--latch")) {
			latch = true;
		} else if (!strcmp(a, "--count")) {
			count = true;
			silent = true;
		} else if (!strcmp(a, "--silent")) {
			silent = true;
		} else if (!strcmp(a, "--rtcp-mux")) {
			rtcp_mux = true;
		} else if (!strcmp(a, "--rtcp")) {
			rtcp = true;
		} else if (!v) {
			goto usage;
		} else if (!strcmp(a, "--local")) {
			have_local = parse_addr(v, &local) == 0;
			i++;
		} else if (!strcmp(a, "--remote")) {
			have_remote = parse_addr(v, &remote) == 0;
			i++;
		} else if (!strcmp(a, "--pt")) {
			pt = atoi(v);
			i++;
		} else if (!strcmp(a, "--event-pt")) {
			event_pt = atoi(v);
			i++;
		} else if (!strcmp(a, "--ptime")) {
			ptime = atoi(v);
			i++;
		} else if (!strcmp(a, "--tone")) {
			if (sscanf(v, "%lf:%lf", &tone_hz, &tone_dbm0) < 1)
				goto usage;
			i++;
		} else if (!strcmp(a, "--noise")) {
			noise = true;
			noise_dbm0 = atof(v);
			i++;
		} else if (!strcmp(a, "--inband")) {
			inband = v;
			i++;
		} else if (!strcmp(a, "--events")) {
			events = v;
			i++;
		} else if (!strcmp(a, "--drain")) {
			drain = atof(v) / 1000.0;
			i++;
		} else if (!strcmp(a, "--seconds")) {
			seconds = atof(v);
			i++;
		} else {
			goto usage;
		}
	}
	if (!have_local || (!have_remote && !latch && !count) || (pt != 0 && pt != 8) ||
	    ptime < 10 || ptime > 60)
		goto usage;
	r.drx = dtmf_rx_init(NULL, on_digits, &r);
	if (inband) {
		dtx = dtmf_tx_init(NULL);
		dtmf_tx_put(dtx, inband, -1);
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd >= 0) {
		int rb = 8 << 20;

		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof(rb));
	}
	if (fd < 0 || bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0) {
		perror("rtp-peer: bind");
		return 1;
	}
	if (rtcp) {
		struct sockaddr_in rl = local;

		rl.sin_port = htons((uint16_t)(ntohs(local.sin_port) + 1));
		rfd = socket(AF_INET, SOCK_DGRAM, 0);
		if (rfd < 0 || bind(rfd, (struct sockaddr *)&rl, sizeof(rl)) < 0) {
			perror("rtp-peer: bind RTCP");
			return 1;
		}
	}
	signal(SIGUSR1, on_usr1);
	start = next = now_s() + 0.02;
	t0 = start;
	last_rx = start;
	/* after --seconds: with --drain, keep receiving (sending nothing)
	 * until the far end has been quiet for MS and nothing waits in the
	 * socket (a peer that was not scheduled for MS finds what came
	 * meanwhile queued: that is not quiet), at most 5 s more */
	while (now_s() < t0 + seconds || (drain > 0 && now_s() < t0 + seconds + 5 &&
					  (now_s() - last_rx < drain || readable(fd)))) {
		double t = now_s();
		bool sending;

		if (usr1) {
			usr1 = 0;
			if (t < t0 + seconds)
				seconds = t - t0;
		}
		sending = t < t0 + seconds;
		struct pollfd pf[2] = {{.fd = fd, .events = POLLIN}, {.fd = rfd, .events = POLLIN}};
		int wait_ms = (int)((next - t) * 1000);

		if (sending && t >= next && have_remote && !silent) {
			uint8_t pkt[12 + 480];
			unsigned n = (unsigned)ptime * 8;
			bool event = events && events[ev_i];

			pkt[0] = 0x80;
			pkt[1] = (uint8_t)(event ? event_pt : pt);
			pkt[2] = (uint8_t)(seq >> 8);
			pkt[3] = (uint8_t)seq;
			seq++;
			if (event) {
				/* RFC 4733 2.5.1: one timestamp per event; marker on the
				 * first packet; duration grows; the end bit on the last
				 * three (same duration) */
				static const char chars[] = "0123456789*#ABCD";
				unsigned dur = (ev_pkt + 1) * n, end_pkts = 5;
				const char *c = strchr(chars, events[ev_i]);

				if (ev_pkt == 0)
					ev_ts = ts;
				if (ev_pkt == 0)
					pkt[1] |= 0x80;
				if (ev_pkt >= end_pkts)
					dur = end_pkts * n;
				pkt[4] = (uint8_t)(ev_ts >> 24);
				pkt[5] = (uint8_t)(ev_ts >> 16);
				pkt[6] = (uint8_t)(ev_ts >> 8);
				pkt[7] = (uint8_t)ev_ts;
				pkt[12] = (uint8_t)(c ? c - chars : 0);
				pkt[13] = (uint8_t)((ev_pkt >= end_pkts ? 0x80 : 0) | 10);
				pkt[14] = (uint8_t)(dur >> 8);
				pkt[15] = (uint8_t)dur;
				n = 4;
				if (++ev_pkt == end_pkts + 3) {
					ev_pkt = 0;
					ev_i++;
				}
			} else {
				pkt[4] = (uint8_t)(ts >> 24);
				pkt[5] = (uint8_t)(ts >> 16);
				pkt[6] = (uint8_t)(ts >> 8);
				pkt[7] = (uint8_t)ts;
				for (unsigned k = 0; k < n; k++) {
					int16_t s = 0;

					if (noise) {
						/* uniform noise: RMS = peak / sqrt(3) */
						double amp = 22794.0 / sqrt(2.0) * sqrt(3.0) *
							     pow(10.0, noise_dbm0 / 20.0);

						lcg = lcg * 1103515245u + 12345u;
						s = (int16_t)(amp *
							      (((double)(lcg >> 8) / 8388608.0) -
							       1.0));
					} else if (dtx) {
						dtmf_tx(dtx, &s, 1);
					} else if (tone_hz > 0) {
						s = (int16_t)(22794.0 *
							      pow(10.0, tone_dbm0 / 20.0) *
							      sin(phase));
						phase += 2 * M_PI * tone_hz / 8000.0;
						if (phase > 2 * M_PI)
							phase -= 2 * M_PI;
					}
					pkt[12 + k] =
						pt == 8 ? linear_to_alaw(s) : linear_to_ulaw(s);
				}
			}
			pkt[8] = (uint8_t)(ssrc >> 24);
			pkt[9] = (uint8_t)(ssrc >> 16);
			pkt[10] = (uint8_t)(ssrc >> 8);
			pkt[11] = (uint8_t)ssrc;
			ts += (uint32_t)ptime * 8;
			sendto(fd, pkt, 12 + n, 0, (struct sockaddr *)&remote, sizeof(remote));
			tx_pkts++;
			next += ptime / 1000.0;
			continue;
		}
		if (poll(pf, rfd >= 0 ? 2 : 1, wait_ms > 0 ? wait_ms : 1) > 0) {
			uint8_t buf[2048];
			struct sockaddr_in from;
			socklen_t flen = sizeof(from);
			ssize_t n;

			if (rfd >= 0 && (pf[1].revents & POLLIN)) {
				n = recvfrom(rfd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
					     &flen);
				if (n > 0)
					rtcp_answer(rfd, buf, (size_t)n, &from, ssrc, r.lost,
						    r.jitter);
				flen = sizeof(from);
			}
			if (!(pf[0].revents & POLLIN))
				continue;
			n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
			if (n <= 0)
				continue;
			last_rx = now_s();
			/* RFC 5761 4: RTCP packet types 192-223 on the RTP port */
			if (rtcp_mux && n >= 2 && buf[1] >= 192 && buf[1] <= 223) {
				rtcp_answer(fd, buf, (size_t)n, &from, ssrc, r.lost, r.jitter);
				continue;
			}
			if (count) {
				count_packet(buf, (size_t)n);
				continue;
			}
			if (latch && !have_remote) {
				remote = from;
				have_remote = true;
				/* the send clock starts now, not with a burst of
				 * the packets "due" while nobody was known; so
				 * does the stream's duration */
				next = now_s();
				t0 = next;
			}
			rx_packet(&r, buf, (size_t)n, now_s());
		}
	}
	if (count) {
		uint64_t pk = 0, lo = 0, min = UINT64_MAX;

		for (unsigned i = 0; i < n_streams; i++) {
			pk += streams[i].pkts;
			lo += streams[i].lost;
			if (streams[i].pkts < min)
				min = streams[i].pkts;
		}
		printf("COUNT streams=%u pkts=%llu lost=%llu min_pkts_per_stream=%llu\n", n_streams,
		       (unsigned long long)pk, (unsigned long long)lo,
		       (unsigned long long)(n_streams ? min : 0));
		close(fd);
		return 0;
	}
	{
		double rms = r.energy_n ? sqrt(r.energy / (double)r.energy_n) : 0;
		double amp = r.g_blocks ? 2.0 * sqrt(r.g_power / r.g_blocks) / 8000.0 : 0;

		printf("RX pkts=%llu lost=%lld dup=%llu jitter_ms=%.2f level_dbm0=%.1f "
		       "f1004_dbm0=%.1f events=\"%s\" inband_dtmf=\"%s\" ssrc_changes=%u pt=%d "
		       "TX pkts=%llu\n",
		       (unsigned long long)r.pkts, (long long)r.lost, (unsigned long long)r.dup,
		       r.jitter / 8.0, rms_to_dbm0(rms), rms_to_dbm0(amp / sqrt(2.0)), r.events,
		       r.inband, r.ssrc_changes, r.last_pt, (unsigned long long)tx_pkts);
		if (rfd >= 0 || rtcp_mux)
			printf("RTCP sr_rx=%u rr_tx=%u\n", rtcp_sr_rx, rtcp_rr_tx);
	}
	close(fd);
	return 0;
usage:
	fprintf(stderr, "usage: rtp-peer --local IP:PORT --remote IP:PORT [--pt 8|0] [--ptime MS] "
			"[--tone HZ:DBM0] [--inband DIGITS] [--events DIGITS] [--event-pt N] "
			"[--seconds S] [--latch] [--silent]\n");
	return 2;
}
