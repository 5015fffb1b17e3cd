/* The "sigtran" configuration node: M3UA ASPs toward signalling gateways,
 * and "show m3ua". */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/tdef.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "core/loop.h"
#include "core/vty.h"
#include "sigtran/m3ua_asp.h"
#include "sigtran/m3ua_dest.h"
#include "sigtran/m3ua_sctp.h"
#include "sigtran/m3ua_vty.h"

struct llist_head m3ua_vty_asps = LLIST_HEAD_INIT(m3ua_vty_asps);
struct llist_head m3ua_vty_ases = LLIST_HEAD_INIT(m3ua_vty_ases);

static struct cmd_node sigtran_node = {
	.node = TANDEM_SIGTRAN_NODE,
	.prompt = "%s(config-sigtran)# ",
	.vtysh = 1,
};

static struct cmd_node asp_node = {
	.node = TANDEM_SIGTRAN_ASP_NODE,
	.prompt = "%s(config-sigtran-asp)# ",
	.vtysh = 1,
};

static struct cmd_node as_node = {
	.node = TANDEM_SIGTRAN_AS_NODE,
	.prompt = "%s(config-sigtran-as)# ",
	.vtysh = 1,
};

struct m3ua_vty_asp *m3ua_vty_asp_find(const char *name)
{
	struct m3ua_vty_asp *a;

	llist_for_each_entry(a, &m3ua_vty_asps, list) if (!strcmp(a->name, name)) return a;
	return NULL;
}

struct m3ua_vty_as *m3ua_vty_as_find(const char *name)
{
	struct m3ua_vty_as *s;

	llist_for_each_entry(s, &m3ua_vty_ases, list) if (!strcmp(s->name, name)) return s;
	return NULL;
}

DEFUN(cfg_as, cfg_as_cmd, "as NAME",
      "An M3UA application server served by one or more ASPs\nName\n")
{
	struct m3ua_vty_as *s = m3ua_vty_as_find(argv[0]);

	if (!s) {
		s = talloc_zero(tall_vty_ctx, struct m3ua_vty_as);
		s->name = talloc_strdup(s, argv[0]);
		s->traffic_mode = 1;
		s->tr_ms = -1;
		llist_add_tail(&s->list, &m3ua_vty_ases);
	}
	vty->index = s;
	vty->node = TANDEM_SIGTRAN_AS_NODE;
	return CMD_SUCCESS;
}

DEFUN(cfg_as_asp, cfg_as_asp_cmd, "asp NAME",
      "An ASP (association) serving this AS, in the order of preference\nName\n")
{
	struct m3ua_vty_as *s = vty->index;

	for (unsigned i = 0; i < s->n_asp; i++)
		if (!strcmp(s->asp_names[i], argv[0]))
			return CMD_SUCCESS;
	if (s->n_asp == M3UA_AS_MAX_ASP) {
		vty_out(vty, "%% at most %u ASPs per AS%s", M3UA_AS_MAX_ASP, VTY_NEWLINE);
		return CMD_WARNING;
	}
	s->asp_names[s->n_asp++] = talloc_strdup(s, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_as_tm, cfg_as_tm_cmd, "traffic-mode (override|loadshare)",
      "How the ASPs share the traffic (RFC 4666 4.3.4.3, 4.3.4.5)\nOne active, the others "
      "stand by\nAll active, SLS picks one\n")
{
	struct m3ua_vty_as *s = vty->index;

	s->traffic_mode = !strcmp(argv[0], "loadshare") ? 2 : 1;
	return CMD_SUCCESS;
}

DEFUN(cfg_as_tr, cfg_as_tr_cmd, "timer recovery <0-60000>",
      "AS timers\nT(r): how long AS-PENDING waits for an ASP to take over\nMilliseconds\n")
{
	struct m3ua_vty_as *s = vty->index;

	s->tr_ms = atoi(argv[0]);
	return CMD_SUCCESS;
}

static int config_write_as(struct vty *vty)
{
	(void)vty; /* written by the sigtran node */
	return CMD_SUCCESS;
}

DEFUN(cfg_sigtran, cfg_sigtran_cmd, "sigtran", "Configure SIGTRAN (M3UA)\n")
{
	vty->node = TANDEM_SIGTRAN_NODE;
	return CMD_SUCCESS;
}

DEFUN(cfg_asp, cfg_asp_cmd, "asp NAME", "An M3UA ASP toward a signalling gateway\nName\n")
{
	struct m3ua_vty_asp *a;

	llist_for_each_entry(a, &m3ua_vty_asps, list) if (!strcmp(a->name, argv[0])) goto found;
	a = talloc_zero(tall_vty_ctx, struct m3ua_vty_asp);
	a->name = talloc_strdup(a, argv[0]);
	a->cfg.conn.transport = M3UA_TRANSPORT_TCP;
	a->cfg.traffic_mode = 1;
	llist_add_tail(&a->list, &m3ua_vty_asps);
found:
	vty->index = a;
	vty->node = TANDEM_SIGTRAN_ASP_NODE;
	return CMD_SUCCESS;
}

#define ASP struct m3ua_vty_asp *a = vty->index

DEFUN(cfg_asp_remote, cfg_asp_remote_cmd, "remote A.B.C.D <1-65535>",
      "The signalling gateway\nAddress\nPort (2905)\n")
{
	ASP;
	struct sockaddr_in *s = (struct sockaddr_in *)&a->cfg.conn.remote;

	memset(s, 0, sizeof(*s));
	s->sin_family = AF_INET;
	s->sin_port = htons((uint16_t)atoi(argv[1]));
	if (inet_pton(AF_INET, argv[0], &s->sin_addr) != 1)
		return CMD_WARNING;
	a->cfg.conn.remote_len = sizeof(*s);
	return CMD_SUCCESS;
}

DEFUN(cfg_asp_listen, cfg_asp_listen_cmd, "listen A.B.C.D <1-65535>",
      "Server role: listen for the peer's association (tandem does not connect)\n"
      "Address\nPort\n")
{
	ASP;
	struct sockaddr_in *s = (struct sockaddr_in *)&a->cfg.conn.local;

	memset(s, 0, sizeof(*s));
	s->sin_family = AF_INET;
	s->sin_port = htons((uint16_t)atoi(argv[1]));
	if (inet_pton(AF_INET, argv[0], &s->sin_addr) != 1)
		return CMD_WARNING;
	a->cfg.conn.local_len = sizeof(*s);
	a->cfg.conn.server = true;
	return CMD_SUCCESS;
}

DEFUN(cfg_asp_role, cfg_asp_role_cmd, "role (asp|ipsp-client|ipsp-server|ipsp-de)",
      "M3UA role (RFC 4666 1.5)\nASP toward an SG (sends ASPUP/ASPAC)\n"
      "IPSP, single exchange, the side that sends ASPUP/ASPAC\n"
      "IPSP, single exchange, the side that answers them\n"
      "IPSP, double exchange (4.3.1): both sides send and answer ASPUP/ASPAC\n")
{
	ASP;
	a->cfg.role = !strcmp(argv[0], "ipsp-client")	? M3UA_ROLE_IPSP_CLIENT
		      : !strcmp(argv[0], "ipsp-server") ? M3UA_ROLE_IPSP_SERVER
		      : !strcmp(argv[0], "ipsp-de")	? M3UA_ROLE_IPSP_DE
							: M3UA_ROLE_ASP;
	return CMD_SUCCESS;
}

DEFUN(cfg_asp_transport, cfg_asp_transport_cmd, "transport (tcp|sctp)",
      "Transport of the association\nTCP (framed by the M3UA length)\nKernel SCTP\n")
{
	ASP;
	a->cfg.conn.transport = !strcmp(argv[0], "sctp") ? M3UA_TRANSPORT_SCTP : M3UA_TRANSPORT_TCP;
	return CMD_SUCCESS;
}

DEFUN(cfg_asp_sctp_addr, cfg_asp_sctp_addr_cmd, "sctp-address (local|remote) A.B.C.D",
      "SCTP multi-homing: one more address of the association (same port)\n"
      "Ours (bound besides the listen address, or alone as a client)\n"
      "The peer's (tried besides the remote address)\nAddress\n")
{
	ASP;
	bool local = !strcmp(argv[0], "local");
	unsigned *n = local ? &a->cfg.conn.n_local_more : &a->cfg.conn.n_remote_more;
	struct sockaddr_storage *more = local ? a->cfg.conn.local_more : a->cfg.conn.remote_more;
	struct sockaddr_in *s;

	if (*n == M3UA_CONN_MORE_ADDRS) {
		vty_out(vty, "%% at most %u more addresses%s", M3UA_CONN_MORE_ADDRS, VTY_NEWLINE);
		return CMD_WARNING;
	}
	s = (struct sockaddr_in *)&more[*n];
	memset(s, 0, sizeof(*s));
	s->sin_family = AF_INET;
	if (inet_pton(AF_INET, argv[1], &s->sin_addr) != 1)
		return CMD_WARNING;
	(*n)++;
	return CMD_SUCCESS;
}

DEFUN(cfg_asp_ssnm_stream, cfg_asp_ssnm_stream_cmd, "ssnm-stream (zero|data)",
      "SCTP stream of SSNM messages (RFC 4666 1.4.7)\nStream 0, with management (default)\n"
      "Stream 1, the first data stream\n")
{
	ASP;
	a->cfg.conn.ssnm_on_data = !strcmp(argv[0], "data");
	return CMD_SUCCESS;
}

DEFUN(cfg_asp_rc, cfg_asp_rc_cmd, "routing-context <0-4294967295>",
      "Routing context (RFC 4666 3.3.1)\nValue\n")
{
	ASP;
	a->cfg.have_rc = true;
	a->cfg.rc = (uint32_t)strtoul(argv[0], NULL, 10);
	return CMD_SUCCESS;
}

DEFUN(cfg_asp_na, cfg_asp_na_cmd, "network-appearance <0-4294967295>",
      "Network Appearance in DATA, SSNM and the routing key; DATA naming another is "
      "refused (RFC 4666 3.3.1)\nValue\n")
{
	ASP;
	a->cfg.have_na = true;
	a->cfg.na = (uint32_t)strtoul(argv[0], NULL, 10);
	return CMD_SUCCESS;
}

DEFUN(cfg_asp_no_na, cfg_asp_no_na_cmd, "no network-appearance",
      NO_STR "No Network Appearance (any received is taken)\n")
{
	ASP;
	a->cfg.have_na = false;
	return CMD_SUCCESS;
}

DEFUN(cfg_asp_aspid, cfg_asp_aspid_cmd, "asp-identifier <0-4294967295>",
      "ASP Identifier sent in ASPUP (RFC 4666 3.5.1)\nValue\n")
{
	ASP;
	a->cfg.have_asp_id = true;
	a->cfg.asp_id = (uint32_t)strtoul(argv[0], NULL, 10);
	return CMD_SUCCESS;
}

DEFUN(cfg_asp_no_aspid, cfg_asp_no_aspid_cmd, "no asp-identifier",
      NO_STR "No ASP Identifier in ASPUP\n")
{
	ASP;
	a->cfg.have_asp_id = false;
	return CMD_SUCCESS;
}

DEFUN(cfg_asp_tm, cfg_asp_tm_cmd, "traffic-mode (override|loadshare|broadcast)",
      "Traffic mode asked for in ASPAC\nOverride\nLoadshare\nBroadcast\n")
{
	ASP;
	a->cfg.traffic_mode = !strcmp(argv[0], "loadshare")   ? 2
			      : !strcmp(argv[0], "broadcast") ? 3
							      : 1;
	return CMD_SUCCESS;
}

DEFUN(cfg_asp_rk, cfg_asp_rk_cmd,
      "routing-key <1-4294967295> destination <0-16777215> origin <0-16777215> "
      "cic-range <0-65535> <0-65535>",
      "Register a routing key for ISUP (RFC 4666 4.4 RKM, SI 5)\nLocal-RK-Identifier\n"
      "Destination point code (ours)\nValue\nOriginating point code (the far exchange)\n"
      "Value\nCircuit range (from the far exchange)\nFirst CIC\nLast CIC\n")
{
	ASP;
	struct m3ua_rk *rk = &a->cfg.rk;
	unsigned first = (unsigned)atoi(argv[3]), last = (unsigned)atoi(argv[4]);

	if (first > last) {
		vty_out(vty, "%% cic-range: %u > %u%s", first, last, VTY_NEWLINE);
		return CMD_WARNING;
	}
	*rk = (struct m3ua_rk){.enabled = true,
			       .lrk_id = (uint32_t)strtoul(argv[0], NULL, 10),
			       .dpc = (uint32_t)strtoul(argv[1], NULL, 10),
			       .si = 5,
			       .opc = {(uint32_t)strtoul(argv[2], NULL, 10)},
			       .n_opc = 1,
			       .have_cics = true,
			       .cic_opc = (uint32_t)strtoul(argv[2], NULL, 10),
			       .cic_first = (uint16_t)first,
			       .cic_last = (uint16_t)last};
	return CMD_SUCCESS;
}

DEFUN(cfg_asp_rk_dpc, cfg_asp_rk_dpc_cmd, "routing-key <1-4294967295> destination <0-16777215>",
      "Register a routing key by destination point code alone (RFC 4666 4.4 RKM; the kind "
      "osmo-stp takes)\nLocal-RK-Identifier\nDestination point code (ours)\nValue\n")
{
	ASP;
	a->cfg.rk = (struct m3ua_rk){.enabled = true,
				     .lrk_id = (uint32_t)strtoul(argv[0], NULL, 10),
				     .dpc = (uint32_t)strtoul(argv[1], NULL, 10)};
	return CMD_SUCCESS;
}

DEFUN(cfg_asp_no_rk, cfg_asp_no_rk_cmd, "no routing-key", NO_STR "Do not register a routing key\n")
{
	ASP;
	a->cfg.rk.enabled = false;
	return CMD_SUCCESS;
}

DEFUN(cfg_asp_tack, cfg_asp_tack_cmd, "timer ack <100-60000>",
      "M3UA timers\nT(ack): a request unanswered this long is sent again\nMilliseconds\n")
{
	ASP;
	a->cfg.ack_ms = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_asp_daud, cfg_asp_daud_cmd, "timer daud <100-600000>",
      "M3UA timers\nDAUD period while a destination is unavailable or congested\n"
      "Milliseconds\n")
{
	ASP;
	a->cfg.daud_ms = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_asp_beat, cfg_asp_beat_cmd, "timer beat <0-600000>",
      "M3UA timers\nBEAT period (0: none); two unanswered drop the association\n"
      "Milliseconds\n")
{
	ASP;
	a->cfg.beat_ms = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

/* --- SCTP association parameters (RFC 4960 15, RFC 6458 8.1) --- */

#define SCTP_STR "SCTP parameters of this association (the kernel's net.sctp.* unless set)\n"

static int sctp_refuse(struct vty *vty, const char *why)
{
	tandem_config_reason("%s", why);
	vty_out(vty, "%% %s%s", why, VTY_NEWLINE);
	return CMD_WARNING;
}

DEFUN(cfg_asp_sctp_rto, cfg_asp_sctp_rto_cmd,
      "sctp rto initial <10-600000> min <10-600000> max <10-600000>",
      SCTP_STR "Retransmission timeout (RFC 4960 6.3; SCTP_RTOINFO)\nRTO.Initial\nMilliseconds\n"
	       "RTO.Min\nMilliseconds\nRTO.Max\nMilliseconds\n")
{
	ASP;
	struct m3ua_sctp_params p = a->cfg.conn.sctp;
	char why[160];

	p.rto_initial_ms = (uint32_t)atoi(argv[0]);
	p.rto_min_ms = (uint32_t)atoi(argv[1]);
	p.rto_max_ms = (uint32_t)atoi(argv[2]);
	if (m3ua_sctp_params_check(&p, why, sizeof(why)) < 0)
		return sctp_refuse(vty, why);
	a->cfg.conn.sctp = p;
	return CMD_SUCCESS;
}

DEFUN(cfg_asp_sctp_hb, cfg_asp_sctp_hb_cmd, "sctp heartbeat interval <1-3600000>",
      SCTP_STR "HEARTBEAT on idle paths (RFC 4960 8.3; SCTP_PEER_ADDR_PARAMS)\n"
	       "HB.interval, to which the path's RTO is added\nMilliseconds\n")
{
	ASP;
	a->cfg.conn.sctp.hb_interval_ms = (uint32_t)atoi(argv[0]);
	a->cfg.conn.sctp.hb_off = false;
	return CMD_SUCCESS;
}

DEFUN(cfg_asp_sctp_hb_off, cfg_asp_sctp_hb_off_cmd, "sctp heartbeat off",
      SCTP_STR "HEARTBEAT on idle paths\nNone (a lost idle path goes unnoticed)\n")
{
	ASP;
	a->cfg.conn.sctp.hb_interval_ms = 0;
	a->cfg.conn.sctp.hb_off = true;
	return CMD_SUCCESS;
}

DEFUN(cfg_asp_sctp_pmr, cfg_asp_sctp_pmr_cmd, "sctp path-max-retrans <1-255>",
      SCTP_STR "Path.Max.Retrans: errors in a row before a path is inactive (RFC 4960 8.2)\n"
	       "Count\n")
{
	ASP;
	a->cfg.conn.sctp.path_max_retrans = (uint16_t)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_asp_sctp_amr, cfg_asp_sctp_amr_cmd, "sctp association-max-retrans <1-255>",
      SCTP_STR "Association.Max.Retrans: errors in a row before the association is lost "
	       "(RFC 4960 8.1; SCTP_ASSOCINFO)\nCount\n")
{
	ASP;
	a->cfg.conn.sctp.assoc_max_retrans = (uint16_t)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_asp_sctp_init, cfg_asp_sctp_init_cmd, "sctp init (max-attempts|max-timeout) <1-65535>",
      SCTP_STR
      "Association set-up (SCTP_INITMSG)\nMax.Init.Retransmits: INITs sent before "
      "giving up\nThe most the INIT timer may back off to\nCount (1-255), or milliseconds\n")
{
	ASP;
	unsigned v = (unsigned)atoi(argv[1]);

	if (!strcmp(argv[0], "max-attempts")) {
		if (v > 255)
			return sctp_refuse(vty, "init max-attempts: 1-255");
		a->cfg.conn.sctp.init_max_attempts = (uint16_t)v;
	} else {
		a->cfg.conn.sctp.init_max_timeo_ms = (uint16_t)v;
	}
	return CMD_SUCCESS;
}

DEFUN(cfg_asp_sctp_streams, cfg_asp_sctp_streams_cmd, "sctp streams <2-65535>",
      SCTP_STR "Outbound streams asked for in INIT and inbound ones allowed (stream 0 for "
	       "management, the others for DATA by SLS)\nCount\n")
{
	ASP;
	a->cfg.conn.sctp.streams = (uint16_t)atoi(argv[0]);
	return CMD_SUCCESS;
}

static void write_sctp_params(struct vty *vty, const struct m3ua_sctp_params *p)
{
	if (p->rto_initial_ms || p->rto_min_ms || p->rto_max_ms)
		vty_out(vty, "  sctp rto initial %u min %u max %u%s", p->rto_initial_ms,
			p->rto_min_ms, p->rto_max_ms, VTY_NEWLINE);
	if (p->hb_off)
		vty_out(vty, "  sctp heartbeat off%s", VTY_NEWLINE);
	else if (p->hb_interval_ms)
		vty_out(vty, "  sctp heartbeat interval %u%s", p->hb_interval_ms, VTY_NEWLINE);
	if (p->path_max_retrans)
		vty_out(vty, "  sctp path-max-retrans %u%s", p->path_max_retrans, VTY_NEWLINE);
	if (p->assoc_max_retrans)
		vty_out(vty, "  sctp association-max-retrans %u%s", p->assoc_max_retrans,
			VTY_NEWLINE);
	if (p->init_max_attempts)
		vty_out(vty, "  sctp init max-attempts %u%s", p->init_max_attempts, VTY_NEWLINE);
	if (p->init_max_timeo_ms)
		vty_out(vty, "  sctp init max-timeout %u%s", p->init_max_timeo_ms, VTY_NEWLINE);
	if (p->streams)
		vty_out(vty, "  sctp streams %u%s", p->streams, VTY_NEWLINE);
}

static int config_write_sigtran(struct vty *vty)
{
	struct m3ua_vty_asp *a;
	static const char *tm[] = {"", "override", "loadshare", "broadcast"};

	vty_out(vty, "sigtran%s", VTY_NEWLINE);
	llist_for_each_entry(a, &m3ua_vty_asps, list)
	{
		struct sockaddr_in *s = (struct sockaddr_in *)&a->cfg.conn.remote;
		char ip[INET_ADDRSTRLEN] = "0.0.0.0";

		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
		vty_out(vty, " asp %s%s", a->name, VTY_NEWLINE);
		if (a->cfg.conn.server) {
			struct sockaddr_in *ls = (struct sockaddr_in *)&a->cfg.conn.local;

			inet_ntop(AF_INET, &ls->sin_addr, ip, sizeof(ip));
			vty_out(vty, "  listen %s %u%s", ip, ntohs(ls->sin_port), VTY_NEWLINE);
		} else {
			vty_out(vty, "  remote %s %u%s", ip, ntohs(s->sin_port), VTY_NEWLINE);
		}
		if (a->cfg.role != M3UA_ROLE_ASP)
			vty_out(vty, "  role %s%s",
				a->cfg.role == M3UA_ROLE_IPSP_CLIENT   ? "ipsp-client"
				: a->cfg.role == M3UA_ROLE_IPSP_SERVER ? "ipsp-server"
								       : "ipsp-de",
				VTY_NEWLINE);
		vty_out(vty, "  transport %s%s",
			a->cfg.conn.transport == M3UA_TRANSPORT_SCTP ? "sctp" : "tcp", VTY_NEWLINE);
		for (unsigned i = 0; i < a->cfg.conn.n_local_more + a->cfg.conn.n_remote_more;
		     i++) {
			bool lo = i < a->cfg.conn.n_local_more;
			const struct sockaddr_in *m =
				(const struct sockaddr_in
					 *)(lo ? &a->cfg.conn.local_more[i]
					       : &a->cfg.conn
							    .remote_more[i -
									 a->cfg.conn.n_local_more]);

			inet_ntop(AF_INET, &m->sin_addr, ip, sizeof(ip));
			vty_out(vty, "  sctp-address %s %s%s", lo ? "local" : "remote", ip,
				VTY_NEWLINE);
		}
		if (a->cfg.conn.ssnm_on_data)
			vty_out(vty, "  ssnm-stream data%s", VTY_NEWLINE);
		write_sctp_params(vty, &a->cfg.conn.sctp);
		if (a->cfg.have_rc)
			vty_out(vty, "  routing-context %u%s", a->cfg.rc, VTY_NEWLINE);
		if (a->cfg.have_na)
			vty_out(vty, "  network-appearance %u%s", a->cfg.na, VTY_NEWLINE);
		if (a->cfg.have_asp_id)
			vty_out(vty, "  asp-identifier %u%s", a->cfg.asp_id, VTY_NEWLINE);
		if (a->cfg.traffic_mode >= 1 && a->cfg.traffic_mode <= 3)
			vty_out(vty, "  traffic-mode %s%s", tm[a->cfg.traffic_mode], VTY_NEWLINE);
		if (a->cfg.rk.enabled && !a->cfg.rk.have_cics)
			vty_out(vty, "  routing-key %u destination %u%s", a->cfg.rk.lrk_id,
				a->cfg.rk.dpc, VTY_NEWLINE);
		else if (a->cfg.rk.enabled)
			vty_out(vty, "  routing-key %u destination %u origin %u cic-range %u %u%s",
				a->cfg.rk.lrk_id, a->cfg.rk.dpc, a->cfg.rk.cic_opc,
				a->cfg.rk.cic_first, a->cfg.rk.cic_last, VTY_NEWLINE);
		if (a->cfg.ack_ms)
			vty_out(vty, "  timer ack %u%s", a->cfg.ack_ms, VTY_NEWLINE);
		if (a->cfg.daud_ms)
			vty_out(vty, "  timer daud %u%s", a->cfg.daud_ms, VTY_NEWLINE);
		if (a->cfg.beat_ms)
			vty_out(vty, "  timer beat %u%s", a->cfg.beat_ms, VTY_NEWLINE);
	}
	{
		struct m3ua_vty_as *s;

		llist_for_each_entry(s, &m3ua_vty_ases, list)
		{
			vty_out(vty, " as %s%s", s->name, VTY_NEWLINE);
			vty_out(vty, "  traffic-mode %s%s",
				s->traffic_mode == 2 ? "loadshare" : "override", VTY_NEWLINE);
			if (s->tr_ms >= 0)
				vty_out(vty, "  timer recovery %d%s", s->tr_ms, VTY_NEWLINE);
			for (unsigned i = 0; i < s->n_asp; i++)
				vty_out(vty, "  asp %s%s", s->asp_names[i], VTY_NEWLINE);
		}
	}
	return CMD_SUCCESS;
}

static int config_write_asp(struct vty *vty)
{
	(void)vty; /* written by the sigtran node */
	return CMD_SUCCESS;
}

void m3ua_vty_init(void)
{
	install_element(CONFIG_NODE, &cfg_sigtran_cmd);
	install_node(&sigtran_node, config_write_sigtran);
	install_element(TANDEM_SIGTRAN_NODE, &cfg_asp_cmd);
	install_element(TANDEM_SIGTRAN_NODE, &cfg_as_cmd);
	install_node(&as_node, config_write_as);
	install_element(TANDEM_SIGTRAN_AS_NODE, &cfg_as_asp_cmd);
	install_element(TANDEM_SIGTRAN_AS_NODE, &cfg_as_tm_cmd);
	install_element(TANDEM_SIGTRAN_AS_NODE, &cfg_as_tr_cmd);
	install_node(&asp_node, config_write_asp);
	install_element(TANDEM_SIGTRAN_ASP_NODE, &cfg_asp_remote_cmd);
	install_element(TANDEM_SIGTRAN_ASP_NODE, &cfg_asp_transport_cmd);
	install_element(TANDEM_SIGTRAN_ASP_NODE, &cfg_asp_listen_cmd);
	install_element(TANDEM_SIGTRAN_ASP_NODE, &cfg_asp_role_cmd);
	install_element(TANDEM_SIGTRAN_ASP_NODE, &cfg_asp_rc_cmd);
	install_element(TANDEM_SIGTRAN_ASP_NODE, &cfg_asp_tm_cmd);
	install_element(TANDEM_SIGTRAN_ASP_NODE, &cfg_asp_sctp_addr_cmd);
	install_element(TANDEM_SIGTRAN_ASP_NODE, &cfg_asp_ssnm_stream_cmd);
	install_element(TANDEM_SIGTRAN_ASP_NODE, &cfg_asp_na_cmd);
	install_element(TANDEM_SIGTRAN_ASP_NODE, &cfg_asp_no_na_cmd);
	install_element(TANDEM_SIGTRAN_ASP_NODE, &cfg_asp_aspid_cmd);
	install_element(TANDEM_SIGTRAN_ASP_NODE, &cfg_asp_no_aspid_cmd);
	install_element(TANDEM_SIGTRAN_ASP_NODE, &cfg_asp_rk_cmd);
	install_element(TANDEM_SIGTRAN_ASP_NODE, &cfg_asp_rk_dpc_cmd);
	install_element(TANDEM_SIGTRAN_ASP_NODE, &cfg_asp_no_rk_cmd);
	install_element(TANDEM_SIGTRAN_ASP_NODE, &cfg_asp_tack_cmd);
	install_element(TANDEM_SIGTRAN_ASP_NODE, &cfg_asp_daud_cmd);
	install_element(TANDEM_SIGTRAN_ASP_NODE, &cfg_asp_beat_cmd);
	install_element(TANDEM_SIGTRAN_ASP_NODE, &cfg_asp_sctp_rto_cmd);
	install_element(TANDEM_SIGTRAN_ASP_NODE, &cfg_asp_sctp_hb_cmd);
	install_element(TANDEM_SIGTRAN_ASP_NODE, &cfg_asp_sctp_hb_off_cmd);
	install_element(TANDEM_SIGTRAN_ASP_NODE, &cfg_asp_sctp_pmr_cmd);
	install_element(TANDEM_SIGTRAN_ASP_NODE, &cfg_asp_sctp_amr_cmd);
	install_element(TANDEM_SIGTRAN_ASP_NODE, &cfg_asp_sctp_init_cmd);
	install_element(TANDEM_SIGTRAN_ASP_NODE, &cfg_asp_sctp_streams_cmd);
	m3ua_vty_run_init();
}
