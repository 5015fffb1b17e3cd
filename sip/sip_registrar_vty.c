/* A registered trunk's commands and "show sip registrations". */
#include <inttypes.h>
#include <stdlib.h>

#include <osmocom/core/utils.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "core/metrics.h"
#include "core/vty.h"
#include "sip/sip_acl.h"
#include "sip/sip_registrar.h"
#include "sip/sip_trunk.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>

#define TRUNK struct sip_trunk *t = vty->index

DEFUN(cfg_trunk_registered, cfg_trunk_registered_cmd, "registered",
      "The peer (an IP-PBX) registers with us with the trunk's auth credentials (AOR user = "
      "auth user); calls toward the trunk go to its registered Contact\n")
{
	TRUNK;
	t->registrar = true;
	return CMD_SUCCESS;
}

DEFUN(cfg_trunk_no_registered, cfg_trunk_no_registered_cmd, "no registered",
      NO_STR "The trunk is reached at its remote address, not by registration\n")
{
	TRUNK;
	t->registrar = false;
	return CMD_SUCCESS;
}

DEFUN(cfg_trunk_reg_expires, cfg_trunk_reg_expires_cmd,
      "registered expires min <1-86400> max <1-86400>",
      "The peer registers with us\nRegistration intervals\nShortest accepted (shorter: 423 "
      "Interval Too Brief, default 60)\nSeconds\nLongest granted (longer requests are "
      "shortened; also the default, 3600)\nSeconds\n")
{
	TRUNK;
	unsigned mn = (unsigned)atoi(argv[0]), mx = (unsigned)atoi(argv[1]);

	if (mn > mx) {
		tandem_config_reason("registered expires: min %u above max %u", mn, mx);
		vty_out(vty, "%% min %u is above max %u%s", mn, mx, VTY_NEWLINE);
		return CMD_WARNING;
	}
	t->registrar = true;
	t->reg_min_expires = mn;
	t->reg_max_expires = mx;
	return CMD_SUCCESS;
}

DEFUN(cfg_trunk_reg_state_file, cfg_trunk_reg_state_file_cmd, "registered state-file PATH",
      "The peer registers with us\nKeep the bindings in a file: a restart of tandemd "
      "restores them with the lifetime they have left\nFile (written whole on each change)\n")
{
	TRUNK;
	t->registrar = true;
	osmo_talloc_replace_string(t, &t->reg_state_file, argv[0]);
	return CMD_SUCCESS;
}

void sip_registrar_vty_write_trunk(struct vty *vty, const struct sip_trunk *t)
{
	if (!t->registrar)
		return;
	if (t->reg_min_expires || t->reg_max_expires)
		vty_out(vty, "  registered expires min %u max %u%s", t->reg_min_expires,
			t->reg_max_expires, VTY_NEWLINE);
	else
		vty_out(vty, "  registered%s", VTY_NEWLINE);
	if (t->reg_state_file)
		vty_out(vty, "  registered state-file %s%s", t->reg_state_file, VTY_NEWLINE);
}

static void src_str(const struct sip_reg_binding *b, char *buf, size_t size)
{
	uint8_t a[16];
	int fam;
	uint16_t port;
	char host[INET6_ADDRSTRLEN] = "?";

	if (!b->src_len || sip_acl_addr((const struct sockaddr *)&b->src, a, &fam, &port) < 0) {
		snprintf(buf, size, "-");
		return;
	}
	inet_ntop(fam, a, host, sizeof(host));
	snprintf(buf, size, "%s:%s%s%s:%u", sip_proto_name(b->proto), fam == AF_INET6 ? "[" : "",
		 host, fam == AF_INET6 ? "]" : "", port);
}

DEFUN(show_sip_registrations, show_sip_registrations_cmd, "show sip registrations",
      SHOW_STR "SIP\nThe bindings of the trunks of kind registered (RFC 3261 10.3)\n")
{
	const struct sip_registrar_stats *st = &sip_registrar_stats;
	uint64_t now = sip_registrar_now();
	struct sip_trunk *t;
	unsigned n = 0;

	llist_for_each_entry(t, &sip_cfg.trunks, list)
	{
		const struct sip_reg_table *tab;

		if (!t->registrar)
			continue;
		tab = sip_registrar_table(t);
		if (!tab || !tab->n) {
			vty_out(vty, "trunk %s aor %s: not registered%s", t->name,
				t->auth_user ? t->auth_user : "(no auth user)", VTY_NEWLINE);
			continue;
		}
		for (unsigned i = 0; i < tab->n; i++) {
			const struct sip_reg_binding *b = &tab->b[i];
			char src[80];

			if (b->expires_at <= now)
				continue;
			src_str(b, src, sizeof(src));
			vty_out(vty,
				"trunk %s aor %s contact <%s> source %s expires-in %" PRIu64
				" s ua \"%s\"%s",
				t->name, t->auth_user ? t->auth_user : "-", b->contact, src,
				b->expires_at - now, b->user_agent, VTY_NEWLINE);
			n++;
		}
	}
	vty_out(vty,
		"%u binding(s); REGISTER %" PRIu64 " (ok %" PRIu64 ", queries %" PRIu64
		", refused %" PRIu64 ", 423 %" PRIu64 ", out of order %" PRIu64 "), bound %" PRIu64
		", removed %" PRIu64 ", expired %" PRIu64 ", calls to absent %" PRIu64 "%s",
		n, st->registers, st->ok, st->queries, st->refused, st->too_brief, st->out_of_order,
		st->added, st->removed, st->expired, st->calls_absent, VTY_NEWLINE);
	return CMD_SUCCESS;
}

void sip_registrar_metrics(struct tandem_metrics_out *o)
{
	const struct sip_registrar_stats *st = &sip_registrar_stats;
	uint64_t now = sip_registrar_now();
	struct sip_trunk *t;
	static const char *const fam = "tandem_sip_registrar_events_total";

	tandem_metrics_family(o, "tandem_sip_registrations", "gauge",
			      "Live bindings of a trunk of kind registered");
	llist_for_each_entry(t, &sip_cfg.trunks, list)
	{
		const struct sip_reg_table *tab = sip_registrar_table(t);
		unsigned n = 0;

		if (!t->registrar)
			continue;
		for (unsigned i = 0; tab && i < tab->n; i++)
			n += tab->b[i].expires_at > now;
		tandem_metrics_sample(o, "tandem_sip_registrations", n, "trunk", t->name, NULL);
	}
	tandem_metrics_family(o, fam, "counter",
			      "Registrar events: REGISTER received, answered 200, refused, 423, "
			      "out of order; bindings added, removed, expired; calls to a trunk "
			      "with no binding (cause 20)");
	tandem_metrics_sample(o, fam, (double)st->registers, "event", "register", NULL);
	tandem_metrics_sample(o, fam, (double)st->ok, "event", "ok", NULL);
	tandem_metrics_sample(o, fam, (double)st->refused, "event", "refused", NULL);
	tandem_metrics_sample(o, fam, (double)st->too_brief, "event", "too_brief", NULL);
	tandem_metrics_sample(o, fam, (double)st->out_of_order, "event", "out_of_order", NULL);
	tandem_metrics_sample(o, fam, (double)st->added, "event", "bound", NULL);
	tandem_metrics_sample(o, fam, (double)st->removed, "event", "removed", NULL);
	tandem_metrics_sample(o, fam, (double)st->expired, "event", "expired", NULL);
	tandem_metrics_sample(o, fam, (double)st->calls_absent, "event", "call_absent", NULL);
}

int sip_registrar_cfg_check(FILE *out)
{
	struct sip_trunk *t;
	int n = 0;
	char pfx[160];

	llist_for_each_entry(t, &sip_cfg.trunks, list)
	{
		if (!t->registrar)
			continue;
		snprintf(pfx, sizeof(pfx), "trunk %s", t->name);
		if (!t->auth_user) {
			fprintf(out,
				"%s:%u: trunk %s: registered needs \"auth USER PASSWORD\" (the "
				"credentials the PBX registers with; USER is its AOR's user)\n",
				tandem_config_name(), tandem_config_find_line(pfx, NULL, 0),
				t->name);
			n++;
		}
		if (t->host) {
			fprintf(out,
				"%s:%u: trunk %s: registered and remote exclude each other (calls "
				"go to the registered Contact)\n",
				tandem_config_name(), tandem_config_find_line(pfx, NULL, 0),
				t->name);
			n++;
		}
	}
	return n;
}

void sip_registrar_vty_init(void)
{
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_registered_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_no_registered_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_reg_expires_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_reg_state_file_cmd);
	install_element_ve(&show_sip_registrations_cmd);
}
