/* The "sip" configuration node: listeners and trunks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "core/vty.h"
#include "sip/sip_refer.h"
#include "sip/sip_sec.h"
#include "sip/sip_resolve.h"
#include "sip/sip_registrar.h"
#include "sip/sip_trunk.h"
#include "sip/sip_txn.h"

struct sip_cfg sip_cfg = {
	.listeners = LLIST_HEAD_INIT(sip_cfg.listeners),
	.trunks = LLIST_HEAD_INIT(sip_cfg.trunks),
};

static const struct value_string mode_names[] = {
	{SIP_MODE_PLAIN, "plain"},
	{SIP_MODE_SIP_I, "sip-i"},
	{SIP_MODE_SIP_T, "sip-t"},
	{0, NULL},
};

static const struct value_string proto_names[] = {
	{SIP_PROTO_UDP, "udp"},
	{SIP_PROTO_TCP, "tcp"},
	{SIP_PROTO_TLS, "tls"},
	{0, NULL},
};

const char *sip_mode_name(enum sip_trunk_mode m)
{
	return get_value_string(mode_names, m);
}

struct sip_trunk *sip_trunk_find(const char *name)
{
	struct sip_trunk *t;

	llist_for_each_entry(t, &sip_cfg.trunks, list) if (!strcmp(t->name, name)) return t;
	return NULL;
}

static struct cmd_node sip_node = {
	.node = TANDEM_SIP_NODE,
	.prompt = "%s(config-sip)# ",
	.vtysh = 1,
};

static struct cmd_node trunk_node = {
	.node = TANDEM_SIP_TRUNK_NODE,
	.prompt = "%s(config-sip-trunk)# ",
	.vtysh = 1,
};

DEFUN(cfg_sip, cfg_sip_cmd, "sip", "Configure SIP listeners and trunks\n")
{
	vty->node = TANDEM_SIP_NODE;
	return CMD_SUCCESS;
}

DEFUN(cfg_sip_listen, cfg_sip_listen_cmd, "listen (udp|tcp) A.B.C.D <1-65535>",
      "Listen for SIP\nUDP\nTCP\nLocal address\nPort\n")
{
	struct sip_listen_cfg *l;

	/* libosmovty's A.B.C.D takes 999.1.1.1: a listener must never fall
	 * back to another address than the one written */
	if (!sip_sec_addr_ok(vty, argv[1]))
		return CMD_WARNING;
	l = talloc_zero(tall_vty_ctx, struct sip_listen_cfg);

	l->proto = (enum sip_proto)get_string_value(proto_names, argv[0]);
	l->addr = talloc_strdup(l, argv[1]);
	l->port = (uint16_t)atoi(argv[2]);
	llist_add_tail(&l->list, &sip_cfg.listeners);
	return CMD_SUCCESS;
}

DEFUN(cfg_sip_listen6, cfg_sip_listen6_cmd, "listen (udp|tcp) X:X::X:X <1-65535>",
      "Listen for SIP\nUDP\nTCP\nLocal IPv6 address\nPort\n")
{
	return cfg_sip_listen(self, vty, argc, argv);
}

DEFUN(cfg_sip_listen_tls, cfg_sip_listen_tls_cmd,
      "listen tls A.B.C.D <1-65535> certificate FILE key FILE",
      "Listen for SIP\nTLS\nLocal address\nPort\nCertificate chain (PEM)\nFile\nPrivate key "
      "(PEM)\nFile\n")
{
	struct sip_listen_cfg *l;

	if (!sip_sec_addr_ok(vty, argv[0]))
		return CMD_WARNING;
	l = talloc_zero(tall_vty_ctx, struct sip_listen_cfg);
	l->proto = SIP_PROTO_TLS;
	l->addr = talloc_strdup(l, argv[0]);
	l->port = (uint16_t)atoi(argv[1]);
	l->cert = talloc_strdup(l, argv[2]);
	l->key = talloc_strdup(l, argv[3]);
	llist_add_tail(&l->list, &sip_cfg.listeners);
	return CMD_SUCCESS;
}

DEFUN(cfg_sip_trunk, cfg_sip_trunk_cmd, "trunk NAME", "Configure a SIP trunk\nTrunk name\n")
{
	struct sip_trunk *t = sip_trunk_find(argv[0]);

	if (!t) {
		t = talloc_zero(tall_vty_ctx, struct sip_trunk);
		t->name = talloc_strdup(t, argv[0]);
		t->proto = SIP_PROTO_UDP;
		t->port = 5060;
		t->ptime = 20;
		t->redirect_follow = 3;
		t->register_expires = 3600;
		t->register_retry_base = 30; /* RFC 5626 4.5's base and maximum */
		t->register_retry_max = 1800;
		t->codecs[0] = talloc_strdup(t, "PCMA");
		t->codecs[1] = talloc_strdup(t, "PCMU");
		t->codecs[2] = talloc_strdup(t, "telephone-event");
		t->n_codecs = 3;
		llist_add_tail(&t->list, &sip_cfg.trunks);
	}
	vty->index = t;
	vty->node = TANDEM_SIP_TRUNK_NODE;
	return CMD_SUCCESS;
}

#define TRUNK struct sip_trunk *t = vty->index

DEFUN(cfg_trunk_remote, cfg_trunk_remote_cmd, "remote HOST [<1-65535>]",
      "Where the trunk's requests go\nAddress, or host name (RFC 3263 NAPTR/SRV/A)\n"
      "Port (a name with a port: its addresses, no NAPTR/SRV)\n")
{
	TRUNK;
	if (!sip_trunk_host_valid(argv[0])) {
		tandem_config_reason("'%s' is neither an IP address nor a host name", argv[0]);
		vty_out(vty, "%% '%s' is neither an IP address nor a host name%s", argv[0],
			VTY_NEWLINE);
		return CMD_WARNING;
	}
	osmo_talloc_replace_string(t, &t->host, argv[0]);
	t->port = argc > 1 ? (uint16_t)atoi(argv[1]) : 0;
	return CMD_SUCCESS;
}

DEFUN(cfg_trunk_transport, cfg_trunk_transport_cmd, "transport (udp|tcp|tls)",
      "Transport toward the trunk\nUDP\nTCP\nTLS\n")
{
	TRUNK;
	t->proto = (enum sip_proto)get_string_value(proto_names, argv[0]);
	t->proto_set = true;
	return CMD_SUCCESS;
}

DEFUN(cfg_trunk_domain, cfg_trunk_domain_cmd, "domain NAME",
      "Host part of the URIs sent on this trunk\nDomain or address\n")
{
	TRUNK;
	osmo_talloc_replace_string(t, &t->domain, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_trunk_mode, cfg_trunk_mode_cmd, "mode (plain|sip-i|sip-t)",
      "ISUP on this trunk\nPlain SIP, RFC 3398 mapping\nSIP-I (Q.1912.5): ISUP encapsulated\n"
      "SIP-T (RFC 3372): ANSI ISUP encapsulated\n")
{
	TRUNK;
	t->mode = (enum sip_trunk_mode)get_string_value(mode_names, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_trunk_ruri, cfg_trunk_ruri_cmd, "request-uri (user-phone|tel)",
      "Form of the Request-URI\nsip:+E164@domain;user=phone\ntel:+E164\n")
{
	TRUNK;
	t->ruri = !strcmp(argv[0], "tel") ? SIP_RURI_TEL : SIP_RURI_USER_PHONE;
	return CMD_SUCCESS;
}

DEFUN(cfg_trunk_redir, cfg_trunk_redir_cmd, "redirection (none|diversion|history-info)",
      "How redirecting numbers are sent\nNot at all\nDiversion (RFC 5806)\n"
      "History-Info (RFC 7044)\n")
{
	TRUNK;
	t->redir = !strcmp(argv[0], "diversion")      ? SIP_REDIR_DIVERSION
		   : !strcmp(argv[0], "history-info") ? SIP_REDIR_HISTORY_INFO
						      : SIP_REDIR_NONE;
	return CMD_SUCCESS;
}

DEFUN(cfg_trunk_codecs, cfg_trunk_codecs_cmd, "codecs .LIST",
      "Codecs in preference order\nPCMA, PCMU, G722, telephone-event\n")
{
	TRUNK;
	if (argc > SIP_TRUNK_MAX_CODECS) {
		vty_out(vty, "%% at most %d codecs%s", SIP_TRUNK_MAX_CODECS, VTY_NEWLINE);
		return CMD_WARNING;
	}
	for (int i = 0; i < argc; i++) {
		if (strcasecmp(argv[i], "PCMA") && strcasecmp(argv[i], "PCMU") &&
		    strcasecmp(argv[i], "G722") && strcasecmp(argv[i], "telephone-event")) {
			vty_out(vty, "%% unknown codec %s%s", argv[i], VTY_NEWLINE);
			return CMD_WARNING;
		}
	}
	for (unsigned i = 0; i < t->n_codecs; i++)
		TALLOC_FREE(t->codecs[i]);
	for (int i = 0; i < argc; i++)
		t->codecs[i] = talloc_strdup(t, argv[i]);
	t->n_codecs = (unsigned)argc;
	return CMD_SUCCESS;
}

DEFUN(cfg_trunk_ptime, cfg_trunk_ptime_cmd, "ptime (10|20|30)",
      "Packet time offered\n10 ms\n20 ms\n30 ms\n")
{
	TRUNK;
	t->ptime = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_trunk_dtmf, cfg_trunk_dtmf_cmd, "dtmf (rfc4733|info)",
      "How digits travel toward this trunk\nRFC 4733 telephone-event in RTP (default)\nSIP INFO "
      "application/dtmf-relay (telephone-event is not offered; tones are taken out of the "
      "audio)\n")
{
	TRUNK;
	t->dtmf_info = !strcmp(argv[0], "info");
	return CMD_SUCCESS;
}

DEFUN(cfg_trunk_latch, cfg_trunk_latch_cmd, "rtp-latch",
      "Media from this trunk is behind NAT: take RTP and RTCP from the first source seen in "
      "the first 2 s of a call, then only from it (without: only from the address and ports "
      "the SDP names)\n")
{
	TRUNK;
	t->rtp_latch = true;
	return CMD_SUCCESS;
}

DEFUN(cfg_trunk_no_latch, cfg_trunk_no_latch_cmd, "no rtp-latch",
      NO_STR "Media only from the address and ports the SDP names (default)\n")
{
	TRUNK;
	t->rtp_latch = false;
	return CMD_SUCCESS;
}

DEFUN(cfg_trunk_oproxy, cfg_trunk_oproxy_cmd, "outbound-proxy",
      "The trunk is our outbound proxy: every request of a dialog (ACK, BYE, re-INVITE, "
      "UPDATE, INFO...) goes to the trunk's address, with the remote target still the "
      "Request-URI (without: to the first Record-Route hop, else the peer's Contact, "
      "RFC 3261 12.2.1.1)\n")
{
	TRUNK;
	t->outbound_proxy = true;
	return CMD_SUCCESS;
}

DEFUN(cfg_trunk_no_oproxy, cfg_trunk_no_oproxy_cmd, "no outbound-proxy",
      NO_STR "Requests of a dialog go to its route set or remote target (default)\n")
{
	TRUNK;
	t->outbound_proxy = false;
	return CMD_SUCCESS;
}

DEFUN(cfg_trunk_rtcp_mux, cfg_trunk_rtcp_mux_cmd, "rtcp-mux (offer|off)",
      "RTCP on the RTP port (RFC 5761): one socket per call instead of two\n"
      "Our offers toward this trunk carry a=rtcp-mux; the RTCP socket is closed when the "
      "answer accepts it\n"
      "Our offers do not ask for it (default); offers that have it are still answered with "
      "it\n")
{
	TRUNK;
	t->rtcp_mux_offer = !strcmp(argv[0], "offer");
	return CMD_SUCCESS;
}

DEFUN(cfg_trunk_tones, cfg_trunk_tones_cmd, "tones (itu|us|default)",
      "Call-progress tones played toward TDM for calls on this trunk (ringback without early "
      "media)\nITU (E.180)\nNorth American\nThe routing node's ringback plan\n")
{
	TRUNK;
	snprintf(t->tone_plan, sizeof(t->tone_plan), "%s",
		 strcmp(argv[0], "default") ? argv[0] : "");
	return CMD_SUCCESS;
}

DEFUN(cfg_trunk_fail_tones, cfg_trunk_fail_tones_cmd, "tones-on-failure <0-60>",
      "When a call from ISUP fails on this trunk with busy (cause 17) or congestion (34, 38, "
      "41, 42, 44, 47): ACM/CPG with in-band information, the tone toward TDM, then REL\n"
      "Seconds of tone before the REL (0: REL at once, the default)\n")
{
	TRUNK;
	t->failure_tone_s = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_trunk_options, cfg_trunk_options_cmd, "options-interval <0-3600>",
      "OPTIONS keep-alive toward the trunk\nSeconds; 0 = off\n")
{
	TRUNK;
	t->options_interval = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_trunk_auth, cfg_trunk_auth_cmd, "auth USER PASSWORD",
      "Digest credentials toward the trunk\nUser name\nPassword\n")
{
	TRUNK;
	osmo_talloc_replace_string(t, &t->auth_user, argv[0]);
	osmo_talloc_replace_string(t, &t->auth_pass, argv[1]);
	return CMD_SUCCESS;
}

DEFUN(cfg_trunk_register, cfg_trunk_register_cmd, "register expires <60-86400>",
      "Register with the trunk\nRegistration lifetime\nSeconds\n")
{
	TRUNK;
	t->do_register = true;
	t->register_expires = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_trunk_register_user, cfg_trunk_register_user_cmd, "register contact-user USER",
      "Register with the trunk\nThe user part of the Contact we register (default tandem)\n"
      "User: letters, digits and - _ . + only\n")
{
	TRUNK;
	if (!argv[0][0] ||
	    strspn(argv[0], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789-_.+") != strlen(argv[0]) ||
	    strlen(argv[0]) > 32) {
		vty_out(vty, "%% register contact-user %s: up to 32 letters, digits, - _ . +%s",
			argv[0], VTY_NEWLINE);
		return CMD_WARNING;
	}
	osmo_talloc_replace_string(t, &t->register_user, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_trunk_register_retry, cfg_trunk_register_retry_cmd, "register retry <1-3600> <1-86400>",
      "Register with the trunk\nAfter a failed registration: wait base * 2^(failures-1), at most "
      "max, 50..100 %% of it at random\nBase wait in seconds (default 30)\nMaximum wait in "
      "seconds (default 1800)\n")
{
	TRUNK;
	t->register_retry_base = (unsigned)atoi(argv[0]);
	t->register_retry_max = (unsigned)atoi(argv[1]);
	if (t->register_retry_max < t->register_retry_base) {
		vty_out(vty, "%% register retry: the maximum %u is below the base %u%s",
			t->register_retry_max, t->register_retry_base, VTY_NEWLINE);
		return CMD_WARNING;
	}
	return CMD_SUCCESS;
}

DEFUN(cfg_trunk_require_auth, cfg_trunk_require_auth_cmd, "require-auth",
      "Challenge requests from this trunk (digest, with the auth credentials)\n")
{
	TRUNK;
	t->require_auth = true;
	return CMD_SUCCESS;
}

DEFUN(cfg_trunk_limits, cfg_trunk_limits_cmd, "limits calls <0-100000> cps <0-10000>",
      "Limits (0 = none)\nConcurrent calls\nNumber\nNew calls per second\nNumber\n")
{
	TRUNK;
	t->max_calls = (unsigned)atoi(argv[0]);
	t->max_cps = (unsigned)atoi(argv[1]);
	return CMD_SUCCESS;
}

DEFUN(cfg_trunk_prack, cfg_trunk_prack_cmd, "prack",
      "Use reliable provisional responses (RFC 3262) when the peer supports them\n")
{
	TRUNK;
	t->prack = true;
	return CMD_SUCCESS;
}

DEFUN(cfg_trunk_offer, cfg_trunk_offer_cmd, "offer (early|delayed)",
      "Where the SDP offer of our INVITEs goes (RFC 3261 13.2.1)\n"
      "In the INVITE (the default)\n"
      "Nowhere: the INVITE has no SDP, the trunk offers in the 200 or a reliable 18x and "
      "our answer goes in the ACK or PRACK\n")
{
	TRUNK;
	t->offer_delayed = argv[0][0] == 'd';
	return CMD_SUCCESS;
}

DEFUN(cfg_trunk_session_timer, cfg_trunk_session_timer_cmd, "session-timer <90-86400>",
      "Session timer (RFC 4028)\nSession-Expires in seconds\n")
{
	TRUNK;
	t->session_expires = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_trunk_max_call, cfg_trunk_max_call_cmd, "max-call-duration <1-604800>",
      "End answered calls of this trunk after a time (cause 16)\nSeconds from the answer\n")
{
	TRUNK;
	t->max_call_s = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_trunk_no_max_call, cfg_trunk_no_max_call_cmd, "no max-call-duration",
      NO_STR "No limit on the duration of answered calls\n")
{
	TRUNK;
	t->max_call_s = 0;
	return CMD_SUCCESS;
}

DEFUN(cfg_trunk_redirect, cfg_trunk_redirect_cmd, "redirect follow <0-10>",
      "3xx answers of this trunk (RFC 3261 8.1.3.4)\n"
      "Try the Contacts (only those on a configured trunk) as new INVITEs\n"
      "How many Contacts per call at most (0: map the 3xx to a REL)\n")
{
	TRUNK;
	t->redirect_follow = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_trunk_tls, cfg_trunk_tls_cmd, "tls ca FILE server-name NAME",
      "TLS toward the trunk (verified)\nTrust anchors\nPEM file\nName the certificate must "
      "carry\nName\n")
{
	TRUNK;
	t->tls_verify = true;
	osmo_talloc_replace_string(t, &t->tls_ca, argv[0]);
	osmo_talloc_replace_string(t, &t->tls_server_name, argv[1]);
	return CMD_SUCCESS;
}

static int config_write_sip(struct vty *vty)
{
	struct sip_listen_cfg *l;
	struct sip_trunk *t;

	vty_out(vty, "sip%s", VTY_NEWLINE);
	llist_for_each_entry(l, &sip_cfg.listeners, list)
	{
		vty_out(vty, " listen %s %s %u", get_value_string(proto_names, l->proto), l->addr,
			l->port);
		if (l->proto == SIP_PROTO_TLS)
			vty_out(vty, " certificate %s key %s", l->cert, l->key);
		vty_out(vty, "%s", VTY_NEWLINE);
	}
	sip_sec_vty_write(vty);
	sip_resolver_vty_write(vty);
	llist_for_each_entry(t, &sip_cfg.trunks, list)
	{
		vty_out(vty, " trunk %s%s", t->name, VTY_NEWLINE);
		if (t->host && t->port)
			vty_out(vty, "  remote %s %u%s", t->host, t->port, VTY_NEWLINE);
		else if (t->host)
			vty_out(vty, "  remote %s%s", t->host, VTY_NEWLINE);
		sip_sec_vty_write_trunk(vty, t);
		if (t->proto_set || t->proto != SIP_PROTO_UDP)
			vty_out(vty, "  transport %s%s", get_value_string(proto_names, t->proto),
				VTY_NEWLINE);
		if (t->domain)
			vty_out(vty, "  domain %s%s", t->domain, VTY_NEWLINE);
		vty_out(vty, "  mode %s%s", sip_mode_name(t->mode), VTY_NEWLINE);
		vty_out(vty, "  request-uri %s%s", t->ruri == SIP_RURI_TEL ? "tel" : "user-phone",
			VTY_NEWLINE);
		vty_out(vty, "  redirection %s%s",
			t->redir == SIP_REDIR_DIVERSION	     ? "diversion"
			: t->redir == SIP_REDIR_HISTORY_INFO ? "history-info"
							     : "none",
			VTY_NEWLINE);
		vty_out(vty, "  codecs");
		for (unsigned i = 0; i < t->n_codecs; i++)
			vty_out(vty, " %s", t->codecs[i]);
		vty_out(vty, "%s", VTY_NEWLINE);
		vty_out(vty, "  ptime %u%s", t->ptime, VTY_NEWLINE);
		if (t->tone_plan[0])
			vty_out(vty, "  tones %s%s", t->tone_plan, VTY_NEWLINE);
		if (t->failure_tone_s)
			vty_out(vty, "  tones-on-failure %u%s", t->failure_tone_s, VTY_NEWLINE);
		if (t->dtmf_info)
			vty_out(vty, "  dtmf info%s", VTY_NEWLINE);
		if (t->rtp_latch)
			vty_out(vty, "  rtp-latch%s", VTY_NEWLINE);
		if (t->outbound_proxy)
			vty_out(vty, "  outbound-proxy%s", VTY_NEWLINE);
		if (t->rtcp_mux_offer)
			vty_out(vty, "  rtcp-mux offer%s", VTY_NEWLINE);
		vty_out(vty, "  options-interval %u%s", t->options_interval, VTY_NEWLINE);
		if (t->auth_user)
			vty_out(vty, "  auth %s %s%s", t->auth_user, t->auth_pass, VTY_NEWLINE);
		if (t->do_register)
			vty_out(vty, "  register expires %u%s", t->register_expires, VTY_NEWLINE);
		if (t->register_retry_base != 30 || t->register_retry_max != 1800)
			vty_out(vty, "  register retry %u %u%s", t->register_retry_base,
				t->register_retry_max, VTY_NEWLINE);
		if (t->register_user)
			vty_out(vty, "  register contact-user %s%s", t->register_user, VTY_NEWLINE);
		if (t->require_auth)
			vty_out(vty, "  require-auth%s", VTY_NEWLINE);
		sip_registrar_vty_write_trunk(vty, t);
		vty_out(vty, "  limits calls %u cps %u%s", t->max_calls, t->max_cps, VTY_NEWLINE);
		if (t->prack)
			vty_out(vty, "  prack%s", VTY_NEWLINE);
		if (t->offer_delayed)
			vty_out(vty, "  offer delayed%s", VTY_NEWLINE);
		if (t->session_expires)
			vty_out(vty, "  session-timer %u%s", t->session_expires, VTY_NEWLINE);
		if (t->max_call_s)
			vty_out(vty, "  max-call-duration %u%s", t->max_call_s, VTY_NEWLINE);
		if (t->redirect_follow != 3)
			vty_out(vty, "  redirect follow %u%s", t->redirect_follow, VTY_NEWLINE);
		if (t->tls_verify)
			vty_out(vty, "  tls ca %s server-name %s%s", t->tls_ca, t->tls_server_name,
				VTY_NEWLINE);
		sip_vty_sec_write_trunk(vty, t);
		sip_refer_vty_write(vty, t);
	}
	return CMD_SUCCESS;
}

static int config_write_trunk(struct vty *vty)
{
	(void)vty; /* written by the sip node */
	return CMD_SUCCESS;
}

DEFUN(show_sip_trunks, show_sip_trunks_cmd, "show sip trunks",
      SHOW_STR "SIP\nConfigured trunks and their state\n")
{
	struct sip_trunk *t;

	llist_for_each_entry(t, &sip_cfg.trunks, list)
	{
		unsigned st, ago;
		char port[8] = "", reg[96];

		if (t->port)
			snprintf(port, sizeof(port), ":%u", t->port);
		sip_trunk_reg_describe(t, reg, sizeof(reg));
		/* a name without transport: NAPTR chooses (the targets below say) */
		vty_out(vty, "%-16s %s:%s%s mode %s, %s%s, calls %u/%u", t->name,
			t->proto_set || (t->res && t->res->numeric) || !t->res
				? get_value_string(proto_names, t->proto)
				: "naptr",
			t->host ? t->host : "-", port, sip_mode_name(t->mode),
			sip_trunk_state_name(t), reg, t->calls, t->max_calls);
		if (sip_trunk_last_status(t, &st, &ago))
			vty_out(vty, ", last response %u %u s ago", st, ago);
		if (sip_trunk_res_icmp_total(t))
			vty_out(vty, ", ICMP unreachable %u", sip_trunk_res_icmp_total(t));
		vty_out(vty, "%s", VTY_NEWLINE);
		sip_trunk_res_vty_show(vty, t);
	}
	return CMD_SUCCESS;
}

void sip_vty_init(void)
{
	/* defaults before the configuration file sets any timer */
	osmo_tdefs_reset(sip_txn_tdefs);
	install_element(CONFIG_NODE, &cfg_sip_cmd);
	install_node(&sip_node, config_write_sip);
	install_element(TANDEM_SIP_NODE, &cfg_sip_listen_cmd);
	install_element(TANDEM_SIP_NODE, &cfg_sip_listen6_cmd);
	install_element(TANDEM_SIP_NODE, &cfg_sip_listen_tls_cmd);
	install_element(TANDEM_SIP_NODE, &cfg_sip_trunk_cmd);
	install_node(&trunk_node, config_write_trunk);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_remote_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_transport_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_domain_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_mode_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_ruri_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_redir_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_codecs_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_dtmf_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_latch_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_no_latch_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_oproxy_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_no_oproxy_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_rtcp_mux_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_tones_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_fail_tones_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_ptime_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_options_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_auth_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_register_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_register_retry_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_register_user_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_require_auth_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_limits_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_prack_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_offer_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_session_timer_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_max_call_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_no_max_call_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_redirect_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_tls_cmd);
	sip_vty_sec_init();
	sip_registrar_vty_init();
	sip_refer_vty_init();
	sip_resolver_vty_init();
	install_element_ve(&show_sip_trunks_cmd);
	sip_sec_vty_init();
}
