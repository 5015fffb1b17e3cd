/* The SIP edge's security settings in the "sip" and trunk nodes, and
 * "show sip security". */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <osmocom/core/talloc.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "core/loop.h"
#include "core/vty.h"
#include "sip/sip_acl.h"
#include "sip/sip_pike.h"
#include "sip/sip_sec.h"
#include "sip/sip_trunk.h"

#define SIP_SEC_MAX_ALLOW 256

struct sip_sec_cfg sip_sec_cfg = {
	.flood_limit = true,
	.flood_rate = 20,
	.flood_burst = 40,
	.flood_sources = 4096,
	.reply_rate = 200,
	.max_conns = 1024,
	.max_conns_per_source = 32,
	.max_msg = 65535,
	.header_timeout_s = 10,
	.idle_timeout_s = 600,
};

static struct sip_sec *vty_sec;
static struct sip_transport *vty_tr;
static struct loop *vty_loop;

void sip_sec_vty_set(struct sip_sec *s, struct sip_transport *tr, struct loop *l)
{
	vty_sec = s;
	vty_tr = tr;
	vty_loop = l;
}

DEFUN(cfg_sip_unknown, cfg_sip_unknown_cmd, "unknown-sources (reject|drop)",
      "Requests from sources that are no trunk (neither a remote nor an allow entry)\n"
      "Answer 403 Forbidden (default)\nNo answer at all\n")
{
	sip_sec_cfg.unknown_drop = !strcmp(argv[0], "drop");
	return CMD_SUCCESS;
}

DEFUN(cfg_sip_flood, cfg_sip_flood_cmd,
      "flood-limit rate <1-100000> burst <1-100000> sources <64-1048576>",
      "Per-source request rate limit for sources that are no trunk (over it: dropped)\n"
      "Sustained rate\nRequests per second\nBurst\nRequests at once\nSources remembered "
      "(a table of this size, never more)\nNumber\n")
{
	sip_sec_cfg.flood_limit = true;
	sip_sec_cfg.flood_rate = (unsigned)atoi(argv[0]);
	sip_sec_cfg.flood_burst = (unsigned)atoi(argv[1]);
	sip_sec_cfg.flood_sources = (unsigned)atoi(argv[2]);
	return CMD_SUCCESS;
}

DEFUN(cfg_sip_flood_trunks, cfg_sip_flood_trunks_cmd,
      "flood-limit trunks rate <1-100000> burst <1-100000>",
      "Per-source request rate limit\nAlso for trunk sources: out-of-dialog requests past it "
      "get 503 with Retry-After (default off)\nSustained rate\nRequests per second\nBurst\n"
      "Requests at once\n")
{
	sip_sec_cfg.trunk_limit = true;
	sip_sec_cfg.trunk_rate = (unsigned)atoi(argv[0]);
	sip_sec_cfg.trunk_burst = (unsigned)atoi(argv[1]);
	return CMD_SUCCESS;
}

DEFUN(cfg_sip_no_flood_trunks, cfg_sip_no_flood_trunks_cmd, "no flood-limit trunks",
      NO_STR "Per-source request rate limit\nNot for trunk sources (the default)\n")
{
	sip_sec_cfg.trunk_limit = false;
	return CMD_SUCCESS;
}

DEFUN(cfg_sip_no_flood, cfg_sip_no_flood_cmd, "no flood-limit", NO_STR "No per-source rate limit\n")
{
	sip_sec_cfg.flood_limit = false;
	return CMD_SUCCESS;
}

DEFUN(cfg_sip_icmp, cfg_sip_icmp_cmd, "icmp-errors (fail-requests|ignore)",
      "ICMP destination unreachable for a request sent over UDP (RFC 3261 18.4)\n"
      "The client transactions toward that address still without a response fail at the "
      "second (their retransmission refused too): failover after about T1 (default)\n"
      "Counted and logged only: such transactions end by Timer B/F (64 x T1), as a target "
      "that drops silently (ICMP errors can be forged by anyone who knows the addresses)\n")
{
	sip_sec_cfg.icmp_ignore = !strcmp(argv[0], "ignore");
	return CMD_SUCCESS;
}

DEFUN(cfg_sip_reply_limit, cfg_sip_reply_limit_cmd, "reply-limit <0-100000>",
      "403 answers to unknown sources per second, all together (past it: dropped)\n"
      "Answers per second (0: no limit)\n")
{
	sip_sec_cfg.reply_rate = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_sip_user_agent, cfg_sip_user_agent_cmd, "user-agent .TEXT",
      "Server and User-Agent header value (default: tandem, no version; applies at "
      "start-up)\nText\n")
{
	char *s = argv_concat(argv, argc, 0);

	/* the old value is kept: a running UA may point at it (the new one
	 * applies at the next start) */
	sip_sec_cfg.user_agent = talloc_strdup(tall_vty_ctx, s);
	talloc_free(s);
	return CMD_SUCCESS;
}

DEFUN(cfg_sip_stream_limits, cfg_sip_stream_limits_cmd,
      "stream-limits connections <1-65535> per-source <1-65535> message-size <1024-65535>",
      "TCP/TLS limits (applies at start-up)\nConnections in all\nNumber\nConnections from one "
      "address\nNumber\nLargest message (bytes buffered per connection)\nBytes\n")
{
	sip_sec_cfg.max_conns = (unsigned)atoi(argv[0]);
	sip_sec_cfg.max_conns_per_source = (unsigned)atoi(argv[1]);
	sip_sec_cfg.max_msg = (unsigned)atoi(argv[2]);
	return CMD_SUCCESS;
}

DEFUN(cfg_sip_stream_timeouts, cfg_sip_stream_timeouts_cmd,
      "stream-timeouts message <1-600> idle <5-86400>",
      "TCP/TLS timeouts (applies at start-up)\nA message (and a TLS handshake) must be complete "
      "this long after its first byte; a new connection must bring its first message as fast\n"
      "Seconds\nA connection with no traffic this long is closed\nSeconds\n")
{
	sip_sec_cfg.header_timeout_s = (unsigned)atoi(argv[0]);
	sip_sec_cfg.idle_timeout_s = (unsigned)atoi(argv[1]);
	return CMD_SUCCESS;
}

static int trunk_allow(struct vty *vty, const char *prefix, const char *port, const char *tr)
{
	struct sip_trunk *t = vty->index;
	struct sip_acl_entry e, *n;

	if (sip_acl_entry_parse(&e, prefix, port ? (unsigned)atoi(port) : 0, tr) < 0) {
		tandem_config_reason("allow %s: not an IPv4 or IPv6 prefix (A.B.C.D/N, X:X::X:X/N; "
				     "no host bits past N)",
				     prefix);
		vty_out(vty, "%% allow %s: not an address prefix%s", prefix, VTY_NEWLINE);
		return CMD_WARNING;
	}
	if (t->n_allow >= SIP_SEC_MAX_ALLOW) {
		tandem_config_reason("allow: at most %d entries per trunk", SIP_SEC_MAX_ALLOW);
		vty_out(vty, "%% too many allow entries%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	n = talloc_realloc(t, t->allow, struct sip_acl_entry, t->n_allow + 1);
	if (!n)
		return CMD_WARNING;
	n[t->n_allow++] = e;
	t->allow = n;
	return CMD_SUCCESS;
}

#define ALLOW_STR                                                                            \
	"Also admit requests from these sources (besides the remote address)\nA.B.C.D/N or " \
	"X:X::X:X/N (or one address)\n"
#define PORT_STR      "Only from this source port\nPort\n"
#define TRANSPORT_STR "Only over this transport\nUDP\nTCP\nTLS\n"

DEFUN(cfg_trunk_allow, cfg_trunk_allow_cmd, "allow PREFIX", ALLOW_STR)
{
	return trunk_allow(vty, argv[0], NULL, NULL);
}

DEFUN(cfg_trunk_allow_p, cfg_trunk_allow_p_cmd, "allow PREFIX port <1-65535>", ALLOW_STR PORT_STR)
{
	return trunk_allow(vty, argv[0], argv[1], NULL);
}

DEFUN(cfg_trunk_allow_t, cfg_trunk_allow_t_cmd, "allow PREFIX transport (udp|tcp|tls)",
      ALLOW_STR TRANSPORT_STR)
{
	return trunk_allow(vty, argv[0], NULL, argv[1]);
}

DEFUN(cfg_trunk_allow_pt, cfg_trunk_allow_pt_cmd,
      "allow PREFIX port <1-65535> transport (udp|tcp|tls)", ALLOW_STR PORT_STR TRANSPORT_STR)
{
	return trunk_allow(vty, argv[0], argv[1], argv[2]);
}

DEFUN(cfg_trunk_no_allow, cfg_trunk_no_allow_cmd, "no allow",
      NO_STR "Forget every allow entry of the trunk (the remote address stays admitted)\n")
{
	struct sip_trunk *t = vty->index;

	TALLOC_FREE(t->allow);
	t->n_allow = 0;
	return CMD_SUCCESS;
}

void sip_sec_vty_write(struct vty *vty)
{
	const struct sip_sec_cfg *c = &sip_sec_cfg;

	vty_out(vty, " unknown-sources %s%s", c->unknown_drop ? "drop" : "reject", VTY_NEWLINE);
	if (c->flood_limit)
		vty_out(vty, " flood-limit rate %u burst %u sources %u%s", c->flood_rate,
			c->flood_burst, c->flood_sources, VTY_NEWLINE);
	else
		vty_out(vty, " no flood-limit%s", VTY_NEWLINE);
	if (c->trunk_limit)
		vty_out(vty, " flood-limit trunks rate %u burst %u%s", c->trunk_rate,
			c->trunk_burst, VTY_NEWLINE);
	vty_out(vty, " reply-limit %u%s", c->reply_rate, VTY_NEWLINE);
	if (c->icmp_ignore)
		vty_out(vty, " icmp-errors ignore%s", VTY_NEWLINE);
	if (c->user_agent)
		vty_out(vty, " user-agent %s%s", c->user_agent, VTY_NEWLINE);
	vty_out(vty, " stream-limits connections %u per-source %u message-size %u%s", c->max_conns,
		c->max_conns_per_source, c->max_msg, VTY_NEWLINE);
	vty_out(vty, " stream-timeouts message %u idle %u%s", c->header_timeout_s,
		c->idle_timeout_s, VTY_NEWLINE);
}

void sip_sec_vty_write_trunk(struct vty *vty, const struct sip_trunk *t)
{
	for (unsigned i = 0; i < t->n_allow; i++) {
		char buf[96];

		if (sip_acl_entry_str(&t->allow[i], buf, sizeof(buf)) > 0)
			vty_out(vty, "  allow %s%s", buf, VTY_NEWLINE);
	}
}

DEFUN(show_sip_security, show_sip_security_cmd, "show sip security",
      SHOW_STR "SIP\nWho is admitted, and what was refused\n")
{
	const struct sip_sec_cfg *c = &sip_sec_cfg;
	struct sip_trunk *t;

	vty_out(vty, "admitted: trunks' remote addresses and allow entries%s", VTY_NEWLINE);
	llist_for_each_entry(t, &sip_cfg.trunks, list)
	{
		vty_out(vty, "  trunk %s: remote %s", t->name, t->host ? t->host : "-");
		for (unsigned i = 0; i < t->n_allow; i++) {
			char buf[96];

			if (sip_acl_entry_str(&t->allow[i], buf, sizeof(buf)) > 0)
				vty_out(vty, ", allow %s", buf);
		}
		vty_out(vty, "%s", VTY_NEWLINE);
	}
	vty_out(vty, "unknown sources: %s; flood limit: ", c->unknown_drop ? "dropped" : "403");
	if (c->flood_limit)
		vty_out(vty, "%u/s burst %u per source, %u sources%s", c->flood_rate,
			c->flood_burst, c->flood_sources, VTY_NEWLINE);
	else
		vty_out(vty, "off%s", VTY_NEWLINE);
	if (c->trunk_limit)
		vty_out(vty, "trunk sources: %u/s burst %u per source, then 503%s", c->trunk_rate,
			c->trunk_burst, VTY_NEWLINE);
	if (vty_sec) {
		const struct sip_sec_stats *s = sip_sec_get_stats(vty_sec);

		vty_out(vty, "messages from trunks: %" PRIu64 ", from other sources: %" PRIu64 "%s",
			s->admitted, s->stranger_msgs, VTY_NEWLINE);
		for (int r = 0; r < _SIP_SEC_R_NUM; r++)
			vty_out(vty, "refused: %-42s %" PRIu64 "%s",
				sip_sec_refusal_name((enum sip_sec_refusal)r), s->refused[r],
				VTY_NEWLINE);
		vty_out(vty, "log lines: %" PRIu64 " written, %" PRIu64 " held back%s",
			s->log_lines, s->log_suppressed, VTY_NEWLINE);
		if (sip_sec_flood_stats(vty_sec)) {
			const struct sip_pike_stats *p = sip_sec_flood_stats(vty_sec);

			vty_out(vty,
				"flood table: %u/%u sources, %" PRIu64 " within rate, %" PRIu64
				" over, %" PRIu64 " forgotten%s",
				p->sources, p->slots, p->taken, p->limited, p->evicted,
				VTY_NEWLINE);
		}
	}
	if (vty_tr) {
		const struct sip_transport_stats *ts = sip_transport_get_stats(vty_tr);

		vty_out(vty,
			"streams: %u open (limits %u, %u per source); refused %" PRIu64
			" (total cap) %" PRIu64 " (per-source cap); closed %" PRIu64
			" (message deadline) %" PRIu64 " (idle) %" PRIu64 " (oversized)%s",
			sip_transport_conn_count(vty_tr), c->max_conns, c->max_conns_per_source,
			ts->conns_refused_total, ts->conns_refused_source, ts->conns_deadline,
			ts->conns_idle, ts->rx_bad_frames, VTY_NEWLINE);
		vty_out(vty,
			"connections: %" PRIu64 " in, %" PRIu64 " out, %" PRIu64
			" closed; TLS handshakes failed %" PRIu64 "%s",
			ts->conns_in, ts->conns_out, ts->conns_closed, ts->tls_handshake_failures,
			VTY_NEWLINE);
		const char *what = NULL, *last = sip_transport_icmp_last(vty_tr, &what);

		vty_out(vty, "udp targets: ICMP unreachable %" PRIu64 " (%s)%s%s%s%s%s",
			ts->udp_icmp_unreachable,
			sip_sec_cfg.icmp_ignore
				? "ignored: icmp-errors ignore"
				: "their requests without a response fail at the second",
			last ? "; last " : "", last ? last : "", last ? " " : "", last ? what : "",
			VTY_NEWLINE);
	}
	if (vty_loop) {
		const struct loop_stats *ls = loop_get_stats(vty_loop);

		vty_out(vty, "udp: %" PRIu64 " datagrams larger than a receive buffer dropped%s",
			ls->udp_trunc, VTY_NEWLINE);
	}
	return CMD_SUCCESS;
}

void sip_sec_vty_init(void)
{
	install_element(TANDEM_SIP_NODE, &cfg_sip_unknown_cmd);
	install_element(TANDEM_SIP_NODE, &cfg_sip_flood_cmd);
	install_element(TANDEM_SIP_NODE, &cfg_sip_no_flood_cmd);
	install_element(TANDEM_SIP_NODE, &cfg_sip_flood_trunks_cmd);
	install_element(TANDEM_SIP_NODE, &cfg_sip_no_flood_trunks_cmd);
	install_element(TANDEM_SIP_NODE, &cfg_sip_reply_limit_cmd);
	install_element(TANDEM_SIP_NODE, &cfg_sip_icmp_cmd);
	install_element(TANDEM_SIP_NODE, &cfg_sip_user_agent_cmd);
	install_element(TANDEM_SIP_NODE, &cfg_sip_stream_limits_cmd);
	install_element(TANDEM_SIP_NODE, &cfg_sip_stream_timeouts_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_allow_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_allow_p_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_allow_t_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_allow_pt_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_no_allow_cmd);
	install_element_ve(&show_sip_security_cmd);
}

bool sip_sec_addr_ok(struct vty *vty, const char *addr)
{
	uint8_t a[16];

	if (inet_pton(strchr(addr, ':') ? AF_INET6 : AF_INET, addr, a) == 1)
		return true;
	tandem_config_reason("'%s' is not an IP address", addr);
	vty_out(vty, "%% '%s' is not an IP address%s", addr, VTY_NEWLINE);
	return false;
}

static int file_problem(FILE *out, const char *prefix, const char *path, const char *what)
{
	unsigned line = tandem_config_find_line(prefix, path, 0);

	if (!path || access(path, R_OK) == 0)
		return 0;
	fprintf(out, "%s:%u: %s %s: %s\n", tandem_config_name(), line, what, path, strerror(errno));
	return 1;
}

int sip_sec_cfg_check(FILE *out)
{
	struct sip_listen_cfg *l;
	struct sip_trunk *t;
	int n = 0;

	llist_for_each_entry(l, &sip_cfg.listeners, list)
	{
		if (l->proto != SIP_PROTO_TLS)
			continue;
		n += file_problem(out, "listen tls", l->cert, "certificate");
		n += file_problem(out, "listen tls", l->key, "key");
	}
	llist_for_each_entry(t, &sip_cfg.trunks, list)
	{
		if (t->tls_verify)
			n += file_problem(out, "tls ca", t->tls_ca, "CA file");
		/* a host name is resolved (RFC 3263, sip_resolve.c); requests are
		 * admitted from the addresses it resolves to */
	}
	return n;
}
