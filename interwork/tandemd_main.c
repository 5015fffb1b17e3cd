/* tandemd: the gateway daemon. Wires the layers to one io_uring loop and
 * runs it until SIGTERM/SIGINT. */
#include <errno.h>
#include <arpa/inet.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/stats.h>
#include <osmocom/core/talloc.h>
#include <osmocom/vty/logging.h>
#include <osmocom/vty/misc.h>
#include <osmocom/vty/stats.h>
#include <osmocom/vty/telnet_interface.h>
#include <osmocom/vty/vty.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/vty.h"
#include "default_cfg.h"
#include "interwork/iw_call.h"
#include "interwork/iw_cfg_check.h"
#include "interwork/iw_drain.h"
#include "interwork/iw_mem.h"
#include "interwork/iw_ops_vty.h"
#include "interwork/iw_leg_pri.h"
#include "interwork/iw_pri.h"
#include "interwork/iw_route_vty.h"
#include "interwork/iw_vty.h"
#include "media/media.h"
#include "sigtran/isup_proto.h"
#include "sigtran/isup_vty.h"
#include "sigtran/m3ua_vty.h"
#include "sip/sip_sec.h"
#include "sip/sip_trunk.h"
#include "sip/sip_resolve.h"
#include "sip/sip_ua.h"

#define TANDEM_VTY_PORT 4270

static struct vty_app_info vty_info = {
	.name = "tandem",
	.version = TANDEM_VERSION,
	.copyright = "tandem carrier media gateway. License GPLv2+.\r\n",
};

/* Loop counters exported as a rate_ctr group ("show stats", statsd...). */
enum {
	LOOP_CTR_TURNS,
	LOOP_CTR_SQES,
	LOOP_CTR_CQES,
	LOOP_CTR_UDP_RX,
	LOOP_CTR_UDP_TX,
	LOOP_CTR_UDP_ENOBUFS,
	LOOP_CTR_TIMERS,
};

static const struct rate_ctr_desc loop_ctr_desc[] = {
	[LOOP_CTR_TURNS] = {"loop:turns", "Loop iterations"},
	[LOOP_CTR_SQES] = {"loop:submissions", "io_uring requests submitted"},
	[LOOP_CTR_CQES] = {"loop:completions", "io_uring completions handled"},
	[LOOP_CTR_UDP_RX] = {"udp:rx", "UDP datagrams received"},
	[LOOP_CTR_UDP_TX] = {"udp:tx", "UDP datagrams sent"},
	[LOOP_CTR_UDP_ENOBUFS] = {"udp:enobufs", "UDP receives ended by an empty buffer ring"},
	[LOOP_CTR_TIMERS] = {"timers:fired", "Loop timers fired"},
};

static const struct rate_ctr_group_desc loop_ctrg_desc = {
	.group_name_prefix = "loop",
	.group_description = "io_uring event loop",
	.class_id = OSMO_STATS_CLASS_GLOBAL,
	.num_ctr = ARRAY_SIZE(loop_ctr_desc),
	.ctr_desc = loop_ctr_desc,
};

struct daemon {
	struct loop *loop;
	struct media_engine *media;
	struct sip_ua *ua;
	struct sip_resolver *res;
	struct iw *iw;
	struct rate_ctr_group *ctrg;
	struct loop_timer ctr_timer;
	struct loop_stats last;
};

static void ctr_add(struct rate_ctr_group *g, int idx, uint64_t now, uint64_t before)
{
	if (now > before)
		rate_ctr_add(rate_ctr_group_get_ctr(g, idx), (int)(now - before));
}

static void ctr_tick(void *priv)
{
	struct daemon *d = priv;
	const struct loop_stats *s = loop_get_stats(d->loop);

	ctr_add(d->ctrg, LOOP_CTR_TURNS, s->turns, d->last.turns);
	ctr_add(d->ctrg, LOOP_CTR_SQES, s->sqes, d->last.sqes);
	ctr_add(d->ctrg, LOOP_CTR_CQES, s->cqes, d->last.cqes);
	ctr_add(d->ctrg, LOOP_CTR_UDP_RX, s->udp_rx, d->last.udp_rx);
	ctr_add(d->ctrg, LOOP_CTR_UDP_TX, s->udp_tx, d->last.udp_tx);
	ctr_add(d->ctrg, LOOP_CTR_UDP_ENOBUFS, s->udp_enobufs, d->last.udp_enobufs);
	ctr_add(d->ctrg, LOOP_CTR_TIMERS, s->timers_fired, d->last.timers_fired);
	d->last = *s;
	loop_timer_schedule(d->loop, &d->ctr_timer, 1000000);
}

static void on_media_event(void *priv, const struct media_event *ev)
{
	struct daemon *d = priv;

	if (d->iw)
		iw_media_event(d->iw, ev);
	if (ev->type == MEDIA_EV_DTMF)
		LOGP(DMEDIA, LOGL_INFO, "channel %08x: DTMF '%c' %s (%u ms)\n", ev->chan, ev->digit,
		     ev->from_rtp ? "from RTP, played to TDM" : "from TDM, sent as RFC 4733",
		     ev->duration / 8);
	if (ev->type == MEDIA_EV_ANS)
		LOGP(DMEDIA, LOGL_NOTICE,
		     "channel %08x: 2100 Hz answer tone with phase reversals: echo canceller off\n",
		     ev->chan);
	if (ev->type == MEDIA_EV_COT)
		LOGP(DMEDIA, LOGL_NOTICE, "channel %08x: continuity check passed (tone returned)\n",
		     ev->chan);
	if (ev->type == MEDIA_EV_RTP_TIMEOUT)
		LOGP(DMEDIA, LOGL_NOTICE, "channel %08x: no RTP (rx %" PRIu64 " packets so far)\n",
		     ev->chan, ev->stats.rx_pkts);
}

static void on_sip_incoming(void *priv, struct sip_leg *leg, struct sip_trunk *trunk,
			    const struct sip_msg *invite)
{
	struct daemon *d = priv;

	if (!d->iw) {
		sip_leg_respond(leg, 503, NULL);
		return;
	}
	if (iw_drain_refuse_invite(leg))
		return;
	iw_sip_incoming(d->iw, leg, trunk, invite);
}

static unsigned on_sip_options(void *priv, char *hdrs, size_t len)
{
	(void)priv;
	return iw_drain_options(hdrs, len);
}

static const struct sip_ua_ops sip_ops = {.incoming = on_sip_incoming, .options = on_sip_options};

static int sip_start(struct daemon *d, void *ctx)
{
	struct sip_listen_cfg *l;

	d->ua = sip_ua_alloc(ctx, d->loop, &(struct sip_ua_cfg){.user_agent = sip_sec_user_agent()},
			     &sip_ops, d);
	if (!d->ua)
		return -ENOMEM;
	llist_for_each_entry(l, &sip_cfg.listeners, list)
	{
		struct sockaddr_storage ss = {0};
		struct sip_tls_cfg tls = {.cert_file = l->cert, .key_file = l->key};
		socklen_t len;

		if (strchr(l->addr, ':')) {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

			a->sin6_family = AF_INET6;
			a->sin6_port = htons(l->port);
			len = inet_pton(AF_INET6, l->addr, &a->sin6_addr) == 1 ? sizeof(*a) : 0;
		} else {
			struct sockaddr_in *a = (struct sockaddr_in *)&ss;

			a->sin_family = AF_INET;
			a->sin_port = htons(l->port);
			len = inet_pton(AF_INET, l->addr, &a->sin_addr) == 1 ? sizeof(*a) : 0;
		}
		if (!len) { /* never the wildcard instead of what was written */
			fprintf(stderr, "tandemd: SIP listen address %s is not an address\n",
				l->addr);
			return -EINVAL;
		}
		if (sip_ua_listen(d->ua, l->proto, (struct sockaddr *)&ss, len,
				  l->proto == SIP_PROTO_TLS ? &tls : NULL) < 0) {
			fprintf(stderr, "tandemd: cannot listen for SIP on %s %s:%u\n",
				sip_proto_name(l->proto), l->addr, l->port);
			return -EADDRNOTAVAIL;
		}
	}
	{
		struct sip_trunk *t;
		unsigned n = 0;

		/* TLS toward trunks: each trunk's connections use its own
		 * settings (sip_ua_tls.c); each is loaded here once to stop
		 * start-up on a bad file, and the last is the default for
		 * connections to other addresses (a dialog's remote target) */
		llist_for_each_entry(t, &sip_cfg.trunks, list)
		{
			struct sip_tls_cfg tls;

			if (!sip_trunk_tls_cfg(t, &tls))
				continue;
			n++;
			if (sip_transport_set_client_tls(sip_ua_transport(d->ua), &tls) < 0) {
				LOGP(DSIP, LOGL_ERROR, "trunk %s: TLS settings unusable\n",
				     t->name);
				return -EINVAL;
			}
		}
	}
	/* RFC 3263: trunks by name resolve on the loop before the first request */
	d->res = sip_resolver_start(ctx, d->loop);
	if (!d->res)
		return -EINVAL;
	sip_ua_start_keepalives(d->ua);
	sip_ua_start_registrations(d->ua);
	return 0;
}

static void on_hup(void *priv)
{
	char reply[1024];

	(void)priv;
	log_targets_reopen();
	iw_ops_reload(reply, sizeof(reply));
}

static void usage(FILE *f)
{
	fprintf(f, "usage: tandemd [-c FILE] [-t] [-V] [-h]\n"
		   "  -c, --config FILE   configuration file (default: built-in loopback "
		   "configuration)\n"
		   "  -t, --check         read the configuration, report errors, exit\n"
		   "  -V, --version       print the version\n"
		   "  -h, --help          this text\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check", no_argument, NULL, 't'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *cfg_path = NULL;
	bool check_only = false;
	struct daemon d = {0};
	struct loop_cfg lc;
	char err[512];
	void *ctx;
	int c, rc;

	iw_mem_early();
	while ((c = getopt_long(argc, argv, "c:tVh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cfg_path = optarg;
			break;
		case 't':
			check_only = true;
			break;
		case 'V':
			printf("tandemd %s (%s)\n", TANDEM_VERSION, TANDEM_GIT_REV);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}

	ctx = talloc_named_const(NULL, 0, "tandemd");
	tandem_log_init(ctx);
	vty_info.tall_ctx = ctx;
	vty_init(&vty_info);
	logging_vty_add_cmds();
	osmo_stats_vty_add_cmds();
	osmo_talloc_vty_add_cmds();
	iw_vty_install_all();
	if (tandem_vty_harden() < 0)
		fprintf(stderr,
			"tandemd: libosmovty's 'write file' not found: cannot restrict it\n");
	iw_mem_vty_init();

	if (cfg_path)
		rc = tandem_config_read(cfg_path, err, sizeof(err));
	else
		rc = tandem_config_read_buf("(built-in etc/tandem.cfg)", tandem_default_cfg,
					    strlen(tandem_default_cfg), err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "tandemd: configuration error: %s\n", err);
		return 1;
	}
	{
		struct iw_cfg_check_res cr;

		iw_cfg_check(stderr, &cr);
		/* routes to what is not configured are tolerated at start-up
		 * (a trunk may be added at run time); -t is strict */
		if (cr.errors || (check_only && cr.warnings)) {
			fprintf(stderr, "tandemd: configuration error: %u problem(s) above\n",
				cr.errors + (check_only ? cr.warnings : 0));
			return 1;
		}
		if (cr.warnings)
			fprintf(stderr,
				"tandemd: %u route target(s) not configured (above): those calls "
				"fail with cause 34 until they are\n",
				cr.warnings);
	}
	if (cfg_path)
		host_config_set(cfg_path); /* for "write file" */
	if (check_only) {
		printf("tandemd: %s: configuration OK\n", cfg_path ? cfg_path : "built-in");
		return 0;
	}

	rc = loop_raise_fd_limit();
	if (rc < 0)
		LOGP(DMAIN, LOGL_ERROR, "cannot raise the descriptor limit: %s\n", strerror(-rc));
	memset(&lc, 0, sizeof(lc));
	lc.entries = tandem_loop_cfg.entries;
	lc.udp_bufs = tandem_loop_cfg.udp_bufs;
	lc.udp_buf_size = tandem_loop_cfg.udp_buf_size;
	lc.tcp_bufs = tandem_loop_cfg.tcp_bufs;
	lc.tcp_buf_size = tandem_loop_cfg.tcp_buf_size;
	lc.send_slots = tandem_loop_cfg.send_slots;
	lc.drive_osmocom = true;
	d.loop = loop_alloc(ctx, &lc);
	if (!d.loop) {
		fprintf(stderr, "tandemd: cannot set up io_uring (see the log above)\n");
		return 1;
	}
	tandem_vty_set_loop(d.loop);
	rc = loop_signals_start(d.loop, on_hup, &d);
	if (rc < 0) {
		fprintf(stderr, "tandemd: signals: %s\n", strerror(-rc));
		return 1;
	}
	d.ctrg = rate_ctr_group_alloc(ctx, &loop_ctrg_desc, 0);
	loop_timer_init(&d.ctr_timer, ctr_tick, &d);
	loop_timer_schedule(d.loop, &d.ctr_timer, 1000000);

	d.media = media_engine_alloc(ctx, d.loop, &media_vty_cfg, on_media_event, &d);
	for (unsigned i = 0; d.media && i < media_vty_n_spans; i++)
		media_engine_add_span(d.media, &media_vty_spans[i]);
	if (!d.media || media_engine_start(d.media) < 0) {
		fprintf(stderr, "tandemd: cannot start the media workers\n");
		return 1;
	}
	media_vty_set_engine(d.media);
	if (iw_pri_start(ctx, d.loop, d.media) < 0)
		return 1;
	if (sip_start(&d, ctx) < 0)
		return 1;
	d.iw = iw_alloc(ctx, &iw_vty_cfg, d.loop, d.media, d.ua, iw_vty_route, &d);
	if (!d.iw) {
		fprintf(stderr, "tandemd: cannot start the interworking layer (ENUM servers?)\n");
		return 1;
	}
	iw_vty_set_iw(d.iw);
	iw_leg_pri_set_iw(d.iw);
	iw_mem_start(d.loop, d.iw, ctx);
	if (isup_vty_start(ctx, d.loop, iw_drain_isup_ops(iw_isup_ops()), d.iw) < 0)
		return 1;
	if (iw_ops_start(ctx, d.loop, d.iw, d.ua, d.media) < 0)
		return 1;

	rc = telnet_init_default(ctx, NULL, TANDEM_VTY_PORT);
	if (rc < 0) {
		fprintf(stderr, "tandemd: cannot open the VTY on %s:%d: %s\n", vty_get_bind_addr(),
			vty_get_bind_port(TANDEM_VTY_PORT), strerror(-rc));
		return 1;
	}
	if (strncmp(vty_get_bind_addr(), "127.", 4) && strcmp(vty_get_bind_addr(), "::1"))
		LOGP(DMAIN, LOGL_NOTICE,
		     "the VTY listens on %s, beyond this host: set 'password' and 'enable "
		     "password', and 'login' under 'line vty'\n",
		     vty_get_bind_addr());
	LOGP(DMAIN, LOGL_NOTICE, "tandemd %s started, VTY on %s:%d\n", TANDEM_VERSION,
	     vty_get_bind_addr(), vty_get_bind_port(TANDEM_VTY_PORT));

	rc = loop_run(d.loop);

	/* A stop is graceful: every call is released on both sides, our
	 * registrations at trunks are removed (REGISTER Expires 0), and the
	 * loop turns on (at most 2 s) until the SIP dialogs are over, the
	 * un-REGISTERs answered and the messages out. */
	bool calls = rc == 0 && iw_release_all(d.iw, ISUP_CAUSE_TEMPORARY_FAILURE);
	unsigned unreg = rc == 0 ? sip_ua_unregister_all(d.ua) : 0;

	if (calls || unreg) {
		struct timespec t0, t;

		if (calls)
			LOGP(DMAIN, LOGL_NOTICE, "releasing the calls before stopping\n");
		clock_gettime(CLOCK_MONOTONIC, &t0);
		do {
			if (loop_run_once(d.loop) < 0)
				break;
			clock_gettime(CLOCK_MONOTONIC, &t);
		} while ((iw_active_calls(d.iw) || sip_ua_unregister_pending(d.ua)) &&
			 (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < 2000);
		if (sip_ua_unregister_pending(d.ua))
			LOGP(DSIP, LOGL_NOTICE, "stopping with %u un-REGISTER(s) unanswered\n",
			     sip_ua_unregister_pending(d.ua));
		/* one more turn so that what the last events queued goes out */
		loop_run_once(d.loop);
	}

	media_vty_set_engine(NULL);
	iw_vty_set_iw(NULL);
	iw_mem_stop();
	iw_free(d.iw); /* releases the calls (REL, BYE) while the links still run */
	iw_ops_stop(); /* after the last CDR: fsync */
	isup_vty_stop();
	sip_ua_free(d.ua);
	sip_resolver_free(d.res);
	media_engine_stop(d.media);
	LOGP(DMAIN, LOGL_NOTICE, "tandemd stopped\n");
	telnet_exit();
	loop_free(d.loop);
	return rc < 0 ? 1 : 0;
}
