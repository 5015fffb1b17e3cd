/* e1-emu: an E1 (or T1) span on the far side of a CESoPSN pseudowire
 * (RFC 5086, structured, basic mode, no RTP header), for tests and the
 * demo. It has its own packet code on purpose: it checks tandem's, it does
 * not share it.
 *
 * Every frames/8000 s it sends one packet carrying FRAMES frames of the
 * chosen timeslots, each timeslot fed by a source, and it analyses what
 * comes back per timeslot. At the end it prints one line per timeslot:
 *
 *   TS 3 rx_frames=40000 level_dbm0=-10.0 f1004_dbm0=-10.1 dtmf="123#" echo_missing=0
 * echo_erl_db=12.0 (echo_missing: echo samples that were due before the sample they echo came, or
 * never came: echoed as silence) SPAN rx_pkts=5000 lost=0 bad=0 tx_pkts=5000 rxq_drops=0
 * (rxq_drops: datagrams the kernel dropped at this emulator's own receive
 * queue, full because the emulator did not read in time: what the far end
 * sent and this end lost itself, -1 when unknown)
 *
 * Sources (--ts N:KIND[:ARGS]):
 *   silence            idle pattern
 *   tone:HZ:DBM0       a sine wave
 *   dtmf:DIGITS        DTMF digits (spandsp generator), then silence; they
 *                      start when the first packet from the far end came
 *   echo:MS:ERL_DB     the hybrid: what tandem sends on this timeslot comes
 *                      back MS later, ERL_DB weaker (plus a dispersed tail);
 *                      placed by the packets' sequence numbers on the span's
 *                      sample clock, so the delay is the same for the whole
 *                      run whatever the arrival jitter (as on a real TDM
 *                      line); a sample that came too late is not echoed
 *   loop               what comes in goes straight back (a metallic loop,
 *                      as for a continuity check)
 *
 * Usage: e1-emu --local IP:PORT --remote IP:PORT [--t1] [--frames 8]
 *               [--timeslots 1-31] [--ts SPEC]... [--seconds 5] [--warmup MS]
 *               [--drain MS] [--freq HZ]... [--analyse MS] [--until-quiet MS]
 * --freq (up to 4): the level at HZ too, printed as fHZ_dbm0= on each TS line,
 * and fHZ_max_dbm0= for its loudest 1 s block (a tone that starts and stops
 * at times the test does not know: any 2 s of it hold one whole block)
 * (call-progress tones: 425 Hz for ITU ringback, 440 + 480 Hz for US)
 * (nothing received in the first --warmup ms, default 300, is analysed,
 * counted on the far end's sample clock from the first packet heard, so a
 * far end that started late or a burst after a stall does not bring
 * silence into the analysis; --analyse: only that many ms of received
 * samples after the warmup, so the analysis window is the same whatever
 * the timing of the two ends' starts and stops; --until-quiet: end (and
 * report) once the far end, heard before, has sent nothing for MS, so an
 * end started first outlasts the other whenever that one starts, with
 * --seconds as the bound;
 * after --seconds it sends nothing more and receives until nothing came
 * for --drain ms (default 300; 5 s at most); SPAN lost= counts sequence gaps only: a test compares
 * rx_pkts with what the far end says it sent)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <spandsp.h>

/* something waits in FD's receive queue */
static bool readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, 0) > 0;
}

/* The kernel's count of datagrams dropped at the receive queue of our UDP
 * socket (the drops column of /proc/net/udp for our local port), -1 when
 * it cannot be read. */
static long long own_rxq_drops(int fd)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	char line[512], want[16];
	long long drops = -1;
	FILE *f;

	if (getsockname(fd, (struct sockaddr *)&a, &alen) < 0)
		return -1;
	snprintf(want, sizeof(want), ":%04X ", ntohs(a.sin_port));
	f = fopen("/proc/net/udp", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char local[64];
		unsigned long long d;
		int n = 0;

		/* sl local rem st tx:rx tr:when retr uid timeout inode ref ptr drops */
		if (sscanf(line, " %*s %62s", local) != 1 || !strstr(strcat(local, " "), want))
			continue;
		for (char *t = strtok(line, " \n"); t; t = strtok(NULL, " \n"))
			if (++n == 13 && sscanf(t, "%llu", &d) == 1)
				drops = (long long)d;
		break;
	}
	fclose(f);
	return drops;
}

#define MAX_TS	   32
#define MAX_FRAMES 64
#define ECHO_MAX   8000 /* 1 s of delay line */

enum src_kind { SRC_SILENCE, SRC_TONE, SRC_DTMF, SRC_ECHO, SRC_LOOP };

struct ts {
	bool on;
	enum src_kind kind;
	double hz, dbm0, phase;
	char digits[64];
	dtmf_tx_state_t *dtx;
	dtmf_rx_state_t *drx;
	char got_digits[128];
	/* echo path */
	int16_t line[ECHO_MAX];
	unsigned delay;	       /* echo and loop: samples from receive to send */
	uint64_t at[ECHO_MAX]; /* echo and loop: the span sample index in line[] (+1) */
	uint64_t echo_missing; /* echo samples due before their sample came */
	double gain;
	/* analysis of what tandem sends toward the span */
	uint64_t rx_frames;
	double rx_energy, g_s1, g_s2; /* Goertzel at 1004 Hz over the whole run */
	unsigned g_n;
	double g_power;
	double x_s1[4], x_s2[4], x_power[4]; /* Goertzel at each --freq */
	double x_max[4];		     /* ... its loudest 1 s block */
	double tx_energy;		     /* what we send (for the echo ERL report) */
	uint64_t tx_frames;
};

static struct ts ts[MAX_TS];
static double freqs[4];
static unsigned n_freqs;
static double warmup_until; /* the send side's ERL figure starts after the pipelines fill */
/* received span samples analysed: indexes analyse_from up to analyse_to */
static uint64_t analyse_from = UINT64_MAX, analyse_to = UINT64_MAX;
static bool heard; /* a packet came from the far end */
/* The span's sample clock: tx_index counts the samples we sent; a sample
 * the far end sent has index rx_base + its extended sequence * frames + f,
 * rx_base fixed by the first packet received (the hybrid's echo of it is
 * due ECHO delay samples later on our own sending clock). */
static uint64_t tx_index, rx_index, rx_base_index;
static unsigned echo_delay_min; /* the shortest echo delay of the timeslots (0: none) */
static uint64_t rx_have;	/* span samples received: indexes below this */

static double now_s(void);
static bool t1;
static unsigned frames = 8;

static int16_t expand(uint8_t v)
{
	return t1 ? ulaw_to_linear(v) : alaw_to_linear(v);
}

static uint8_t compress(int16_t v)
{
	return t1 ? linear_to_ulaw(v) : linear_to_alaw(v);
}

/* 0 dBm0 is a sine of 3.14 dB below the G.711 overload point (G.711: the
 * digital milliwatt); full scale 32767 in spandsp's linear domain is
 * +3.14 dBm0, so 0 dBm0 has a peak of about 22794. */
static double dbm0_to_peak(double dbm0)
{
	return 22794.0 * pow(10.0, dbm0 / 20.0);
}

static double rms_to_dbm0(double rms)
{
	double db = rms > 0 ? 20.0 * log10(rms / (22794.0 / sqrt(2.0))) : -99.0;

	return db < -99.0 ? -99.0 : db;
}

static void on_digits(void *user, const char *digits, int len)
{
	struct ts *t = user;
	size_t n = strlen(t->got_digits);

	if (n + (size_t)len < sizeof(t->got_digits)) {
		memcpy(t->got_digits + n, digits, (size_t)len);
		t->got_digits[n + (size_t)len] = 0;
	}
}

static int16_t source_sample(struct ts *t)
{
	int16_t s = 0;

	switch (t->kind) {
	case SRC_SILENCE:
		break;
	case SRC_TONE:
		s = (int16_t)(dbm0_to_peak(t->dbm0) * sin(t->phase));
		t->phase += 2 * M_PI * t->hz / 8000.0;
		if (t->phase > 2 * M_PI)
			t->phase -= 2 * M_PI;
		break;
	case SRC_DTMF:
		/* the digits start once the far end is heard: sent before it
		 * listens, the first digit would be lost (or cut) on a loaded
		 * machine that starts the far end late */
		if (heard)
			dtmf_tx(t->dtx, &s, 1);
		break;
	case SRC_ECHO: {
		/* a delayed, attenuated copy with a short decaying tail: a hybrid */
		double acc = 0, g = t->gain;

		for (uint64_t k = 0; k < 6; k++) {
			uint64_t i = tx_index - t->delay - k;
			unsigned slot = (unsigned)(i % ECHO_MAX);

			/* a sample not (yet) received echoes as silence */
			if (tx_index >= t->delay + k && t->at[slot] == i + 1)
				acc += g * t->line[slot] * (k % 2 ? -0.5 : 1.0);
			else if (k == 0 && heard && i >= rx_base_index)
				t->echo_missing++;
			g *= 0.6;
		}
		s = (int16_t)(acc > 32767 ? 32767 : acc < -32768 ? -32768 : acc);
		break;
	}
	case SRC_LOOP: {
		/* a metallic loop: each sample back as it came, a fixed delay
		 * later on our sending clock (like the echo path, so a sending
		 * burst after a stall waits for what the far end sent, at most
		 * 200 ms, instead of playing back slots not yet received: a
		 * FIFO read ahead of its writes measured -14.8 dBm0 for a
		 * -10 dBm0 loop under load) */
		uint64_t i = tx_index - t->delay;

		if (tx_index >= t->delay && t->at[i % ECHO_MAX] == i + 1)
			s = t->line[i % ECHO_MAX];
		break;
	}
	}
	if (now_s() >= warmup_until) {
		t->tx_energy += (double)s * s;
		t->tx_frames++;
	}
	return s;
}

static void analyse(struct ts *t, uint8_t v)
{
	int16_t s = expand(v);
	double coeff = 2 * cos(2 * M_PI * 1004.0 / 8000.0), s0;

	if (t->kind == SRC_ECHO || t->kind == SRC_LOOP) {
		t->line[rx_index % ECHO_MAX] = s;
		t->at[rx_index % ECHO_MAX] = rx_index + 1;
	}
	if (t->drx)
		dtmf_rx(t->drx, &s, 1); /* digits count from the start */
	if (rx_index < analyse_from || rx_index >= analyse_to)
		return;
	t->rx_frames++;
	t->rx_energy += (double)s * s;
	/* Goertzel at 1004 Hz in blocks of 8000 samples (1 Hz bins) */
	s0 = s + coeff * t->g_s1 - t->g_s2;
	t->g_s2 = t->g_s1;
	t->g_s1 = s0;
	for (unsigned i = 0; i < n_freqs; i++) {
		double c = 2 * cos(2 * M_PI * freqs[i] / 8000.0),
		       x0 = s + c * t->x_s1[i] - t->x_s2[i];

		t->x_s2[i] = t->x_s1[i];
		t->x_s1[i] = x0;
		if (t->g_n + 1 == 8000) {
			double pw = t->x_s1[i] * t->x_s1[i] + t->x_s2[i] * t->x_s2[i] -
				    c * t->x_s1[i] * t->x_s2[i];

			t->x_power[i] += pw;
			if (pw > t->x_max[i])
				t->x_max[i] = pw;
			t->x_s1[i] = t->x_s2[i] = 0;
		}
	}
	if (++t->g_n == 8000) {
		t->g_power += t->g_s1 * t->g_s1 + t->g_s2 * t->g_s2 - coeff * t->g_s1 * t->g_s2;
		t->g_s1 = t->g_s2 = 0;
		t->g_n = 0;
	}
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

static int parse_ts(const char *spec)
{
	char buf[128], *kind, *a1, *a2;
	int n;
	struct ts *t;

	snprintf(buf, sizeof(buf), "%s", spec);
	n = atoi(strtok(buf, ":"));
	kind = strtok(NULL, ":");
	a1 = strtok(NULL, ":");
	a2 = strtok(NULL, ":");
	if (n < 1 || n >= MAX_TS || !kind)
		return -1;
	t = &ts[n];
	if (!strcmp(kind, "silence")) {
		t->kind = SRC_SILENCE;
	} else if (!strcmp(kind, "tone") && a1 && a2) {
		t->kind = SRC_TONE;
		t->hz = atof(a1);
		t->dbm0 = atof(a2);
	} else if (!strcmp(kind, "dtmf") && a1) {
		t->kind = SRC_DTMF;
		snprintf(t->digits, sizeof(t->digits), "%s", a1);
		t->dtx = dtmf_tx_init(NULL);
		dtmf_tx_put(t->dtx, t->digits, -1);
	} else if (!strcmp(kind, "echo") && a1 && a2) {
		t->kind = SRC_ECHO;
		t->delay = (unsigned)(atof(a1) * 8);
		if (t->delay >= ECHO_MAX / 2)
			return -1;
		t->gain = pow(10.0, -atof(a2) / 20.0);
		if (!echo_delay_min || t->delay < echo_delay_min)
			echo_delay_min = t->delay;
	} else if (!strcmp(kind, "loop")) {
		t->kind = SRC_LOOP;
		t->delay = 800; /* 100 ms: room for the arrival jitter of a loaded machine */
		if (!echo_delay_min || t->delay < echo_delay_min)
			echo_delay_min = t->delay;
	} else {
		return -1;
	}
	return 0;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct sockaddr_in local, remote;
	bool have_local = false, have_remote = false;
	unsigned first = 1, last = 31, nts = 0, order[MAX_TS];
	double seconds = 5, warmup = 0.3, drain = 0.3, analyse_s = 0, start, next, waited_from = 0;
	double until_quiet = 0, last_rx_t = 0;
	uint16_t seq = 0, rx_expect = 0, rx_first = 0;
	/* extended sequence numbers: the highest so far, this packet's */
	uint64_t rx_base = 0, rx_ext = 0, pkt_ext = 0;
	uint64_t rx_pkts = 0, lost = 0, bad = 0, tx_pkts = 0;
	bool rx_started = false;
	int fd;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--t1")) {
			t1 = true;
			last = 24;
		} else if (!strcmp(a, "--local") && v) {
			have_local = parse_addr(v, &local) == 0;
			i++;
		} else if (!strcmp(a, "--remote") && v) {
			have_remote = parse_addr(v, &remote) == 0;
			i++;
		} else if (!strcmp(a, "--frames") && v) {
			frames = (unsigned)atoi(v);
			i++;
		} else if (!strcmp(a, "--timeslots") && v) {
			if (sscanf(v, "%u-%u", &first, &last) != 2)
				last = first = (unsigned)atoi(v);
			i++;
		} else if (!strcmp(a, "--ts") && v) {
			if (parse_ts(v) < 0) {
				fprintf(stderr, "e1-emu: bad --ts %s\n", v);
				return 2;
			}
			i++;
		} else if (!strcmp(a, "--seconds") && v) {
			seconds = atof(v);
			i++;
		} else if (!strcmp(a, "--freq") && v && n_freqs < 4 && atof(v) > 0 &&
			   atof(v) < 4000) {
			freqs[n_freqs++] = atof(v);
			i++;
		} else if (!strcmp(a, "--drain") && v) {
			drain = atof(v) / 1000.0;
			i++;
		} else if (!strcmp(a, "--warmup") && v) {
			warmup = atof(v) / 1000.0;
			i++;
		} else if (!strcmp(a, "--until-quiet") && v && atof(v) > 0) {
			until_quiet = atof(v) / 1000.0;
			i++;
		} else if (!strcmp(a, "--analyse") && v && atof(v) > 0) {
			analyse_s = atof(v) / 1000.0;
			i++;
		} else {
			fprintf(stderr, "usage: e1-emu --local IP:PORT --remote IP:PORT [--t1] "
					"[--frames N] [--timeslots A-B] [--ts N:KIND[:ARGS]]... "
					"[--seconds S] [--warmup MS] [--drain MS] [--freq HZ]... "
					"[--analyse MS] [--until-quiet MS]\n");
			return 2;
		}
	}
	if (!have_local || !have_remote || frames < 1 || frames > MAX_FRAMES || first < 1 ||
	    last >= MAX_TS || first > last || (t1 && last > 24)) {
		fprintf(stderr, "e1-emu: need --local and --remote; frames 1-%d; timeslots 1-%d\n",
			MAX_FRAMES, t1 ? 24 : 31);
		return 2;
	}
	for (unsigned i = first; i <= last; i++) {
		ts[i].on = true;
		ts[i].drx = dtmf_rx_init(NULL, on_digits, &ts[i]);
		order[nts++] = i;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd >= 0) {
		int rb = 4 << 20;

		/* root: past net.core.rmem_max (212,992 B: some 270 packets) */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rb, sizeof(rb)) < 0)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof(rb));
	}
	if (fd < 0 || bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0) {
		perror("e1-emu: bind");
		return 1;
	}
	start = next = now_s();
	warmup_until = start + warmup;
	/* Send --seconds of samples (all of them: an emulator starved of CPU
	 * sends what fell due in a burst when it runs again, as a span's
	 * samples exist whatever the machine; 10 s more at most), then keep
	 * receiving for --drain ms without sending, so that packets still on
	 * their way count as received and not as lost; what never came is
	 * "missing" (tx of the far end minus rx here; the test compares the
	 * two sides' counters). */
	uint64_t total_pkts = (uint64_t)(seconds * 8000.0 / frames + 0.5);
	double send_end = 0;

	for (;;) {
		double t = now_s();
		bool sending = tx_pkts < total_pkts && t < start + seconds + 10;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		double wait;

		if (!sending && !send_end)
			send_end = t;
		/* the drain: until the far end has sent nothing for --drain ms
		 * (a far end clocked by our packets plays out at the span's rate
		 * what we sent in a burst after a stall: its last packets come
		 * that much later; what came while we were not scheduled waits
		 * in the socket: that is not quiet), 5 s at most */
		double quiet_from = last_rx_t > send_end ? last_rx_t : send_end;

		if (!sending && ((t >= quiet_from + drain && !readable(fd)) || t >= send_end + 5))
			break;
		wait = sending ? next - t : quiet_from + drain - t;
		struct timespec to = {.tv_sec = 0, .tv_nsec = 0};

		/* A hybrid's echo is a function of what reached it, at a fixed
		 * delay: a packet whose echo needs samples not yet come (the far
		 * end is late, a loaded machine) waits for them, at most 200 ms,
		 * rather than echoing silence; the far end, clocked by our
		 * packets, then sees the same echo path for the whole run. */
		if (sending && t >= next && echo_delay_min && heard &&
		    tx_index + frames > rx_base_index + echo_delay_min &&
		    tx_index + frames - echo_delay_min > rx_have &&
		    (!waited_from || t < waited_from + 0.2)) {
			if (!waited_from)
				waited_from = t;
			wait = 0.0005;
		} else if (sending && t >= next) {
			waited_from = 0;
			/* RFC 5086 control word: 0000 L R M(2) FRG(2) LEN(6) | SEQ(16);
			 * LEN 0 as the packet is longer than 64 bytes */
			uint8_t pkt[4 + MAX_FRAMES * MAX_TS];
			size_t n = 4;

			pkt[0] = 0;
			pkt[1] = 0;
			pkt[2] = (uint8_t)(seq >> 8);
			pkt[3] = (uint8_t)seq;
			seq++;
			for (unsigned f = 0; f < frames; f++, tx_index++)
				for (unsigned k = 0; k < nts; k++)
					pkt[n++] = compress(source_sample(&ts[order[k]]));
			if (4 + nts * frames < 64)
				pkt[1] = (uint8_t)(n & 0x3f);
			sendto(fd, pkt, n, 0, (struct sockaddr *)&remote, sizeof(remote));
			tx_pkts++;
			next += frames / 8000.0;
			continue;
		}
		/* sleep until the next packet is due (to the microsecond: a
		 * millisecond poll() with a 1 ms packet interval spins, and seven
		 * spinning emulators starve the gateway under test) */
		if (wait > 0) {
			to.tv_sec = (time_t)wait;
			to.tv_nsec = (long)((wait - (double)to.tv_sec) * 1e9);
		}
		if (ppoll(&p, 1, &to, NULL) <= 0) {
			/* nothing waiting (a stalled end reads what queued first) */
			if (until_quiet > 0 && heard && now_s() - last_rx_t > until_quiet)
				break;
		} else {
			uint8_t buf[2048];
			ssize_t r = recv(fd, buf, sizeof(buf), 0);
			uint16_t s;

			if (r < 4 || (buf[0] & 0xf0) || (size_t)r != 4 + nts * frames) {
				bad++;
				continue;
			}
			s = (uint16_t)(buf[2] << 8 | buf[3]);
			if (rx_started && s != rx_expect)
				lost += (uint16_t)(s - rx_expect);
			if (!rx_started) {
				rx_first = s;
				rx_base = rx_base_index = tx_index;
				rx_ext = pkt_ext = 0;
				analyse_from = rx_base + (uint64_t)(warmup * 8000);
				if (analyse_s > 0)
					analyse_to = analyse_from + (uint64_t)(analyse_s * 8000);
			} else {
				/* forward within half the sequence space; behind: a
				 * late (reordered) packet, placed where it belongs */
				int16_t d = (int16_t)(s - (uint16_t)(rx_first + rx_ext));

				if (d < 0 && (uint64_t)-d > rx_ext)
					continue;
				pkt_ext = (uint64_t)((int64_t)rx_ext + d);
				if (d > 0)
					rx_ext = pkt_ext;
			}
			rx_started = true;
			heard = true;
			last_rx_t = now_s();
			rx_expect = (uint16_t)(s + 1);
			rx_pkts++;
			/* L bit: the far end lost its TDM side; the payload is filler */
			if (buf[0] & 0x08)
				continue;
			for (unsigned f = 0; f < frames; f++) {
				rx_index = rx_base + pkt_ext * frames + f;
				if (rx_index + 1 > rx_have)
					rx_have = rx_index + 1;
				for (unsigned k = 0; k < nts; k++)
					analyse(&ts[order[k]], buf[4 + f * nts + k]);
			}
		}
	}
	for (unsigned k = 0; k < nts; k++) {
		struct ts *t = &ts[order[k]];
		double rms = t->rx_frames ? sqrt(t->rx_energy / (double)t->rx_frames) : 0;
		unsigned blocks = (unsigned)(t->rx_frames / 8000);
		/* Goertzel power of a sine of amplitude A over N samples: (A*N/2)^2 */
		double amp = blocks ? 2.0 * sqrt(t->g_power / blocks) / 8000.0 : 0;

		printf("TS %u rx_frames=%llu level_dbm0=%.1f f1004_dbm0=%.1f dtmf=\"%s\"", order[k],
		       (unsigned long long)t->rx_frames, rms_to_dbm0(rms),
		       rms_to_dbm0(amp / sqrt(2.0)), t->got_digits);
		for (unsigned i = 0; i < n_freqs; i++) {
			double a = blocks ? 2.0 * sqrt(t->x_power[i] / blocks) / 8000.0 : 0;

			double m = 2.0 * sqrt(t->x_max[i]) / 8000.0;

			printf(" f%.0f_dbm0=%.1f f%.0f_max_dbm0=%.1f", freqs[i],
			       rms_to_dbm0(a / sqrt(2.0)), freqs[i], rms_to_dbm0(m / sqrt(2.0)));
		}
		if (t->kind == SRC_ECHO)
			printf(" echo_missing=%llu", (unsigned long long)t->echo_missing);
		if (t->kind == SRC_ECHO && t->rx_energy > 0 && t->tx_frames)
			printf(" echo_erl_db=%.1f",
			       10 * log10((t->rx_energy / (double)t->rx_frames) /
					  (t->tx_energy / (double)t->tx_frames + 1e-9)));
		printf("\n");
	}
	printf("SPAN rx_pkts=%llu lost=%llu bad=%llu tx_pkts=%llu rxq_drops=%lld\n",
	       (unsigned long long)rx_pkts, (unsigned long long)lost, (unsigned long long)bad,
	       (unsigned long long)tx_pkts, own_rxq_drops(fd));
	close(fd);
	return 0;
}
