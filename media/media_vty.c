/* The "media" configuration node and "show media". */
#include <arpa/inet.h>
#include <inttypes.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/talloc.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "core/vty.h"
#include "media/ec.h"
#include "media/media.h"

struct media_cfg media_vty_cfg = {
	.workers = 0,
	.chans_per_worker = 1024,
	.rtp_addr = NULL,
	.rtp_port_min = 16384,
	.rtp_port_max = 32767,
	.rtp_timeout_ms = 30000,
	.nice = -10,
};

static struct media_engine *vty_engine;

/* The echo canceller of TDM channels (per trunk later): a name, or NULL. */
const char *media_vty_ec_name = "tandem";
unsigned media_vty_ec_tail_ms = 128;

struct media_span_cfg *media_vty_spans; /* talloc array, media_vty_n_spans of them */
unsigned media_vty_n_spans;
static uint8_t span_seen[MEDIA_VTY_MAX_SPAN / 8 + 1];

static int sockaddr_set(struct sockaddr_storage *ss, socklen_t *len, const char *ip,
			const char *port)
{
	struct sockaddr_in *a = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)atoi(port));
	*len = sizeof(*a);
	return inet_pton(AF_INET, ip, &a->sin_addr) == 1 ? 0 : -1;
}

void media_vty_set_engine(struct media_engine *e)
{
	vty_engine = e;
}

static struct cmd_node media_node = {
	.node = TANDEM_MEDIA_NODE,
	.prompt = "%s(config-media)# ",
	.vtysh = 1,
};

DEFUN(cfg_media, cfg_media_cmd, "media", "Configure the media plane\n")
{
	vty->node = TANDEM_MEDIA_NODE;
	return CMD_SUCCESS;
}

DEFUN(cfg_media_workers, cfg_media_workers_cmd, "workers <0-64>",
      "Media worker threads (applies at start-up)\nThreads; 0 = cores - 1, at least 1\n")
{
	media_vty_cfg.workers = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_media_chans, cfg_media_chans_cmd, "channels-per-worker <1-65536>",
      "Channel table size of each worker (applies at start-up)\nChannels\n")
{
	media_vty_cfg.chans_per_worker = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_media_addr, cfg_media_addr_cmd, "rtp-address A.B.C.D",
      "Local IPv4 address of RTP sockets\nAddress\n")
{
	struct in_addr a;

	if (inet_pton(AF_INET, argv[0], &a) != 1) {
		vty_out(vty, "%% invalid address %s%s", argv[0], VTY_NEWLINE);
		return CMD_WARNING;
	}
	osmo_talloc_replace_string(tall_vty_ctx, (char **)&media_vty_cfg.rtp_addr, argv[0]);
	media_vty_cfg.rtp_addr_count = argc > 1 ? (unsigned)atoi(argv[1]) : 0;
	return CMD_SUCCESS;
}

/* More channels than one port range holds: the same range on the next
 * addresses too (they must be configured on the host). */
ALIAS(cfg_media_addr, cfg_media_addr_count_cmd, "rtp-address A.B.C.D count <1-256>",
      "Local IPv4 address of RTP sockets\nFirst address\n"
      "Use this many consecutive addresses, each with the whole port range\nAddresses\n")

DEFUN(cfg_media_range, cfg_media_range_cmd, "rtp-port-range <1024-65534> <1025-65535>",
      "UDP ports for RTP (even) and RTCP (odd)\nFirst port\nLast port\n")
{
	int lo = atoi(argv[0]), hi = atoi(argv[1]);

	if (hi < lo + 3) {
		vty_out(vty, "%% the range must hold at least two port pairs%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	media_vty_cfg.rtp_port_min = (uint16_t)lo;
	media_vty_cfg.rtp_port_max = (uint16_t)hi;
	return CMD_SUCCESS;
}

DEFUN(cfg_media_timeout, cfg_media_timeout_cmd, "rtp-timeout <0-3600000>",
      "Report a channel that received no RTP for this long\nMilliseconds; 0 = never\n")
{
	media_vty_cfg.rtp_timeout_ms = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

/* Sockets kept between calls (media/keep.c); applies at start-up. */
DEFUN(cfg_media_keep, cfg_media_keep_cmd, "rtp-socket-keep rest <1-600000> idle <1-3600000>",
      "Keep a freed channel's RTP/RTCP sockets bound for a later channel\n"
      "How long a kept pair rests before a new channel takes it\nMilliseconds\n"
      "Close a kept pair unused for this long\nMilliseconds\n")
{
	unsigned rest = (unsigned)atoi(argv[0]), idle = (unsigned)atoi(argv[1]);

	if (idle < rest) {
		vty_out(vty, "%% idle (%u ms) must not be shorter than rest (%u ms)%s", idle, rest,
			VTY_NEWLINE);
		return CMD_WARNING;
	}
	media_vty_cfg.keep_off = false;
	media_vty_cfg.keep_rest_ms = rest;
	media_vty_cfg.keep_idle_ms = idle;
	return CMD_SUCCESS;
}

DEFUN(cfg_media_no_keep, cfg_media_no_keep_cmd, "no rtp-socket-keep",
      NO_STR "Close a freed channel's sockets at once (socket and bind per call)\n")
{
	media_vty_cfg.keep_off = true;
	return CMD_SUCCESS;
}

/* AF_XDP for the media of this interface's addresses (core/xdp.h); the
 * socket path stays the fallback. Applies at start-up. */
static const char *const xdp_mode_names[] = {"auto", "native", "generic"};
static const char *const xdp_zc_names[] = {"auto", "on", "off"};

static unsigned name_index(const char *const *names, unsigned n, const char *s)
{
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(names[i], s))
			return i;
	return 0;
}

DEFUN(cfg_media_xdp, cfg_media_xdp_cmd,
      "xdp interface IFNAME queues <1-64> mode (auto|native|generic) zero-copy (auto|on|off)",
      "Kernel bypass: AF_XDP for the media (applies at start-up)\n"
      "The interface whose addresses carry the media\nInterface name\n"
      "Receive queues, one worker each from worker 0 (default 1)\nQueues\n"
      "How the XDP program attaches (default auto: native, else generic)\n"
      "Native if the driver has it, else generic\nDriver (native) mode only\n"
      "Generic (skb) mode\n"
      "Zero-copy sockets (default auto: where the driver has them)\n"
      "Zero-copy if the driver has it, else copy\nZero-copy only\nCopy mode\n")
{
	if (strlen(argv[0]) >= 16) {
		vty_out(vty, "%% interface name too long: %s%s", argv[0], VTY_NEWLINE);
		return CMD_WARNING;
	}
	osmo_talloc_replace_string(tall_vty_ctx, (char **)&media_vty_cfg.xdp_if, argv[0]);
	media_vty_cfg.xdp_queues = argc > 1 ? (unsigned)atoi(argv[1]) : 1;
	media_vty_cfg.xdp_mode = argc > 2 ? name_index(xdp_mode_names, 3, argv[2]) : 0;
	media_vty_cfg.xdp_zc = argc > 3 ? name_index(xdp_zc_names, 3, argv[3]) : 0;
	return CMD_SUCCESS;
}

ALIAS(cfg_media_xdp, cfg_media_xdp_if_cmd, "xdp interface IFNAME",
      "Kernel bypass: AF_XDP for the media (applies at start-up)\n"
      "The interface whose addresses carry the media\nInterface name\n")
ALIAS(cfg_media_xdp, cfg_media_xdp_q_cmd, "xdp interface IFNAME queues <1-64>",
      "Kernel bypass: AF_XDP for the media (applies at start-up)\n"
      "The interface whose addresses carry the media\nInterface name\n"
      "Receive queues, one worker each from worker 0 (default 1)\nQueues\n")
ALIAS(cfg_media_xdp, cfg_media_xdp_qm_cmd,
      "xdp interface IFNAME queues <1-64> mode (auto|native|generic)",
      "Kernel bypass: AF_XDP for the media (applies at start-up)\n"
      "The interface whose addresses carry the media\nInterface name\n"
      "Receive queues, one worker each from worker 0 (default 1)\nQueues\n"
      "How the XDP program attaches (default auto: native, else generic)\n"
      "Native if the driver has it, else generic\nDriver (native) mode only\n"
      "Generic (skb) mode\n")

DEFUN(cfg_media_no_xdp, cfg_media_no_xdp_cmd, "no xdp",
      NO_STR "Media on kernel sockets only (applies at start-up)\n")
{
	talloc_free((char *)media_vty_cfg.xdp_if);
	media_vty_cfg.xdp_if = NULL;
	return CMD_SUCCESS;
}

/* Two commands: the VTY's alternatives "(a|b)" are single words, a word
 * with its argument inside them never matches. */
DEFUN(cfg_media_prio_rt, cfg_media_prio_rt_cmd, "worker-priority realtime <1-99>",
      "Scheduling of the media workers (applies at start-up; needs CAP_SYS_NICE)\n"
      "SCHED_FIFO\nPriority\n")
{
	media_vty_cfg.realtime = (unsigned)atoi(argv[0]);
	media_vty_cfg.nice = 0;
	return CMD_SUCCESS;
}

DEFUN(cfg_media_prio, cfg_media_prio_cmd, "worker-priority nice <-20-19>",
      "Scheduling of the media workers (applies at start-up; needs CAP_SYS_NICE)\n"
      "A nice value (default -10; 0 leaves the workers as they are)\nNice value\n")
{
	media_vty_cfg.realtime = 0;
	media_vty_cfg.nice = atoi(argv[0]);
	return CMD_SUCCESS;
}

static int span_add(struct vty *vty, unsigned id, bool t1, unsigned frames, const char *lip,
		    unsigned lport, const char *rip, unsigned rport)
{
	struct media_span_cfg *sc, *arr;
	char lp[8], rp[8];

	if (span_seen[id / 8] & (1u << (id % 8))) {
		vty_out(vty, "%% span %u is configured already%s", id, VTY_NEWLINE);
		tandem_config_reason("span %u is configured already", id);
		return CMD_WARNING;
	}
	if (lport > 65535 || rport > 65535) {
		vty_out(vty, "%% span %u: port past 65535%s", id, VTY_NEWLINE);
		tandem_config_reason("span %u: port past 65535", id);
		return CMD_WARNING;
	}
	arr = talloc_realloc(tall_vty_ctx, media_vty_spans, struct media_span_cfg,
			     media_vty_n_spans + 1);
	if (!arr)
		return CMD_WARNING;
	media_vty_spans = arr;
	sc = &media_vty_spans[media_vty_n_spans];
	memset(sc, 0, sizeof(*sc));
	sc->id = id;
	sc->t1 = t1;
	sc->frames = frames;
	sc->worker = -1;
	snprintf(lp, sizeof(lp), "%u", lport);
	snprintf(rp, sizeof(rp), "%u", rport);
	if (sockaddr_set(&sc->local, &sc->local_len, lip, lp) < 0 ||
	    sockaddr_set(&sc->remote, &sc->remote_len, rip, rp) < 0) {
		vty_out(vty, "%% invalid address%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	span_seen[id / 8] |= (uint8_t)(1u << (id % 8));
	media_vty_n_spans++;
	return CMD_SUCCESS;
}

DEFUN(cfg_media_span, cfg_media_span_cmd,
      "span <0-1023> (e1|t1) local A.B.C.D <1-65535> remote A.B.C.D <1-65535> frames <1-64>",
      "A TDM span on a CESoPSN pseudowire (RFC 5086)\nSpan number\nE1: 31 timeslots, A-law\n"
      "T1: 24 timeslots, mu-law\nLocal end of the pseudowire\nAddress\nPort\n"
      "Far end (the TDM interworking device)\nAddress\nPort\nFrames per packet\n"
      "Frames (8 = 1 ms)\n")
{
	return span_add(vty, (unsigned)atoi(argv[0]), !strcmp(argv[1], "t1"),
			(unsigned)atoi(argv[6]), argv[2], (unsigned)atoi(argv[3]), argv[4],
			(unsigned)atoi(argv[5]));
}

/* A span with an ISDN D channel on TS16 (E1) or TS24 (T1): the timeslot
 * carries HDLC, the protocol (libpri) runs on the signalling thread. */
DEFUN(cfg_media_span_pri, cfg_media_span_pri_cmd,
      "span <0-1023> (e1|t1) local A.B.C.D <1-65535> remote A.B.C.D <1-65535> frames <1-64> "
      "signalling pri (network|user) switchtype (euroisdn|ni2|dms100|5ess|4ess|qsig)",
      "A TDM span on a CESoPSN pseudowire (RFC 5086)\nSpan number\nE1: 31 timeslots, A-law\n"
      "T1: 24 timeslots, mu-law\nLocal end of the pseudowire\nAddress\nPort\n"
      "Far end (the TDM interworking device)\nAddress\nPort\nFrames per packet\n"
      "Frames (8 = 1 ms)\nSignalling on the span\nISDN primary rate: Q.921/Q.931 on a D "
      "channel (E1 TS16, T1 TS24)\nThe network side (facing a PBX)\nThe user side "
      "(facing a carrier)\nQ.931 variant\nETSI EuroISDN\nNational ISDN 2\nNortel DMS-100\n"
      "AT&T 5ESS\nAT&T 4ESS\nQ.SIG\n")
{
	int rc = span_add(vty, (unsigned)atoi(argv[0]), !strcmp(argv[1], "t1"),
			  (unsigned)atoi(argv[6]), argv[2], (unsigned)atoi(argv[3]), argv[4],
			  (unsigned)atoi(argv[5]));
	struct media_span_cfg *sc;

	if (rc != CMD_SUCCESS)
		return rc;
	sc = &media_vty_spans[media_vty_n_spans - 1];
	sc->dchan_ts = sc->t1 ? 24 : 16;
	snprintf(sc->dchan_role, sizeof(sc->dchan_role), "%s", argv[7]);
	snprintf(sc->dchan_switch, sizeof(sc->dchan_switch), "%s", argv[8]);
	return CMD_SUCCESS;
}

/* Many spans at once: span FIRST+i on local port P+i and remote port Q+i. */
DEFUN(cfg_media_spans, cfg_media_spans_cmd,
      "spans SPANS (e1|t1) local A.B.C.D <1-65535> remote A.B.C.D <1-65535> frames <1-64>",
      "TDM spans on CESoPSN pseudowires (RFC 5086), one port each\n"
      "FIRST-LAST span numbers\nE1: 31 timeslots, A-law\nT1: 24 timeslots, mu-law\n"
      "Local end of the pseudowires\nAddress\nPort of the first span (the next spans: +1 "
      "each)\nFar end\nAddress\nPort of the first span (+1 each)\nFrames per packet\n"
      "Frames (8 = 1 ms)\n")
{
	unsigned a, b;
	int end = 0, rc = CMD_SUCCESS;

	if (sscanf(argv[0], "%u-%u%n", &a, &b, &end) != 2 || argv[0][end] || b < a ||
	    b > MEDIA_VTY_MAX_SPAN) {
		vty_out(vty, "%% spans '%s': give FIRST-LAST within 0-%d%s", argv[0],
			MEDIA_VTY_MAX_SPAN, VTY_NEWLINE);
		tandem_config_reason("spans '%s': give FIRST-LAST within 0-%d", argv[0],
				     MEDIA_VTY_MAX_SPAN);
		return CMD_WARNING;
	}
	for (unsigned i = a; i <= b && rc == CMD_SUCCESS; i++)
		rc = span_add(vty, i, !strcmp(argv[1], "t1"), (unsigned)atoi(argv[6]), argv[2],
			      (unsigned)atoi(argv[3]) + (i - a), argv[4],
			      (unsigned)atoi(argv[5]) + (i - a));
	return rc;
}

DEFUN(cfg_media_ec, cfg_media_ec_cmd, "echo-canceller (tandem|speex|spandsp|off) tail <32-128>",
      "Line echo canceller of TDM channels\ntandem's own (NLMS, see docs/echo-canceller.md)\n"
      "speexdsp MDF\nspandsp\nNone\nTail length\nMilliseconds\n")
{
	static char name[16];

	snprintf(name, sizeof(name), "%s", argv[0]);
	media_vty_ec_name = strcmp(name, "off") ? name : NULL;
	media_vty_ec_tail_ms = (unsigned)atoi(argv[1]);
	return CMD_SUCCESS;
}

static int config_write_media(struct vty *vty)
{
	vty_out(vty, "media%s", VTY_NEWLINE);
	vty_out(vty, " workers %u%s", media_vty_cfg.workers, VTY_NEWLINE);
	vty_out(vty, " channels-per-worker %u%s", media_vty_cfg.chans_per_worker, VTY_NEWLINE);
	if (media_vty_cfg.rtp_addr && media_vty_cfg.rtp_addr_count > 1)
		vty_out(vty, " rtp-address %s count %u%s", media_vty_cfg.rtp_addr,
			media_vty_cfg.rtp_addr_count, VTY_NEWLINE);
	else if (media_vty_cfg.rtp_addr)
		vty_out(vty, " rtp-address %s%s", media_vty_cfg.rtp_addr, VTY_NEWLINE);
	vty_out(vty, " rtp-port-range %u %u%s", media_vty_cfg.rtp_port_min,
		media_vty_cfg.rtp_port_max, VTY_NEWLINE);
	vty_out(vty, " rtp-timeout %u%s", media_vty_cfg.rtp_timeout_ms, VTY_NEWLINE);
	if (media_vty_cfg.keep_off)
		vty_out(vty, " no rtp-socket-keep%s", VTY_NEWLINE);
	else
		vty_out(vty, " rtp-socket-keep rest %u idle %u%s",
			media_vty_cfg.keep_rest_ms ? media_vty_cfg.keep_rest_ms
						   : MEDIA_KEEP_REST_MS,
			media_vty_cfg.keep_idle_ms ? media_vty_cfg.keep_idle_ms
						   : MEDIA_KEEP_IDLE_MS,
			VTY_NEWLINE);
	if (media_vty_cfg.realtime)
		vty_out(vty, " worker-priority realtime %u%s", media_vty_cfg.realtime, VTY_NEWLINE);
	else
		vty_out(vty, " worker-priority nice %d%s", media_vty_cfg.nice, VTY_NEWLINE);
	if (media_vty_cfg.xdp_if)
		vty_out(vty, " xdp interface %s queues %u mode %s zero-copy %s%s",
			media_vty_cfg.xdp_if, media_vty_cfg.xdp_queues,
			xdp_mode_names[media_vty_cfg.xdp_mode % 3],
			xdp_zc_names[media_vty_cfg.xdp_zc % 3], VTY_NEWLINE);
	vty_out(vty, " echo-canceller %s tail %u%s", media_vty_ec_name ? media_vty_ec_name : "off",
		media_vty_ec_tail_ms, VTY_NEWLINE);
	for (unsigned i = 0; i < media_vty_n_spans; i++) {
		const struct media_span_cfg *sc = &media_vty_spans[i];
		char l[INET_ADDRSTRLEN], r[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &((const struct sockaddr_in *)&sc->local)->sin_addr, l,
			  sizeof(l));
		inet_ntop(AF_INET, &((const struct sockaddr_in *)&sc->remote)->sin_addr, r,
			  sizeof(r));
		vty_out(vty, " span %u %s local %s %u remote %s %u frames %u", sc->id,
			sc->t1 ? "t1" : "e1", l,
			ntohs(((const struct sockaddr_in *)&sc->local)->sin_port), r,
			ntohs(((const struct sockaddr_in *)&sc->remote)->sin_port), sc->frames);
		if (sc->dchan_ts)
			vty_out(vty, " signalling pri %s switchtype %s", sc->dchan_role,
				sc->dchan_switch);
		vty_out(vty, "%s", VTY_NEWLINE);
	}
	return CMD_SUCCESS;
}

/* Maintenance: connect a timeslot to an RTP endpoint without a call (line
 * tests, the demo, the media integration test). */
DEFUN(media_test_call, media_test_call_cmd,
      "media test-call span <0-1023> timeslot <1-31> remote A.B.C.D <1-65535> codec "
      "(pcma|pcmu|g722)",
      "Media plane\nConnect a timeslot to an RTP endpoint\nSpan\nSpan number\nTimeslot\n"
      "Timeslot number\nRTP endpoint\nAddress\nPort\nCodec\nG.711 A-law\nG.711 mu-law\n"
      "G.722\n")
{
	struct media_chan_cfg cc = {.mode = MEDIA_MODE_TDM};
	struct sockaddr_storage local;
	uint32_t id;
	int w, rc;

	if (!vty_engine) {
		vty_out(vty, "%% media plane not running%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	cc.span = (unsigned)atoi(argv[0]);
	cc.timeslot = (unsigned)atoi(argv[1]);
	w = media_span_worker(vty_engine, cc.span);
	if (w < 0) {
		vty_out(vty, "%% no span %u%s", cc.span, VTY_NEWLINE);
		return CMD_WARNING;
	}
	if (sockaddr_set(&cc.remote, &cc.remote_len, argv[2], argv[3]) < 0)
		return CMD_WARNING;
	cc.codec = !strcmp(argv[4], "pcmu")   ? MEDIA_CODEC_PCMU
		   : !strcmp(argv[4], "g722") ? MEDIA_CODEC_G722
					      : MEDIA_CODEC_PCMA;
	cc.pt = cc.codec == MEDIA_CODEC_PCMU ? 0 : cc.codec == MEDIA_CODEC_G722 ? 9 : 8;
	snprintf(cc.ec, sizeof(cc.ec), "%s", media_vty_ec_name ? media_vty_ec_name : "");
	cc.ec_tail_ms = media_vty_ec_tail_ms;
	for (int i = 5; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "telephone-event")) {
			cc.dtmf_pt = (uint8_t)atoi(argv[i + 1]);
		} else if (!strcmp(argv[i], "echo-canceller")) {
			snprintf(cc.ec, sizeof(cc.ec), "%s",
				 strcmp(argv[i + 1], "off") ? argv[i + 1] : "");
			if (cc.ec[0] && !ec_find(cc.ec)) {
				vty_out(vty, "%% no echo canceller '%s'%s", cc.ec, VTY_NEWLINE);
				return CMD_WARNING;
			}
		} else {
			vty_out(vty, "%% unknown option %s%s", argv[i], VTY_NEWLINE);
			return CMD_WARNING;
		}
	}
	cc.ptime = 20;
	rc = media_chan_alloc(vty_engine, w, &id, &local);
	if (rc == 0)
		rc = media_chan_modify(vty_engine, id, &cc);
	if (rc < 0) {
		vty_out(vty, "%% cannot set up the channel: %s%s", strerror(-rc), VTY_NEWLINE);
		return CMD_WARNING;
	}
	vty_out(vty, "channel %08x rtp-port %u%s", id,
		ntohs(((struct sockaddr_in *)&local)->sin_port), VTY_NEWLINE);
	return CMD_SUCCESS;
}

ALIAS(media_test_call, media_test_call_opts_cmd,
      "media test-call span <0-1023> timeslot <1-31> remote A.B.C.D <1-65535> codec "
      "(pcma|pcmu|g722) "
      ".OPTIONS",
      "Media plane\nConnect a timeslot to an RTP endpoint\nSpan\nSpan number\nTimeslot\n"
      "Timeslot number\nRTP endpoint\nAddress\nPort\nCodec\nG.711 A-law\nG.711 mu-law\n"
      "G.722\ntelephone-event PT (RFC 4733 DTMF) | echo-canceller NAME|off\n")

DEFUN(media_test_tone, media_test_tone_cmd,
      "media test-call tone HEXID (us|itu) (dial|ringback|busy|congestion|off)",
      "Media plane\nTest channels\nPlay a call-progress tone toward TDM\nChannel id as shown\n"
      "North American plan (T1.401)\nITU plan (E.180)\nDial tone\nRingback\nBusy\n"
      "Congestion\nStop\n")
{
	uint32_t id = (uint32_t)strtoul(argv[0], NULL, 16);
	int rc;

	if (!vty_engine)
		return CMD_WARNING;
	rc = media_chan_tone(vty_engine, id, argv[1], strcmp(argv[2], "off") ? argv[2] : NULL);
	if (rc < 0) {
		vty_out(vty, "%% %s%s", strerror(-rc), VTY_NEWLINE);
		return CMD_WARNING;
	}
	return CMD_SUCCESS;
}

DEFUN(media_test_cot, media_test_cot_cmd, "media test-call cot HEXID (check|loop|off)",
      "Media plane\nTest channels\nContinuity check (Q.724)\nChannel id as shown\n"
      "Send the 2000 Hz check tone and wait for it back\nLoop the timeslot back\nStop\n")
{
	uint32_t id = (uint32_t)strtoul(argv[0], NULL, 16);
	enum media_cot m = !strcmp(argv[1], "check")  ? MEDIA_COT_CHECK
			   : !strcmp(argv[1], "loop") ? MEDIA_COT_LOOP
						      : MEDIA_COT_OFF;

	if (!vty_engine || media_chan_cot(vty_engine, id, m) < 0)
		return CMD_WARNING;
	return CMD_SUCCESS;
}

DEFUN(media_test_release, media_test_release_cmd, "media test-call release HEXID",
      "Media plane\nTest channels\nRelease one\nChannel id as shown\n")
{
	uint32_t id = (uint32_t)strtoul(argv[0], NULL, 16);

	if (!vty_engine || media_chan_free(vty_engine, id) < 0) {
		vty_out(vty, "%% no such channel%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	return CMD_SUCCESS;
}

DEFUN(show_media, show_media_cmd, "show media",
      SHOW_STR "Media plane: workers, channels, packets\n")
{
	const struct media_cfg *c;

	if (!vty_engine) {
		vty_out(vty, "%% media plane not running%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	c = media_engine_cfg(vty_engine);
	vty_out(vty, "RTP %s", c->rtp_addr);
	if (c->rtp_addr_count > 1)
		vty_out(vty, " and the next %u addresses", c->rtp_addr_count - 1);
	vty_out(vty, " ports %u-%u, timeout %u ms, %u channels per worker%s", c->rtp_port_min,
		c->rtp_port_max, c->rtp_timeout_ms, c->chans_per_worker, VTY_NEWLINE);
	for (unsigned i = 0; i < media_engine_workers(vty_engine); i++) {
		struct media_worker_stats s;

		media_engine_worker_stats(vty_engine, i, &s);
		vty_out(vty,
			"worker %u: channels %u, rx %" PRIu64 " tx %" PRIu64 " bad %" PRIu64
			" timeouts %" PRIu64 " events dropped %" PRIu64 " refused %" PRIu64 "%s",
			i, s.chans, s.rx_pkts, s.tx_pkts, s.rx_bad, s.timeouts, s.ev_dropped,
			s.rx_refused, VTY_NEWLINE);
		vty_out(vty,
			"worker %u: %s; kernel drops %" PRIu64 " sends refused %" PRIu64
			" tick late max %u ms; overloaded %" PRIu64 " times; channel frees that"
			" waited for room %" PRIu64 " (%u now)%s",
			i, s.overloaded ? "OVERLOADED" : "keeping up", s.kernel_drops,
			s.send_refused, s.late_max_ms, s.overloads, s.frees_deferred,
			s.frees_waiting, VTY_NEWLINE);
		vty_out(vty, "worker %u: path %s%s", i, s.path ? s.path : "sockets", VTY_NEWLINE);
		vty_out(vty,
			"worker %u: socket pairs kept %u, taken over %" PRIu64
			" (set-ups without socket+bind), closed %" PRIu64
			", datagrams to kept ones %" PRIu64 "%s",
			i, s.keep_now, s.keep_reused, s.keep_closed, s.keep_rx, VTY_NEWLINE);
		if (s.xdp)
			vty_out(vty,
				"worker %u: xsk rx %" PRIu64 " tx %" PRIu64
				" tx-via-kernel %" PRIu64 " drops %" PRIu64 " bad %" PRIu64
				" no-frame %" PRIu64 "%s",
				i, s.xsk_rx, s.xsk_tx, s.xsk_kernel_tx, s.xsk_drops, s.xsk_bad,
				s.xsk_no_room, VTY_NEWLINE);
	}
	for (unsigned i = 0; i < media_vty_n_spans; i++) {
		struct media_span_stats ss;

		if (media_span_stats(vty_engine, media_vty_spans[i].id, &ss) < 0)
			continue;
		vty_out(vty,
			"span %u (%s, worker %d): rx %" PRIu64 " tx %" PRIu64 " lost %" PRIu64
			" bad %" PRIu64 " L-bit %" PRIu64 "%s",
			media_vty_spans[i].id, media_vty_spans[i].t1 ? "T1" : "E1",
			media_span_worker(vty_engine, media_vty_spans[i].id), ss.rx_pkts,
			ss.tx_pkts, ss.rx_lost, ss.rx_bad, ss.rx_l_bit, VTY_NEWLINE);
	}
	return CMD_SUCCESS;
}

void media_vty_init(void)
{
	install_element(CONFIG_NODE, &cfg_media_cmd);
	install_node(&media_node, config_write_media);
	install_element(TANDEM_MEDIA_NODE, &cfg_media_workers_cmd);
	install_element(TANDEM_MEDIA_NODE, &cfg_media_chans_cmd);
	install_element(TANDEM_MEDIA_NODE, &cfg_media_addr_cmd);
	install_element(TANDEM_MEDIA_NODE, &cfg_media_addr_count_cmd);
	install_element(TANDEM_MEDIA_NODE, &cfg_media_range_cmd);
	install_element(TANDEM_MEDIA_NODE, &cfg_media_timeout_cmd);
	install_element(TANDEM_MEDIA_NODE, &cfg_media_keep_cmd);
	install_element(TANDEM_MEDIA_NODE, &cfg_media_no_keep_cmd);
	install_element(TANDEM_MEDIA_NODE, &cfg_media_span_cmd);
	install_element(TANDEM_MEDIA_NODE, &cfg_media_span_pri_cmd);
	install_element(TANDEM_MEDIA_NODE, &cfg_media_prio_cmd);
	install_element(TANDEM_MEDIA_NODE, &cfg_media_spans_cmd);
	install_element(TANDEM_MEDIA_NODE, &cfg_media_prio_rt_cmd);
	install_element(TANDEM_MEDIA_NODE, &cfg_media_xdp_cmd);
	install_element(TANDEM_MEDIA_NODE, &cfg_media_xdp_if_cmd);
	install_element(TANDEM_MEDIA_NODE, &cfg_media_xdp_q_cmd);
	install_element(TANDEM_MEDIA_NODE, &cfg_media_xdp_qm_cmd);
	install_element(TANDEM_MEDIA_NODE, &cfg_media_no_xdp_cmd);
	install_element_ve(&show_media_cmd);
	install_element(ENABLE_NODE, &media_test_call_cmd);
	install_element(ENABLE_NODE, &media_test_call_opts_cmd);
	install_element(TANDEM_MEDIA_NODE, &cfg_media_ec_cmd);
	install_element(ENABLE_NODE, &media_test_release_cmd);
	install_element(ENABLE_NODE, &media_test_tone_cmd);
	install_element(ENABLE_NODE, &media_test_cot_cmd);
}
