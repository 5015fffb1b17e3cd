/* sip-ua: a small SIP user agent built on tandem's sip/ layer, for the
 * integration tests against sipp (and for people poking at the stack).
 *
 *   sip-ua --listen udp|tcp:IP:PORT --uas [--seconds S]
 *       answers every INVITE with 180 then 200 (SDP), takes the BYE
 *   sip-ua --listen udp|tcp:IP:PORT --uac IP:PORT --calls N [--hold MS] [--seconds S]
 *          [--ruri URI] [--sipi-iam CALLING:CPC:APRI]
 *          [--sipi-extra HEX]
 *          [--auth USER:PASSWORD]
 *   --require-auth USER:PASSWORD (UAS): challenge callers from 127.0.0.1 (digest)
 *   --listen tls:IP:PORT --cert PEM --key PEM; --ca PEM --tls-name NAME (verify the peer)
 *       places N calls to IP:PORT (one after the other), hangs up after MS
 *
 * Prints one line per event ("CALL n answered", "CALL n failed 486", "BYE rx"...)
 * and at the end "RESULT answered=N failed=N byes=N"; exit 0 when every call
 * it placed was answered and hung up (UAC), or when it answered at least one
 * (UAS). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/application.h>
#include <osmocom/core/talloc.h>

#include "core/log.h"
#include "core/loop.h"
#include "interwork/iw_sipi.h"
#include "sigtran/isup_msg.h"
#include "sigtran/isup_param.h"
#include "sip/sip_trunk.h"
#include "sip/sip_ua.h"

static struct loop *L;
static struct sip_ua *UA;
static struct sip_trunk trunk;
static int calls_wanted, calls_placed, answered, failed, byes, hold_ms = 500, cancelled;
static bool uas, prack;
static char sdp[512];
static const char *ruri_opt;
/* --sipi-iam CALLING:CPC:APRI: a SIP-I INVITE whose body carries an IAM
 * (Q.1912.5) with this calling number (national), category and
 * presentation indicator */
static const char *sipi_iam;
static uint8_t sipi_extra[96];
static size_t sipi_extra_len;

static const char sdp_fmt[] = "v=0\r\n"
			      "o=tandem 1 1 IN IP4 %s\r\n"
			      "s=-\r\n"
			      "c=IN IP4 %s\r\n"
			      "t=0 0\r\n"
			      "m=audio %u RTP/AVP 8 101\r\n"
			      "a=rtpmap:8 PCMA/8000\r\n"
			      "a=rtpmap:101 telephone-event/8000\r\n"
			      "a=fmtp:101 0-15\r\n"
			      "a=ptime:20\r\n";

static void place_call(void *p);
static struct loop_timer next_call, hangup, stop_tmr;
static struct sip_leg *cur;

static void leg_gone(void *u, struct sip_leg *leg)
{
	(void)u;
	(void)leg;
	if (leg == cur)
		cur = NULL;
	if (!uas && calls_placed < calls_wanted)
		loop_timer_schedule(L, &next_call, 50000);
	else if (!uas)
		loop_stop(L);
}

static void do_hangup(void *p)
{
	(void)p;
	if (cur && sip_leg_bye(cur, NULL) == 0)
		printf("CALL %d bye sent\n", calls_placed);
}

static void uac_progress(void *u, struct sip_leg *leg, const struct sip_msg *rsp)
{
	(void)u;
	(void)leg;
	printf("CALL %d progress %u\n", calls_placed, rsp->status);
}

static void uac_answered(void *u, struct sip_leg *leg, const struct sip_msg *rsp)
{
	(void)u;
	(void)leg;
	(void)rsp;
	answered++;
	printf("CALL %d answered\n", calls_placed);
	loop_timer_schedule(L, &hangup, (uint64_t)hold_ms * 1000);
}

static void uac_failed(void *u, struct sip_leg *leg, unsigned status, const struct sip_msg *rsp)
{
	(void)u;
	(void)leg;
	(void)rsp;
	failed++;
	printf("CALL %d failed %u\n", calls_placed, status);
}

static void any_bye(void *u, struct sip_leg *leg, const struct sip_msg *bye)
{
	(void)u;
	(void)leg;
	(void)bye;
	byes++;
	printf("BYE rx\n");
}

static void uas_ack(void *u, struct sip_leg *leg, const struct sip_msg *ack)
{
	(void)u;
	(void)leg;
	(void)ack;
	printf("ACK rx\n");
}

static void uas_cancelled(void *u, struct sip_leg *leg, const struct sip_msg *c)
{
	(void)u;
	(void)leg;
	(void)c;
	cancelled++;
	printf("CANCEL rx\n");
}

static const struct sip_leg_ops leg_ops = {
	.progress = uac_progress,
	.answered = uac_answered,
	.failed = uac_failed,
	.bye = any_bye,
	.ack = uas_ack,
	.cancelled = uas_cancelled,
	.gone = leg_gone,
};

static void place_call(void *p)
{
	struct sip_invite_spec s = {.trunk = &trunk};
	char ruri[128];

	(void)p;
	calls_placed++;
	static char mp[2048], ctype[128];

	if (ruri_opt)
		snprintf(ruri, sizeof(ruri), "%s", ruri_opt);
	else
		snprintf(ruri, sizeof(ruri), "sip:service@%s:%u", trunk.host, trunk.port);
	s.ruri = ruri;
	s.from = "sip:+4930123456@tandem.invalid";
	s.to = ruri;
	s.body.content_type = "application/sdp";
	s.body.body = sdp;
	s.body.len = strlen(sdp);
	if (sipi_iam) {
		struct isup_number called = {.noa = 3, .npi = 1, .st = true},
				   calling = {.noa = 3, .npi = 1};
		uint8_t noci = 0, fci[2] = {0x60, 0x01}, cpc = 10, tmr = 3, cd[24], cg[24],
			enc[272];
		unsigned apri = 0;
		struct isup_msg m;
		const uint8_t *body;
		size_t blen;
		uint16_t cic;
		int n1, n2, n;

		sscanf(sipi_iam, "%40[0-9]:%hhu:%u", calling.digits, &cpc, &apri);
		calling.apri = (uint8_t)apri;
		calling.screening = 3; /* network provided */
		snprintf(called.digits, sizeof(called.digits), "%s", "89000000");
		n1 = isup_number_encode(ISUP_PAR_CALLED_PARTY_NUMBER, &called, cd, sizeof(cd));
		n2 = isup_number_encode(ISUP_PAR_CALLING_PARTY_NUMBER, &calling, cg, sizeof(cg));
		isup_msg_init(&m, ISUP_MT_IAM, 0);
		isup_msg_add(&m, ISUP_PAR_NATURE_OF_CONNECTION_INDICATORS, &noci, 1);
		isup_msg_add(&m, ISUP_PAR_FORWARD_CALL_INDICATORS, fci, 2);
		isup_msg_add(&m, ISUP_PAR_CALLING_PARTYS_CATEGORY, &cpc, 1);
		isup_msg_add(&m, ISUP_PAR_TRANSMISSION_MEDIUM_REQUIREMENT, &tmr, 1);
		isup_msg_add(&m, ISUP_PAR_CALLED_PARTY_NUMBER, cd, (size_t)n1);
		isup_msg_add(&m, ISUP_PAR_CALLING_PARTY_NUMBER, cg, (size_t)n2);
		/* --sipi-extra HEX: raw optional parameters (code, length,
		 * value ...) added to the IAM, e.g. ones no exchange knows */
		for (size_t k = 0;
		     k + 2 <= sipi_extra_len && k + 2 + sipi_extra[k + 1] <= sipi_extra_len;
		     k += 2 + (size_t)sipi_extra[k + 1])
			isup_msg_add(&m, sipi_extra[k], &sipi_extra[k + 2], sipi_extra[k + 1]);
		n = isup_msg_encode(ISUP_VAR_ITU, &m, enc, sizeof(enc));
		if (n > 0 && iw_sipi_isup_strip_cic(enc, (size_t)n, &body, &blen, &cic) == 0) {
			n = iw_sipi_build(mp, sizeof(mp), sdp, strlen(sdp), body, blen,
					  IW_SIPI_ITU_T92, "peer-boundary-1", ctype, sizeof(ctype));
			if (n > 0) {
				s.body.content_type = ctype;
				s.body.body = mp;
				s.body.len = (size_t)n;
			}
		}
	}
	cur = sip_leg_invite(UA, &s, &leg_ops, NULL);
	if (!cur) {
		failed++;
		printf("CALL %d could not be sent\n", calls_placed);
		loop_stop(L);
	}
}

static void incoming(void *priv, struct sip_leg *leg, struct sip_trunk *t,
		     const struct sip_msg *invite)
{
	struct sip_body b = {.content_type = "application/sdp", .body = sdp, .len = strlen(sdp)};

	(void)priv;
	(void)t;
	(void)invite;
	sip_leg_set_user(leg, &leg_ops, NULL);
	sip_leg_respond(leg, 180, NULL);
	if (sip_leg_respond(leg, 200, &b) == 0) {
		answered++;
		printf("INVITE answered\n");
	}
}

static const struct sip_ua_ops ua_ops = {.incoming = incoming};

static void do_stop(void *p)
{
	(void)p;
	loop_stop(L);
}

static int parse_hostport(const char *s, char *host, size_t hlen, unsigned *port)
{
	const char *c = strrchr(s, ':');

	if (!c || (size_t)(c - s) >= hlen)
		return -1;
	memcpy(host, s, (size_t)(c - s));
	host[c - s] = 0;
	*port = (unsigned)atoi(c + 1);
	return *port ? 0 : -1;
}

int main(int argc, char **argv)
{
	const char *listen = NULL, *uac_to = NULL, *cert = NULL, *key = NULL, *ca = NULL,
		   *tls_name = NULL;
	double seconds = 10;
	enum sip_proto proto = SIP_PROTO_UDP;
	char host[64];
	unsigned port;
	struct sockaddr_in a = {.sin_family = AF_INET};
	void *ctx = talloc_named_const(NULL, 0, "sip-ua");

	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(argv[i], "--uas"))
			uas = true;
		else if (!strcmp(argv[i], "--listen") && v)
			listen = argv[++i];
		else if (!strcmp(argv[i], "--uac") && v)
			uac_to = argv[++i];
		else if (!strcmp(argv[i], "--ruri") && v)
			ruri_opt = argv[++i];
		else if (!strcmp(argv[i], "--sipi-iam") && v)
			sipi_iam = argv[++i];
		else if (!strcmp(argv[i], "--sipi-extra") && v) {
			const char *h = argv[++i];
			unsigned b;

			for (sipi_extra_len = 0;
			     h[0] && h[1] && sipi_extra_len < sizeof(sipi_extra) &&
			     sscanf(h, "%2x", &b) == 1;
			     h += 2)
				sipi_extra[sipi_extra_len++] = (uint8_t)b;
		} else if (!strcmp(argv[i], "--calls") && v)
			calls_wanted = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--hold") && v)
			hold_ms = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--seconds") && v)
			seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "--prack"))
			trunk.prack = prack = true;
		else if (!strcmp(argv[i], "--cert") && v)
			cert = argv[++i];
		else if (!strcmp(argv[i], "--key") && v)
			key = argv[++i];
		else if (!strcmp(argv[i], "--ca") && v)
			ca = argv[++i];
		else if (!strcmp(argv[i], "--tls-name") && v)
			tls_name = argv[++i];
		else if (!strcmp(argv[i], "--require-auth") && v && strchr(v, ':')) {
			static char cred[128];
			static struct sip_trunk in;

			snprintf(cred, sizeof(cred), "%s", argv[++i]);
			*strchr(cred, ':') = 0;
			in.name = "callers";
			in.host = "127.0.0.1";
			in.require_auth = true;
			in.auth_user = cred;
			in.auth_pass = cred + strlen(cred) + 1;
			/* user:password:md5 challenges with MD5 only (sipp 3.6
			 * answers only the first challenge and knows only MD5) */
			if (strchr(in.auth_pass, ':')) {
				in.auth_algs = !strcmp(strchr(in.auth_pass, ':') + 1, "md5")
						       ? SIP_TRUNK_AUTH_MD5
						       : SIP_TRUNK_AUTH_SHA256;
				*strchr(in.auth_pass, ':') = 0;
			}
			llist_add_tail(&in.list, &sip_cfg.trunks);
		} else if (!strcmp(argv[i], "--auth") && v && strchr(v, ':')) {
			static char cred[128];

			snprintf(cred, sizeof(cred), "%s", argv[++i]);
			*strchr(cred, ':') = 0;
			trunk.auth_user = cred;
			trunk.auth_pass = cred + strlen(cred) + 1;
		} else {
			fprintf(stderr,
				"usage: sip-ua --listen udp|tcp:IP:PORT (--uas | --uac IP:PORT "
				"--calls N [--hold MS]) [--seconds S]\n");
			return 2;
		}
	}
	if (!listen || (!uas && !uac_to)) {
		fprintf(stderr, "sip-ua: need --listen and --uas or --uac\n");
		return 2;
	}
	if (!strncmp(listen, "tcp:", 4))
		proto = SIP_PROTO_TCP;
	if (!strncmp(listen, "tls:", 4))
		proto = SIP_PROTO_TLS;
	if (parse_hostport(listen + 4, host, sizeof(host), &port) < 0)
		return 2;
	a.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, host, &a.sin_addr);

	{
		/* a test peer takes requests from anyone: one trunk admitting
		 * every source, matched after any configured one */
		static struct sip_acl_entry any[2];
		static struct sip_trunk open_trunk = {.name = "anyone", .allow = any, .n_allow = 2};

		sip_acl_entry_parse(&any[0], "0.0.0.0/0", 0, NULL);
		sip_acl_entry_parse(&any[1], "::/0", 0, NULL);
		llist_add_tail(&open_trunk.list, &sip_cfg.trunks);
	}
	tandem_log_init(ctx);
	log_set_log_level(osmo_stderr_target, LOGL_NOTICE);
	L = loop_alloc(ctx, &(struct loop_cfg){.drive_osmocom = true, .udp_buf_size = 8192});
	UA = sip_ua_alloc(ctx, L,
			  &(struct sip_ua_cfg){.user_agent = "tandem-test-ua", .prack = prack},
			  &ua_ops, NULL);
	if (ca &&
	    sip_transport_set_client_tls(sip_ua_transport(UA),
					 &(struct sip_tls_cfg){.ca_file = ca,
							       .verify_peer = true,
							       .server_name = tls_name}) < 0) {
		fprintf(stderr, "sip-ua: bad --ca %s\n", ca);
		return 1;
	}
	if (!L || !UA ||
	    sip_ua_listen(UA, proto, (struct sockaddr *)&a, sizeof(a),
			  &(struct sip_tls_cfg){.cert_file = cert, .key_file = key}) < 0) {
		fprintf(stderr, "sip-ua: cannot listen on %s\n", listen);
		return 1;
	}
	snprintf(sdp, sizeof(sdp), sdp_fmt, host, host, 40000u);
	loop_timer_init(&next_call, place_call, NULL);
	loop_timer_init(&hangup, do_hangup, NULL);
	loop_timer_init(&stop_tmr, do_stop, NULL);
	loop_timer_schedule(L, &stop_tmr, (uint64_t)(seconds * 1e6));
	if (!uas) {
		char th[64];
		unsigned tp;

		trunk.proto = proto;
		if (!strncmp(uac_to, "tls:", 4)) {
			trunk.proto = SIP_PROTO_TLS;
			uac_to += 4;
		}
		if (parse_hostport(uac_to, th, sizeof(th), &tp) < 0)
			return 2;
		trunk.name = "peer";
		trunk.host = th;
		trunk.port = (uint16_t)tp;
		loop_timer_schedule(L, &next_call, 1000);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	loop_run(L);
	printf("RESULT answered=%d failed=%d byes=%d cancelled=%d placed=%d\n", answered, failed,
	       byes, cancelled, calls_placed);
	sip_ua_free(UA);
	loop_free(L);
	if (uas)
		return answered > 0 ? 0 : 1;
	return answered == calls_wanted && failed == 0 ? 0 : 1;
}
