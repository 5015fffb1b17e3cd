/* pri-pbx: a PBX (or a carrier switch) on an ISDN primary rate span, on
 * the far side of a CESoPSN pseudowire (RFC 5086, basic mode, no RTP
 * header), for tests and the demo. Q.921/Q.931 are libpri's, in the role
 * opposite to tandem's; the D channel rides TS16 (E1) or TS24 (T1) as
 * HDLC (spandsp), like a real PRI. Its own packet code on purpose: it
 * checks tandem's, it does not share it.
 *
 * It is the span's clock: one packet every FRAMES/8000 s. Commands on
 * stdin, one a line; events on stdout, one a line ("EV NAME key=value"):
 *
 *   call CALLED CALLING [CHAN]  SETUP on CHAN, else the first idle B channel
 *   pcall CALLED CALLING CHAN  SETUP with CHAN only preferred (the network may
 *                         give another in CALL PROCEEDING: the call moves)
 *   ocall CALLED CALLING [DIGITS]  SETUP without sending complete (overlap
 *                         sending); DIGITS: INFORMATION, one per digit, sent
 *                         the moment SETUP ACKNOWLEDGE comes, within the far
 *                         end's T302 whatever the test script's latency
 *   info DIGITS           INFORMATION, one per digit, on the current call
 *   answer                CONNECT the last incoming call
 *   alert [inband]        ALERTING on it (inband: progress indicator 8)
 *   hangup CAUSE          DISCONNECT (or RELEASE COMPLETE) the current call
 *   restart CHAN          RESTART one B channel
 *   glare CALLED CALLING CHAN  the moment a SETUP comes, keep it (and what
 *                         follows) unread, send ours for CHAN, then let libpri
 *                         read them (at most 16 frames, well under T200): the two
 *                         SETUPs cross whatever the test script's latency;
 *                         nothing before that SETUP is held (no Q.921 poll
 *                         waits on the far end's call); "EV GLARE_ARMED"
 *   pglare CALLED CALLING CHAN  the same with CHAN only preferred (pcall)
 *   auto MODE             what incoming SETUPs get from now on (as --auto):
 *                         none, answer, alert (CALL PROCEEDING, ALERTING),
 *                         reject:CAUSE; "EV AUTO mode=MODE" once it applies
 *   service CHAN STATUS   SERVICE (NI-2 / 4ESS / 5ESS): 0 in service,
 *                         1 maintenance, 2 out of service
 *   pres N                the calling number's presentation / screening octet
 *                         (Q.931 octet 3a: 0 allowed, 33 restricted network
 *                         provided...) for the next SETUPs
 *   dtmf DIGITS           in-band DTMF (spandsp) on the current call's B
 *                         channel instead of its tone, silence after
 *   keypad DIGITS         KEYPAD facility (INFORMATION with the keypad IE) on
 *                         the current call: DTMF out of band
 *   tone on|off           the current call's 1004 Hz tone
 *   level                 what the current call's B channel brought since
 *                         the last "level": EV LEVEL chan=N max_dbm0=X
 *                         (loudest 100 ms block) loud_blocks=N (blocks above
 *                         -40 dBm0) dtmf="DIGITS" (detected in-band) and the
 *                         span's packets: span_rx=N span_tx=N span_lost=N
 *                         (sequence gaps in what came)
 *   garbage N             N frames of random bytes (good FCS) on the D channel
 *   silence MS            send nothing for MS (the span fails: D channel loss)
 *   quit
 *
 * Incoming SETUPs: --auto none (wait for commands, the default), answer,
 * alert (ALERTING at once, then wait) or reject:CAUSE. B channel of an
 * answered call: a 1004 Hz tone at -10 dBm0 goes out; the level received
 * on it is printed at its end ("EV VOICE chan=N rx_level_dbm0=X").
 *
 * Usage: pri-pbx --local IP:PORT --remote IP:PORT [--t1] [--network]
 *                [--switch euroisdn|ni2|dms100|5ess|qsig] [--frames 8]
 *                [--auto MODE] [--pcap FILE] [--seconds S] [--input FIFO]
 * --input: read the commands from this file (a FIFO) instead of stdin.
 * --pcap: every D channel frame, both ways, LINUX_LAPD link type (177).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <libpri.h>
#include <spandsp.h>

#define MAX_TS	   32
#define MAX_FRAMES 64
#define QN	   64

static struct pri *pri;
static hdlc_rx_state_t *hrx;
static hdlc_tx_state_t *htx;
static struct {
	uint8_t b[512];
	int len;
} txq[QN];
static int txq_h, txq_t;
static const uint8_t *rx_frame;
static int rx_len;
/* "glare": the far end's frames kept unread until our SETUP is out */
static bool holding;
static struct {
	uint8_t b[300];
	int len;
} held[16];
static unsigned n_held;
/* "glare": the call to place when the far end's SETUP comes (then held) */
static char glare_call[160];
static bool glare_due;
static FILE *pcap;
static bool network, t1, up;
static unsigned dch_ts;
static char auto_mode[32] = "none";
static int calling_pres = PRES_ALLOWED_USER_NUMBER_NOT_SCREENED;

struct call {
	q931_call *q;
	int chan;
	bool answered, incoming, quiet; /* quiet: no tone (after "dtmf", "tone off") */
	char overlap[32];		/* "ocall": digits for the SETUP ACKNOWLEDGE */
	double phase, rx_energy;
	uint64_t rx_n;
	dtmf_tx_state_t *dtx;
	dtmf_rx_state_t *drx;
	char rx_digits[64];
	/* 100 ms blocks since the last "level" */
	double blk_energy, blk_max;
	unsigned blk_n, blocks, loud_blocks;
};
static uint64_t span_rx, span_tx, span_lost;
static int span_next_seq = -1;
static struct call calls[MAX_TS];
static int last_in = -1, current = -1;

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void pcap_frame(const uint8_t *f, int len, bool out)
{
	uint8_t h[16] = {0};
	struct timeval tv;
	uint32_t rec[4];

	if (!pcap || len <= 0)
		return;
	gettimeofday(&tv, NULL);
	rec[0] = (uint32_t)tv.tv_sec;
	rec[1] = (uint32_t)tv.tv_usec;
	rec[2] = rec[3] = (uint32_t)(len + 16);
	/* LINUX_LAPD pseudo-header: packet type (0 in, 4 out), ARPHRD_LAPD,
	 * address length 1, address: 1 when this end is the network side,
	 * protocol ETH_P_LAPD */
	h[1] = out ? 4 : 0;
	h[2] = 0x20;
	h[3] = 0xfd;
	h[5] = 1;
	h[6] = network ? 1 : 0;
	h[15] = 0x30;
	fwrite(rec, sizeof(rec), 1, pcap);
	fwrite(h, sizeof(h), 1, pcap);
	fwrite(f, (size_t)len, 1, pcap);
	fflush(pcap);
}

static int io_read(struct pri *p, void *buf, int buflen)
{
	(void)p;
	if (!rx_frame || rx_len + 2 > buflen)
		return 0;
	memcpy(buf, rx_frame, (size_t)rx_len);
	memset((uint8_t *)buf + rx_len, 0, 2);
	return rx_len + 2;
}

static int io_write(struct pri *p, void *buf, int len)
{
	(void)p;
	if (len <= 2 || len - 2 > (int)sizeof(txq[0].b) || (txq_t + 1) % QN == txq_h)
		return len;
	memcpy(txq[txq_t].b, buf, (size_t)len - 2);
	txq[txq_t].len = len - 2;
	txq_t = (txq_t + 1) % QN;
	pcap_frame(buf, len - 2, true);
	return len;
}

static struct call *call_of(q931_call *q)
{
	for (int i = 0; i < MAX_TS; i++)
		if (calls[i].q == q)
			return &calls[i];
	return NULL;
}

static double dbm0(double energy, double n)
{
	double rms = n > 0 ? sqrt(energy / n) : 0;

	/* G.711: a 0 dBm0 sine peaks at 22794 (G.711 table 5/6) */
	return rms > 0 ? 20 * log10(rms / (22794.0 / sqrt(2.0))) : -99.0;
}

static void call_end(struct call *c)
{
	if (c->answered && c->rx_n)
		printf("EV VOICE chan=%d rx_level_dbm0=%.1f samples=%llu\n", c->chan,
		       dbm0(c->rx_energy, (double)c->rx_n), (unsigned long long)c->rx_n);
	if (current == c->chan)
		current = -1;
	if (last_in == c->chan)
		last_in = -1;
	if (c->dtx)
		dtmf_tx_free(c->dtx);
	if (c->drx)
		dtmf_rx_free(c->drx);
	memset(c, 0, sizeof(*c));
}

static void on_digits(void *user, const char *digits, int len)
{
	struct call *c = user;
	size_t n = strlen(c->rx_digits);

	if (n + (size_t)len < sizeof(c->rx_digits)) {
		memcpy(c->rx_digits + n, digits, (size_t)len);
		c->rx_digits[n + (size_t)len] = 0;
	}
}

/* One sample received on an answered call's B channel. */
static void call_rx(struct call *c, int16_t s)
{
	c->rx_energy += (double)s * s;
	c->rx_n++;
	if (!c->drx)
		c->drx = dtmf_rx_init(NULL, on_digits, c);
	if (c->drx)
		dtmf_rx(c->drx, &s, 1);
	c->blk_energy += (double)s * s;
	if (++c->blk_n == 800) {
		double l = dbm0(c->blk_energy, 800);

		if (!c->blocks++ || l > c->blk_max)
			c->blk_max = l;
		if (l > -40)
			c->loud_blocks++;
		c->blk_energy = 0;
		c->blk_n = 0;
	}
}

/* One sample to send on an answered call's B channel. */
static int16_t call_tx(struct call *c)
{
	int16_t s = 0;

	if (c->dtx && dtmf_tx(c->dtx, &s, 1) == 1)
		return s;
	if (c->quiet)
		return 0;
	/* 1004 Hz at -10 dBm0 */
	s = (int16_t)(22794.0 * 0.31623 * sin(c->phase));
	c->phase += 2 * M_PI * 1004.0 / 8000.0;
	return s;
}

static void handle(pri_event *e)
{
	struct call *c;
	int ch;

	switch (e->e) {
	case PRI_EVENT_DCHAN_UP:
		up = true;
		printf("EV DCHAN_UP\n");
		break;
	case PRI_EVENT_DCHAN_DOWN:
		up = false;
		printf("EV DCHAN_DOWN\n");
		break;
	case PRI_EVENT_RESTART:
		printf("EV RESTART chan=%d\n",
		       e->restart.channel > 0 ? e->restart.channel & 0xff : -1);
		break;
	case PRI_EVENT_RESTART_ACK:
		printf("EV RESTART_ACK chan=%d\n",
		       e->restartack.channel > 0 ? e->restartack.channel & 0xff : -1);
		break;
	case PRI_EVENT_RING:
		ch = e->ring.channel > 0 ? e->ring.channel & 0xff : -1;
		printf("EV RING chan=%d called=%s calling=%s calledplan=%d callingplan=%d "
		       "complete=%d callingpres=%d\n",
		       ch, e->ring.callednum, e->ring.callingnum, e->ring.calledplan,
		       e->ring.callingplan, e->ring.complete, e->ring.callingpres);
		if (!network && ch > 0 && ch < MAX_TS && calls[ch].q && !calls[ch].incoming &&
		    !calls[ch].answered) {
			/* glare, we the user side: the network's call has the
			 * channel (Q.931 5.7); ours waits aside (a free slot) for
			 * the network to move it (CALL PROCEEDING) or clear it */
			for (int k = MAX_TS - 1; k > 0; k--)
				if (!calls[k].q && k != (int)dch_ts) {
					printf("EV GLARE chan=%d ours_aside=%d\n", ch, k);
					calls[k] = calls[ch];
					memset(&calls[ch], 0, sizeof(calls[ch]));
					if (current == ch)
						current = k;
					break;
				}
		}
		if (ch <= 0 || ch >= MAX_TS || calls[ch].q) {
			/* taken (glare: our own SETUP has it, and we win as the
			 * network side, Q.931 5.7): cause 44 */
			printf("EV RING_REFUSED chan=%d cause=44\n", ch);
			pri_hangup(pri, e->ring.call, PRI_CAUSE_REQUESTED_CHAN_UNAVAIL);
			break;
		}
		calls[ch].q = e->ring.call;
		calls[ch].chan = ch;
		calls[ch].incoming = true;
		last_in = current = ch;
		if (!strcmp(auto_mode, "answer")) {
			pri_proceeding(pri, e->ring.call, ch, 0);
			pri_acknowledge(pri, e->ring.call, ch, 1);
			pri_answer(pri, e->ring.call, ch, 0);
			calls[ch].answered = true;
		} else if (!strcmp(auto_mode, "alert")) {
			pri_proceeding(pri, e->ring.call, ch, 0);
			pri_acknowledge(pri, e->ring.call, ch, 0);
		} else if (!strncmp(auto_mode, "reject:", 7)) {
			pri_hangup(pri, e->ring.call, atoi(auto_mode + 7));
			memset(&calls[ch], 0, sizeof(calls[ch]));
		} else {
			pri_proceeding(pri, e->ring.call, ch, 0);
		}
		break;
	case PRI_EVENT_SERVICE:
		printf("EV SERVICE chan=%d status=%d\n",
		       e->service.channel > 0 ? e->service.channel & 0xff : -1,
		       e->service.changestatus);
		break;
	case PRI_EVENT_SERVICE_ACK:
		printf("EV SERVICE_ACK chan=%d status=%d\n",
		       e->service_ack.channel > 0 ? e->service_ack.channel & 0xff : -1,
		       e->service_ack.changestatus);
		break;
	case PRI_EVENT_SETUP_ACK:
		printf("EV SETUP_ACK\n");
		c = call_of(e->setup_ack.call);
		if (c && c->overlap[0]) {
			/* "ocall" with DIGITS: the rest of the number now */
			for (const char *d = c->overlap; *d; d++)
				pri_information(pri, c->q, *d);
			printf("EV INFO_SENT chan=%d digits=%s\n", c->chan, c->overlap);
			c->overlap[0] = 0;
		}
		break;
	case PRI_EVENT_PROCEEDING:
		ch = e->proceeding.channel > 0 ? e->proceeding.channel & 0xff : -1;
		c = call_of(e->proceeding.call);
		if (c && ch > 0 && ch < MAX_TS && ch != c->chan && !calls[ch].q) {
			/* the network gave another channel than the preferred one */
			printf("EV CHANNEL_MOVED from=%d to=%d\n", c->chan, ch);
			calls[ch] = *c;
			calls[ch].chan = ch;
			memset(c, 0, sizeof(*c));
			if (current == c - calls)
				current = ch;
		}
		printf("EV PROCEEDING chan=%d\n", ch);
		break;
	case PRI_EVENT_PROGRESS:
		printf("EV PROGRESS\n");
		break;
	case PRI_EVENT_RINGING:
		printf("EV RINGING\n");
		break;
	case PRI_EVENT_ANSWER:
		c = call_of(e->answer.call);
		if (c)
			c->answered = true;
		printf("EV ANSWER chan=%d\n", c ? c->chan : -1);
		break;
	case PRI_EVENT_HANGUP_REQ:
		printf("EV HANGUP_REQ cause=%d\n", e->hangup.cause);
		pri_hangup(pri, e->hangup.call, e->hangup.cause);
		break;
	case PRI_EVENT_HANGUP:
		c = call_of(e->hangup.call);
		printf("EV HANGUP cause=%d chan=%d\n", e->hangup.cause, c ? c->chan : -1);
		pri_hangup(pri, e->hangup.call, e->hangup.cause);
		if (c)
			call_end(c);
		break;
	case PRI_EVENT_HANGUP_ACK:
		c = call_of(e->hangup.call);
		printf("EV HANGUP_ACK chan=%d\n", c ? c->chan : -1);
		if (c)
			call_end(c);
		break;
	default:
		printf("EV %s\n", pri_event2str(e->e));
		break;
	}
	fflush(stdout);
}

/* A Q.921 I frame (control octet bit 1 zero) carrying a Q.931 SETUP:
 * protocol discriminator 0x08, call reference length, the reference,
 * then the message type (0x05) */
static bool is_setup(const uint8_t *f, int len)
{
	int crl;

	if (len < 7 || (f[2] & 1) || f[4] != 0x08)
		return false;
	crl = f[5] & 0x0f;
	return len > 6 + crl && f[6 + crl] == 0x05;
}

static void dch_rx(void *user, const uint8_t *pkt, int len, int ok)
{
	pri_event *e;

	(void)user;
	if (len < 0 || !ok || len < 3)
		return;
	pcap_frame(pkt, len, false);
	if (glare_call[0] && is_setup(pkt, len)) {
		/* "glare": this SETUP stays unread until ours is out */
		holding = true;
		glare_due = true;
	}
	if (holding && n_held < 16 && len <= (int)sizeof(held[0].b)) {
		memcpy(held[n_held].b, pkt, (size_t)len);
		held[n_held++].len = len;
		return;
	}
	rx_frame = pkt;
	rx_len = len;
	e = pri_check_event(pri);
	rx_frame = NULL;
	if (e)
		handle(e);
}

/* libpri reads the frames kept unread, in order */
static void release_held(void)
{
	unsigned n = n_held;

	holding = false;
	n_held = 0;
	printf("EV UNHOLD frames=%u\n", n);
	for (unsigned i = 0; i < n; i++) {
		pri_event *e;

		rx_frame = held[i].b;
		rx_len = held[i].len;
		e = pri_check_event(pri);
		rx_frame = NULL;
		if (e)
			handle(e);
	}
}

static void command(char *line)
{
	char a[64] = "", b[64] = "", w4[64] = "", cmd[32] = "";
	int want;

	if (sscanf(line, "%31s %63s %63s %63s", cmd, a, b, w4) < 1)
		return;
	want = atoi(w4);
	if (!strcmp(cmd, "call") || !strcmp(cmd, "ocall") || !strcmp(cmd, "pcall")) {
		bool overlap = !strcmp(cmd, "ocall");
		int ch = !overlap && want > 0 && want < MAX_TS ? want : -1;
		struct pri_sr *sr;

		/* CHAN (optional, 4th word, not for "ocall": its DIGITS):
		 * that channel, even a bad one */
		for (int i = 1; i < (t1 ? 24 : 32) && ch < 0; i++)
			if (i != (int)dch_ts && !calls[i].q)
				ch = i;
		if (ch < 0 || !up) {
			printf("EV CALL_FAILED\n");
			return;
		}
		calls[ch].q = pri_new_call(pri);
		calls[ch].chan = ch;
		sr = pri_sr_new();
		pri_sr_set_channel(sr, ch, strcmp(cmd, "pcall") != 0, 0);
		pri_sr_set_bearer(sr, PRI_TRANS_CAP_SPEECH,
				  t1 ? PRI_LAYER_1_ULAW : PRI_LAYER_1_ALAW);
		pri_sr_set_called(sr, a, PRI_NATIONAL_ISDN, !overlap);
		pri_sr_set_caller(sr, b[0] ? b : NULL, NULL, PRI_NATIONAL_ISDN, calling_pres);
		pri_setup(pri, calls[ch].q, sr);
		pri_sr_free(sr);
		if (overlap)
			snprintf(calls[ch].overlap, sizeof(calls[ch].overlap), "%s", w4);
		current = ch;
		printf("EV SETUP_SENT chan=%d\n", ch);
	} else if (!strcmp(cmd, "info") && current > 0) {
		for (const char *d = a; *d; d++)
			pri_information(pri, calls[current].q, *d);
	} else if (!strcmp(cmd, "answer") && last_in > 0) {
		pri_answer(pri, calls[last_in].q, last_in, 0);
		calls[last_in].answered = true;
	} else if (!strcmp(cmd, "alert") && last_in > 0) {
		/* "alert inband": progress indicator 8 (in-band information) */
		pri_acknowledge(pri, calls[last_in].q, last_in, !strcmp(a, "inband"));
	} else if (!strcmp(cmd, "hangup") && current > 0) {
		pri_hangup(pri, calls[current].q, atoi(a) ? atoi(a) : 16);
	} else if (!strcmp(cmd, "garbage")) {
		/* N frames of random bytes (3-260) with a good FCS, straight
		 * onto the D channel: what a broken far end could send */
		int n = atoi(a);

		srand(4711);
		for (int k = 0; k < n && (txq_t + 1) % QN != txq_h; k++) {
			int len = 3 + rand() % 258;

			for (int j = 0; j < len; j++)
				txq[txq_t].b[j] = (uint8_t)rand();
			if (k % 2)
				txq[txq_t].b[0] = 0x00; /* SAPI 0 (Q.931) */
			if (k % 2)
				txq[txq_t].b[1] = 0x01; /* TEI 0 */
			if (k % 4 == 1)
				txq[txq_t].b[4] = 0x08; /* Q.931 protocol discriminator */
			txq[txq_t].len = len;
			txq_t = (txq_t + 1) % QN;
		}
		printf("EV GARBAGE n=%d\n", n);
	} else if (!strcmp(cmd, "dtmf") && current > 0) {
		struct call *c = &calls[current];

		if (!c->dtx)
			c->dtx = dtmf_tx_init(NULL);
		c->quiet = true;
		if (c->dtx)
			dtmf_tx_put(c->dtx, a, -1);
		printf("EV DTMF_SENT chan=%d digits=%s\n", current, a);
	} else if (!strcmp(cmd, "keypad") && current > 0) {
		printf("EV KEYPAD_SENT chan=%d digits=%s rc=%d\n", current, a,
		       pri_keypad_facility(pri, calls[current].q, a));
	} else if (!strcmp(cmd, "tone") && current > 0) {
		calls[current].quiet = !strcmp(a, "off");
	} else if (!strcmp(cmd, "level")) {
		struct call *c = current > 0 ? &calls[current] : NULL;

		printf("EV LEVEL chan=%d max_dbm0=%.1f loud_blocks=%u dtmf=\"%s\" span_rx=%llu "
		       "span_tx=%llu span_lost=%llu\n",
		       current, c && c->blocks ? c->blk_max : -99.0, c ? c->loud_blocks : 0,
		       c ? c->rx_digits : "", (unsigned long long)span_rx,
		       (unsigned long long)span_tx, (unsigned long long)span_lost);
		if (c) {
			c->loud_blocks = 0;
			c->blocks = 0;
			c->rx_digits[0] = 0;
		}
	} else if (!strcmp(cmd, "service")) {
		pri_maintenance_service(pri, 0, atoi(a), atoi(b));
		printf("EV SERVICE_SENT chan=%d status=%d\n", atoi(a), atoi(b));
	} else if (!strcmp(cmd, "pres")) {
		calling_pres = atoi(a);
	} else if (!strcmp(cmd, "glare") || !strcmp(cmd, "pglare")) {
		snprintf(glare_call, sizeof(glare_call), "%s %s %s %d",
			 cmd[0] == 'p' ? "pcall" : "call", a, b, want);
		printf("EV GLARE_ARMED\n");
	} else if (!strcmp(cmd, "auto") && (!strcmp(a, "none") || !strcmp(a, "answer") ||
					    !strcmp(a, "alert") || !strncmp(a, "reject:", 7))) {
		snprintf(auto_mode, sizeof(auto_mode), "%s", a);
		printf("EV AUTO mode=%s\n", auto_mode);
	} else if (!strcmp(cmd, "restart")) {
		pri_reset(pri, atoi(a));
	} else {
		printf("EV BAD_COMMAND %s\n", cmd);
	}
	fflush(stdout);
}

static int parse_addr(const char *s, struct sockaddr_in *a)
{
	char ip[64];
	const char *c = strrchr(s, ':');

	if (!c || (size_t)(c - s) >= sizeof(ip))
		return -1;
	memcpy(ip, s, (size_t)(c - s));
	ip[c - s] = 0;
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)atoi(c + 1));
	return inet_pton(AF_INET, ip, &a->sin_addr) == 1 ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct sockaddr_in local, remote;
	bool have_l = false, have_r = false;
	unsigned frames = 8, nts;
	int sw = PRI_SWITCH_EUROISDN_E1, fd;
	const char *swname = "euroisdn";
	double seconds = 3600, start, next, silent_until = 0;
	uint16_t seq = 0;
	char line[256];
	size_t lfill = 0;
	bool stdin_open = true;
	int debug = 0, in_fd = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--t1"))
			t1 = true;
		else if (!strcmp(a, "--network"))
			network = true;
		else if (!strcmp(a, "--debug"))
			debug = PRI_DEBUG_Q931_DUMP | PRI_DEBUG_Q931_STATE;
		else if (!strcmp(a, "--local") && v && ++i)
			have_l = parse_addr(v, &local) == 0;
		else if (!strcmp(a, "--remote") && v && ++i)
			have_r = parse_addr(v, &remote) == 0;
		else if (!strcmp(a, "--frames") && v && ++i)
			frames = (unsigned)atoi(v);
		else if (!strcmp(a, "--switch") && v && ++i)
			swname = v;
		else if (!strcmp(a, "--auto") && v && ++i)
			snprintf(auto_mode, sizeof(auto_mode), "%s", v);
		else if (!strcmp(a, "--input") && v && ++i)
			in_fd = open(v, O_RDONLY | O_NONBLOCK);
		else if (!strcmp(a, "--seconds") && v && ++i)
			seconds = atof(v);
		else if (!strcmp(a, "--pcap") && v && ++i) {
			uint32_t gh[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 177};

			pcap = fopen(v, "wb");
			if (pcap)
				fwrite(gh, sizeof(gh), 1, pcap);
		} else {
			fprintf(stderr,
				"usage: pri-pbx --local IP:PORT --remote IP:PORT [--t1] "
				"[--network] [--switch SW] [--frames N] [--auto none|answer|"
				"alert|reject:CAUSE] [--pcap FILE] [--seconds S]\n");
			return 2;
		}
	}
	if (!have_l || !have_r || frames < 1 || frames > MAX_FRAMES) {
		fprintf(stderr, "pri-pbx: need --local and --remote; frames 1-%d\n", MAX_FRAMES);
		return 2;
	}
	if (!strcmp(swname, "euroisdn"))
		sw = t1 ? PRI_SWITCH_EUROISDN_T1 : PRI_SWITCH_EUROISDN_E1;
	else if (!strcmp(swname, "ni2"))
		sw = PRI_SWITCH_NI2;
	else if (!strcmp(swname, "dms100"))
		sw = PRI_SWITCH_DMS100;
	else if (!strcmp(swname, "5ess"))
		sw = PRI_SWITCH_LUCENT5E;
	else if (!strcmp(swname, "qsig"))
		sw = PRI_SWITCH_QSIG;
	nts = t1 ? 24 : 31; /* timeslots 1..nts, as tandem's span carries them */
	dch_ts = t1 ? 24 : 16;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd >= 0) {
		/* 4 MiB of receive buffer: a peer held off the CPU for a few
		 * seconds on a loaded machine finds the span's packets waiting
		 * instead of lost at its socket (root: past rmem_max) */
		int rb = 4 << 20;

		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rb, sizeof(rb)) < 0)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof(rb));
	}
	if (fd < 0 || bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0) {
		perror("pri-pbx: bind");
		return 1;
	}
	hrx = hdlc_rx_init(NULL, false, false, 5, dch_rx, NULL);
	htx = hdlc_tx_init(NULL, false, 1, false, NULL, NULL);
	hdlc_tx_flags(htx, 8);
	if (in_fd < 0) {
		perror("pri-pbx: --input");
		return 1;
	}
	fcntl(in_fd, F_SETFL, fcntl(in_fd, F_GETFL) | O_NONBLOCK);
	setvbuf(stdout, NULL, _IOLBF, 0);
	pri = pri_new_cb(-1, network ? PRI_NETWORK : PRI_CPE, sw, io_read, io_write, NULL);
	if (!pri) {
		fprintf(stderr, "pri-pbx: libpri refused the configuration\n");
		return 1;
	}
	pri_hangup_fix_enable(pri, 1);
	pri_set_overlapdial(pri, 1); /* "ocall": SETUP without sending complete */
	if (sw == PRI_SWITCH_NI2 || sw == PRI_SWITCH_LUCENT5E || sw == PRI_SWITCH_ATT4ESS)
		pri_set_service_message_support(pri, 1);
	pri_set_debug(pri, debug);
	printf("EV START role=%s switch=%s\n", network ? "network" : "user", swname);
	start = next = now_s();
	while (now_s() < start + seconds) {
		double t = now_s();
		struct pollfd p[2] = {{.fd = fd, .events = POLLIN},
				      {.fd = stdin_open ? in_fd : -1, .events = POLLIN}};
		struct timeval *tv = pri_schedule_next(pri);
		double wait = next - t;
		struct timespec to;

		if (tv) {
			struct timeval nowtv;
			double d;

			gettimeofday(&nowtv, NULL);
			d = (double)(tv->tv_sec - nowtv.tv_sec) +
			    (tv->tv_usec - nowtv.tv_usec) / 1e6;
			if (d <= 0) {
				pri_event *e = pri_schedule_run(pri);

				if (e)
					handle(e);
				continue;
			}
			if (d < wait)
				wait = d;
		}
		if (t >= next) {
			uint8_t pkt[4 + MAX_FRAMES * MAX_TS], d[MAX_FRAMES];
			size_t n = 4;

			next += frames / 8000.0;
			if (t < silent_until)
				continue; /* the span is down: nothing goes out */
			/* the D channel's bytes of this packet (queued frames first) */
			while (txq_h != txq_t &&
			       hdlc_tx_frame(htx, txq[txq_h].b, (size_t)txq[txq_h].len) == 0)
				txq_h = (txq_h + 1) % QN;
			hdlc_tx_get(htx, d, frames);
			pkt[0] = 0;
			pkt[1] = 0;
			pkt[2] = (uint8_t)(seq >> 8);
			pkt[3] = (uint8_t)seq;
			seq++;
			for (unsigned f = 0; f < frames; f++)
				for (unsigned k = 1; k <= nts; k++) {
					struct call *c = &calls[k];
					uint8_t v = t1 ? 0xff : 0xd5;

					if (k == dch_ts) {
						v = d[f];
					} else if (c->q && c->answered) {
						int16_t s = call_tx(c);

						v = t1 ? linear_to_ulaw(s) : linear_to_alaw(s);
					}
					pkt[n++] = v;
				}
			if (n < 64)
				pkt[1] = (uint8_t)(n & 0x3f);
			if (sendto(fd, pkt, n, 0, (struct sockaddr *)&remote, sizeof(remote)) > 0)
				span_tx++;
			continue;
		}
		if (wait < 0)
			wait = 0;
		to.tv_sec = (time_t)wait;
		to.tv_nsec = (long)((wait - (double)to.tv_sec) * 1e9);
		if (ppoll(p, 2, &to, NULL) <= 0)
			continue;
		if (p[0].revents & POLLIN) {
			uint8_t buf[2048], d[MAX_FRAMES];
			ssize_t r = recv(fd, buf, sizeof(buf), 0);

			if (r != (ssize_t)(4 + nts * frames) || (buf[0] & 0xf0) || (buf[0] & 0x08))
				continue;
			if (t < silent_until)
				continue; /* a failed span hears nothing either */
			span_rx++;
			{
				int sq = buf[2] << 8 | buf[3];

				if (span_next_seq >= 0 && sq != span_next_seq)
					span_lost += (uint16_t)(sq - span_next_seq) < 1000
							     ? (uint16_t)(sq - span_next_seq)
							     : 0;
				span_next_seq = (sq + 1) & 0xffff;
			}
			for (unsigned f = 0; f < frames; f++) {
				const uint8_t *row = buf + 4 + f * nts;

				d[f] = row[dch_ts - 1];
				for (unsigned k = 1; k <= nts; k++) {
					struct call *c = &calls[k];
					double s;

					if (k == dch_ts || !c->q || !c->answered)
						continue;
					s = t1 ? ulaw_to_linear(row[k - 1])
					       : alaw_to_linear(row[k - 1]);
					call_rx(c, (int16_t)s);
				}
			}
			hdlc_rx_put(hrx, d, (int)frames);
			if (glare_due) {
				char c[sizeof(glare_call)];

				/* the far end's SETUP is kept unread: ours crosses it */
				glare_due = false;
				snprintf(c, sizeof(c), "%s", glare_call);
				glare_call[0] = 0;
				printf("EV GLARE_SETUP_SEEN\n");
				command(c);
				release_held();
			}
		}
		if (p[1].revents & (POLLIN | POLLHUP)) {
			ssize_t r = read(in_fd, line + lfill, sizeof(line) - 1 - lfill);

			if (r <= 0) {
				if (r == 0)
					stdin_open = false;
				continue;
			}
			lfill += (size_t)r;
			line[lfill] = 0;
			for (char *nl; (nl = strchr(line, '\n'));) {
				*nl = 0;
				if (!strcmp(line, "quit"))
					goto out;
				if (!strncmp(line, "silence ", 8)) {
					silent_until = now_s() + atof(line + 8) / 1000.0;
					printf("EV SILENCE ms=%d\n", atoi(line + 8));
				} else {
					command(line);
				}
				lfill -= (size_t)(nl + 1 - line);
				memmove(line, nl + 1, lfill + 1);
			}
			if (lfill >= sizeof(line) - 1)
				lfill = 0;
		}
	}
out:
	for (int i = 0; i < MAX_TS; i++)
		if (calls[i].q)
			call_end(&calls[i]);
	if (pcap)
		fclose(pcap);
	printf("EV END\n");
	return 0;
}
