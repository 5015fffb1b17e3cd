/* A trunk's security settings in the "sip" node: the realm of our digest
 * challenges, RFC 3325 identity trust, the calling number used when an
 * untrusted trunk gives none, and the client certificate for mutual TLS. */
#include <string.h>

#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "core/vty.h"
#include "sip/sip_transport.h"
#include "sip/sip_trunk.h"

#define TRUNK struct sip_trunk *t = vty->index

DEFUN(cfg_trunk_auth_realm, cfg_trunk_auth_realm_cmd, "auth-realm NAME",
      "Realm of the digest challenges sent to this trunk (default: tandem)\nRealm\n")
{
	TRUNK;
	if (strpbrk(argv[0], "\"\\")) {
		vty_out(vty, "%% a realm cannot hold quotes or backslashes%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	osmo_talloc_replace_string(t, &t->auth_realm, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_trunk_auth_algs, cfg_trunk_auth_algs_cmd, "auth-algorithms (sha-256-md5|sha-256|md5)",
      "Digest algorithms of the challenges sent to this trunk\nSHA-256 and MD5, one "
      "WWW-Authenticate each, SHA-256 first (RFC 8760, the default)\nSHA-256 only\nMD5 only "
      "(for UACs that answer only the first challenge and know only MD5)\n")
{
	TRUNK;
	t->auth_algs = !strcmp(argv[0], "sha-256") ? SIP_TRUNK_AUTH_SHA256
		       : !strcmp(argv[0], "md5")   ? SIP_TRUNK_AUTH_MD5
						   : 0;
	return CMD_SUCCESS;
}

DEFUN(cfg_trunk_trust, cfg_trunk_trust_cmd, "trust-identity (yes|no)",
      "RFC 3325: whether this trunk's P-Asserted-Identity is believed (it is in our trust "
      "domain)\nYes: its PAI gives a network-provided calling number, and PAI goes to it even "
      "with Privacy: id\nNo (default): PAI and Privacy from it are removed, the calling "
      "number is the From, user provided not screened\n")
{
	TRUNK;
	t->trust_identity = !strcmp(argv[0], "yes");
	return CMD_SUCCESS;
}

DEFUN(cfg_trunk_default_cli, cfg_trunk_default_cli_cmd, "default-calling-number NUMBER",
      "Calling number (E.164 without +) put in the IAM for calls from this untrusted trunk "
      "instead of the From's\nDigits\n")
{
	TRUNK;
	const char *p = argv[0][0] == '+' ? argv[0] + 1 : argv[0];

	if (!*p || strspn(p, "0123456789") != strlen(p) || strlen(p) > 15) {
		vty_out(vty, "%% %s is not an E.164 number%s", argv[0], VTY_NEWLINE);
		return CMD_WARNING;
	}
	osmo_talloc_replace_string(t, &t->default_calling, p);
	return CMD_SUCCESS;
}

DEFUN(cfg_trunk_no_default_cli, cfg_trunk_no_default_cli_cmd, "no default-calling-number",
      NO_STR "Use the From's number\n")
{
	TRUNK;
	TALLOC_FREE(t->default_calling);
	return CMD_SUCCESS;
}

DEFUN(cfg_trunk_tls_cert, cfg_trunk_tls_cert_cmd, "tls certificate FILE key FILE",
      "TLS toward the trunk\nClient certificate presented to the trunk (mutual TLS)\nPEM "
      "file\nIts private key\nPEM file\n")
{
	TRUNK;
	osmo_talloc_replace_string(t, &t->tls_cert, argv[0]);
	osmo_talloc_replace_string(t, &t->tls_key, argv[1]);
	return CMD_SUCCESS;
}

DEFUN(cfg_trunk_tls_client, cfg_trunk_tls_client_cmd, "tls client-ca FILE name NAME",
      "TLS from the trunk\nIts requests must come over TLS with a certificate chaining to this "
      "CA\nPEM file\n... and carrying this name (DNS name or IP address) in its "
      "subjectAltName\nName\n")
{
	TRUNK;
	osmo_talloc_replace_string(t, &t->tls_client_ca, argv[0]);
	osmo_talloc_replace_string(t, &t->tls_client_name, argv[1]);
	return CMD_SUCCESS;
}

void sip_vty_sec_write_trunk(struct vty *vty, const struct sip_trunk *t)
{
	if (t->auth_realm)
		vty_out(vty, "  auth-realm %s%s", t->auth_realm, VTY_NEWLINE);
	if (t->auth_algs)
		vty_out(vty, "  auth-algorithms %s%s",
			t->auth_algs == SIP_TRUNK_AUTH_MD5 ? "md5" : "sha-256", VTY_NEWLINE);
	vty_out(vty, "  trust-identity %s%s", t->trust_identity ? "yes" : "no", VTY_NEWLINE);
	if (t->default_calling)
		vty_out(vty, "  default-calling-number %s%s", t->default_calling, VTY_NEWLINE);
	if (t->tls_cert)
		vty_out(vty, "  tls certificate %s key %s%s", t->tls_cert, t->tls_key, VTY_NEWLINE);
	if (t->tls_client_ca)
		vty_out(vty, "  tls client-ca %s name %s%s", t->tls_client_ca, t->tls_client_name,
			VTY_NEWLINE);
}

bool sip_trunk_tls_cfg(const struct sip_trunk *t, struct sip_tls_cfg *out)
{
	if (!t->tls_verify && !t->tls_cert)
		return false;
	*out = (struct sip_tls_cfg){.ca_file = t->tls_ca,
				    .verify_peer = t->tls_verify,
				    .server_name = t->tls_server_name,
				    .cert_file = t->tls_cert,
				    .key_file = t->tls_key};
	return true;
}

void sip_vty_sec_init(void)
{
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_auth_realm_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_auth_algs_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_trust_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_default_cli_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_no_default_cli_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_tls_cert_cmd);
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_tls_client_cmd);
}
