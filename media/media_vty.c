/* The "media" configuration node and "show media". */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdlib.h>

#include <osmocom/core/talloc.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "core/vty.h"
#include "media/media.h"

struct media_cfg media_vty_cfg = {
	.workers = 0,
	.chans_per_worker = 1024,
	.rtp_addr = NULL,
	.rtp_port_min = 16384,
	.rtp_port_max = 32767,
	.rtp_timeout_ms = 30000,
};

static struct media_engine *vty_engine;

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
	return CMD_SUCCESS;
}

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

static int config_write_media(struct vty *vty)
{
	vty_out(vty, "media%s", VTY_NEWLINE);
	vty_out(vty, " workers %u%s", media_vty_cfg.workers, VTY_NEWLINE);
	vty_out(vty, " channels-per-worker %u%s", media_vty_cfg.chans_per_worker, VTY_NEWLINE);
	if (media_vty_cfg.rtp_addr)
		vty_out(vty, " rtp-address %s%s", media_vty_cfg.rtp_addr, VTY_NEWLINE);
	vty_out(vty, " rtp-port-range %u %u%s", media_vty_cfg.rtp_port_min,
		media_vty_cfg.rtp_port_max, VTY_NEWLINE);
	vty_out(vty, " rtp-timeout %u%s", media_vty_cfg.rtp_timeout_ms, VTY_NEWLINE);
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
	vty_out(vty, "RTP %s ports %u-%u, timeout %u ms, %u channels per worker%s", c->rtp_addr,
		c->rtp_port_min, c->rtp_port_max, c->rtp_timeout_ms, c->chans_per_worker,
		VTY_NEWLINE);
	for (unsigned i = 0; i < media_engine_workers(vty_engine); i++) {
		struct media_worker_stats s;

		media_engine_worker_stats(vty_engine, i, &s);
		vty_out(vty,
			"worker %u: channels %u, rx %" PRIu64 " tx %" PRIu64 " bad %" PRIu64
			" timeouts %" PRIu64 " events dropped %" PRIu64 "%s",
			i, s.chans, s.rx_pkts, s.tx_pkts, s.rx_bad, s.timeouts, s.ev_dropped,
			VTY_NEWLINE);
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
	install_element(TANDEM_MEDIA_NODE, &cfg_media_range_cmd);
	install_element(TANDEM_MEDIA_NODE, &cfg_media_timeout_cmd);
	install_element_ve(&show_media_cmd);
}
