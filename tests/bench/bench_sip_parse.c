/* Parse throughput: tandem's SIP parser vs libosip2's osip_message_parse on
 * the same INVITE/180/200/ACK/BYE messages in the same run, measured two
 * ways, both stated in the output:
 *   minimal - each side parses and reads what a transaction layer needs:
 *     top Via branch, CSeq, Call-ID, From and To tags (tandem decodes those
 *     five lazily; libosip2 parses every header and allocates);
 *   full    - each side parses and reads every header tandem reads on a
 *     real INVITE/200/BYE path (sip_ua.c, sip_dialog.c, iw_call.c): every
 *     Via, Max-Forwards, every Record-Route, Contact, From/To with tags,
 *     Call-ID, CSeq, Supported/Require tokens (100rel, timer),
 *     Session-Expires, Min-SE, P-Asserted-Identity (as a name-addr),
 *     Privacy tokens, Content-Type, RSeq, Reason (the Q.850 cause). libosip2
 *     keeps the headers it does not know as strings: reading the same field
 *     means parsing it (PAI with osip_from_parse) or scanning it, as a user
 *     of libosip2 would.
 * Rounds alternate (tandem, libosip2, tandem, ...), 0.1 s each, the process
 * pinned to one CPU. Prints messages/s for both and the ratio. */
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sip/sip_hdr.h"
/* after tandem's headers: libosip2 #defines names like SIP_OK */
#include <osipparser2/osip_parser.h>

static const char *const msgs[] = {
	"INVITE sip:+4930123456@gw1.carrier.example.net;user=phone SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bK-524287-1---7a4c9f2e1b3d;rport\r\n"
	"Max-Forwards: 69\r\n"
	"Record-Route: <sip:203.0.113.10;lr;ftag=as1f2e3d4c>\r\n"
	"Contact: <sip:+4940987654@203.0.113.10:5060;transport=udp>\r\n"
	"To: <sip:+4930123456@gw1.carrier.example.net;user=phone>\r\n"
	"From: \"+4940987654\" <sip:+4940987654@carrier.example.net;user=phone>;tag=as1f2e3d4c\r\n"
	"Call-ID: 3c26700a6e5a-bq5ujz9wkvhl@203.0.113.10\r\n"
	"CSeq: 102 INVITE\r\n"
	"Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, PRACK, UPDATE, INFO\r\n"
	"Supported: 100rel, timer\r\n"
	"Session-Expires: 1800;refresher=uac\r\n"
	"Min-SE: 90\r\n"
	"P-Asserted-Identity: <sip:+4940987654@carrier.example.net;user=phone>\r\n"
	"Privacy: none\r\n"
	"Content-Type: application/sdp\r\n"
	"Content-Length: 238\r\n"
	"\r\n"
	"v=0\r\n"
	"o=- 1700000000 1700000000 IN IP4 203.0.113.20\r\n"
	"s=-\r\n"
	"c=IN IP4 203.0.113.20\r\n"
	"t=0 0\r\n"
	"m=audio 40000 RTP/AVP 8 0 101\r\n"
	"a=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=fmtp:101 0-15\r\n"
	"a=ptime:20\r\n"
	"a=sendrecv\r\n",

	"SIP/2.0 180 Ringing\r\n"
	"Via: SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bK-524287-1---7a4c9f2e1b3d;rport=5060;"
	"received=203.0.113.10\r\n"
	"Record-Route: <sip:203.0.113.10;lr;ftag=as1f2e3d4c>\r\n"
	"Contact: <sip:gw@198.51.100.5:5060>\r\n"
	"To: <sip:+4930123456@gw1.carrier.example.net;user=phone>;tag=tg-8f3a91\r\n"
	"From: \"+4940987654\" <sip:+4940987654@carrier.example.net;user=phone>;tag=as1f2e3d4c\r\n"
	"Call-ID: 3c26700a6e5a-bq5ujz9wkvhl@203.0.113.10\r\n"
	"CSeq: 102 INVITE\r\n"
	"Server: tandem\r\n"
	"Content-Length: 0\r\n"
	"\r\n",

	"SIP/2.0 200 OK\r\n"
	"Via: SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bK-524287-1---7a4c9f2e1b3d;rport=5060;"
	"received=203.0.113.10\r\n"
	"Record-Route: <sip:203.0.113.10;lr;ftag=as1f2e3d4c>\r\n"
	"Contact: <sip:gw@198.51.100.5:5060>\r\n"
	"To: <sip:+4930123456@gw1.carrier.example.net;user=phone>;tag=tg-8f3a91\r\n"
	"From: \"+4940987654\" <sip:+4940987654@carrier.example.net;user=phone>;tag=as1f2e3d4c\r\n"
	"Call-ID: 3c26700a6e5a-bq5ujz9wkvhl@203.0.113.10\r\n"
	"CSeq: 102 INVITE\r\n"
	"Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, PRACK, UPDATE, INFO\r\n"
	"Supported: 100rel, timer\r\n"
	"Require: timer\r\n"
	"Session-Expires: 1800;refresher=uac\r\n"
	"Content-Type: application/sdp\r\n"
	"Content-Length: 169\r\n"
	"\r\n"
	"v=0\r\n"
	"o=- 42 42 IN IP4 198.51.100.5\r\n"
	"s=-\r\n"
	"c=IN IP4 198.51.100.5\r\n"
	"t=0 0\r\n"
	"m=audio 30000 RTP/AVP 8 101\r\n"
	"a=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=ptime:20\r\n",

	"ACK sip:gw@198.51.100.5:5060 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bK-524287-1---9d0e1f2a3b4c;rport\r\n"
	"Max-Forwards: 70\r\n"
	"To: <sip:+4930123456@gw1.carrier.example.net;user=phone>;tag=tg-8f3a91\r\n"
	"From: \"+4940987654\" <sip:+4940987654@carrier.example.net;user=phone>;tag=as1f2e3d4c\r\n"
	"Call-ID: 3c26700a6e5a-bq5ujz9wkvhl@203.0.113.10\r\n"
	"CSeq: 102 ACK\r\n"
	"Content-Length: 0\r\n"
	"\r\n",

	"BYE sip:gw@198.51.100.5:5060 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bK-524287-1---0a1b2c3d4e5f;rport\r\n"
	"Max-Forwards: 70\r\n"
	"To: <sip:+4930123456@gw1.carrier.example.net;user=phone>;tag=tg-8f3a91\r\n"
	"From: \"+4940987654\" <sip:+4940987654@carrier.example.net;user=phone>;tag=as1f2e3d4c\r\n"
	"Call-ID: 3c26700a6e5a-bq5ujz9wkvhl@203.0.113.10\r\n"
	"CSeq: 103 BYE\r\n"
	"Reason: Q.850;cause=16;text=\"Normal call clearing\"\r\n"
	"Content-Length: 0\r\n"
	"\r\n",
};
#define N_MSGS (sizeof(msgs) / sizeof(msgs[0]))

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static size_t sink;

static int tandem_one(struct sip_msg *m, const char *s, size_t len)
{
	struct sip_nameaddr from, to;
	struct sip_cseq cs;
	struct sip_via v;
	struct tstr cid;

	if (sip_msg_parse(m, s, len, NULL) || sip_msg_via(m, 0, &v) || sip_msg_cseq(m, &cs) ||
	    sip_msg_call_id(m, &cid) || sip_msg_from(m, &from) || sip_msg_to(m, &to))
		return -1;
	sink += v.branch.len + cs.num + cid.len + from.tag.len + to.tag.len;
	return 0;
}

/* every header tandem reads on the call path (see the top) */
static int tandem_full(struct sip_msg *m, const char *s, size_t len)
{
	struct sip_nameaddr na;
	struct sip_contact ct;
	struct sip_session_expires se;
	struct sip_ctype ctype;
	struct sip_reason r;
	struct sip_via v;
	uint32_t u;
	unsigned i;

	if (tandem_one(m, s, len))
		return -1;
	for (i = 0; sip_msg_via(m, i, &v) == 0; i++)
		sink += v.branch.len;
	if (sip_msg_max_forwards(m, &u) == 0)
		sink += u;
	for (i = 0; sip_msg_record_route(m, i, &na) == 0; i++)
		sink += na.uri.len;
	if (sip_msg_contact(m, 0, &ct) == 0)
		sink += ct.na.uri.len;
	sink += sip_msg_has_token(m, SIP_HDR_SUPPORTED, "100rel") +
		sip_msg_has_token(m, SIP_HDR_SUPPORTED, "timer") +
		sip_msg_has_token(m, SIP_HDR_REQUIRE, "100rel") +
		sip_msg_has_token(m, SIP_HDR_REQUIRE, "timer");
	if (sip_msg_session_expires(m, &se) == 0)
		sink += se.delta;
	if (sip_msg_min_se(m, &u) == 0)
		sink += u;
	if (sip_msg_pai(m, 0, &na) == 0)
		sink += na.uri.len;
	sink += sip_msg_has_token(m, SIP_HDR_PRIVACY, "id");
	if (sip_msg_content_type(m, &ctype) == 0)
		sink++;
	if (sip_msg_rseq(m, &u) == 0)
		sink += u;
	for (i = 0; sip_msg_reason(m, i, &r) == 0; i++)
		sink += (size_t)(r.cause + 1);
	return 0;
}

static bool osip_has_token(osip_message_t *m, const char *hdr, const char *tok)
{
	osip_header_t *h = NULL;

	for (int pos = 0; (pos = osip_message_header_get_byname(m, hdr, pos, &h)) >= 0; pos++)
		if (h && h->hvalue && strstr(h->hvalue, tok))
			return true;
	return false;
}

static int osip_one(const char *s, size_t len)
{
	osip_message_t *m;
	osip_via_t *via;
	osip_generic_param_t *br = NULL, *ft = NULL, *tt = NULL;
	int rc = -1;

	if (osip_message_init(&m))
		return -1;
	if (osip_message_parse(m, s, len) == 0 && osip_message_get_via(m, 0, &via) >= 0 && via) {
		osip_via_param_get_byname(via, "branch", &br);
		osip_from_get_tag(m->from, &ft);
		osip_to_get_tag(m->to, &tt);
		if (br && m->cseq && m->call_id && ft) {
			sink += strlen(br->gvalue) + (size_t)atoi(m->cseq->number) +
				strlen(m->call_id->number) + strlen(ft->gvalue) +
				(tt ? strlen(tt->gvalue) : 0);
			rc = 0;
		}
	}
	osip_message_free(m);
	return rc;
}

static int osip_full(const char *s, size_t len)
{
	osip_message_t *m;
	osip_via_t *via;
	osip_generic_param_t *br = NULL, *ft = NULL, *tt = NULL;
	osip_header_t *h = NULL;
	osip_contact_t *ct = NULL;
	osip_record_route_t *rr;
	int rc = -1, i;

	if (osip_message_init(&m))
		return -1;
	if (osip_message_parse(m, s, len) == 0 && osip_message_get_via(m, 0, &via) >= 0 && via) {
		osip_via_param_get_byname(via, "branch", &br);
		osip_from_get_tag(m->from, &ft);
		osip_to_get_tag(m->to, &tt);
		if (br && m->cseq && m->call_id && ft) {
			sink += strlen(br->gvalue) + (size_t)atoi(m->cseq->number) +
				strlen(m->call_id->number) + strlen(ft->gvalue) +
				(tt ? strlen(tt->gvalue) : 0);
			rc = 0;
		}
		for (i = 1; osip_message_get_via(m, i, &via) >= 0 && via; i++)
			if (osip_via_param_get_byname(via, "branch", &br) == 0 && br)
				sink += strlen(br->gvalue);
		if (osip_message_get_max_forwards(m, 0, &h) >= 0 && h && h->hvalue)
			sink += (size_t)atoi(h->hvalue);
		for (i = 0; osip_message_get_record_route(m, i, &rr) >= 0 && rr; i++)
			sink += rr->url && rr->url->host ? strlen(rr->url->host) : 0;
		if (osip_message_get_contact(m, 0, &ct) >= 0 && ct && ct->url && ct->url->host)
			sink += strlen(ct->url->host);
		sink += osip_has_token(m, "supported", "100rel") +
			osip_has_token(m, "supported", "timer") +
			osip_has_token(m, "require", "100rel") +
			osip_has_token(m, "require", "timer");
		if (osip_message_header_get_byname(m, "session-expires", 0, &h) >= 0 && h &&
		    h->hvalue)
			sink += (size_t)atoi(h->hvalue);
		if (osip_message_header_get_byname(m, "min-se", 0, &h) >= 0 && h && h->hvalue)
			sink += (size_t)atoi(h->hvalue);
		if (osip_message_header_get_byname(m, "p-asserted-identity", 0, &h) >= 0 && h &&
		    h->hvalue) {
			osip_from_t *pai;

			if (osip_from_init(&pai) == 0) {
				if (osip_from_parse(pai, h->hvalue) == 0 && pai->url &&
				    pai->url->username)
					sink += strlen(pai->url->username);
				osip_from_free(pai);
			}
		}
		sink += osip_has_token(m, "privacy", "id");
		if (m->content_type && m->content_type->type)
			sink++;
		if (osip_message_header_get_byname(m, "rseq", 0, &h) >= 0 && h && h->hvalue)
			sink += (size_t)atoi(h->hvalue);
		for (int pos = 0; (pos = osip_message_header_get_byname(m, "reason", pos, &h)) >= 0;
		     pos++) {
			const char *c = h && h->hvalue ? strstr(h->hvalue, "cause=") : NULL;

			sink += c ? (size_t)atoi(c + 6) + 1 : 0;
		}
	}
	osip_message_free(m);
	return rc;
}

/* messages/s of one side, rounds alternating with the other */
struct side {
	double t;
	size_t n;
};

static void round_tandem(struct sip_msg *m, const size_t *lens, bool full, double dur,
			 struct side *sd)
{
	double t0 = now(), t;
	size_t i;

	do {
		for (i = 0; i < N_MSGS; i++)
			full ? tandem_full(m, msgs[i], lens[i]) : tandem_one(m, msgs[i], lens[i]);
		sd->n += N_MSGS;
	} while ((t = now() - t0) < dur);
	sd->t += t;
}

static void round_osip(const size_t *lens, bool full, double dur, struct side *sd)
{
	double t0 = now(), t;
	size_t i;

	do {
		for (i = 0; i < N_MSGS; i++)
			full ? osip_full(msgs[i], lens[i]) : osip_one(msgs[i], lens[i]);
		sd->n += N_MSGS;
	} while ((t = now() - t0) < dur);
	sd->t += t;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0, t0, t_tandem, t_osip;
	struct sip_msg *m = malloc(sizeof(*m));
	size_t lens[N_MSGS], i, n_tandem = 0, n_osip = 0;

	if (!m || parser_init())
		return 1;
	for (i = 0; i < N_MSGS; i++) {
		lens[i] = strlen(msgs[i]);
		if (tandem_one(m, msgs[i], lens[i]) || osip_one(msgs[i], lens[i])) {
			fprintf(stderr, "bench_sip_parse: message %zu does not parse\n", i);
			return 1;
		}
	}
	{
		cpu_set_t one;

		CPU_ZERO(&one);
		CPU_SET(0, &one);
		if (sched_setaffinity(0, sizeof(one), &one) < 0)
			perror("sched_setaffinity (not pinned)");
	}
	printf("sip_parse: %zu messages (INVITE/180/200/ACK/BYE), rounds alternating, pinned\n",
	       N_MSGS);
	{
		struct side st[2] = {{0}}, so[2] = {{0}};
		unsigned rounds = (unsigned)(secs / 0.4);

		/* minimal and full, tandem and libosip2: one round each, in turn */
		for (i = 0; i < (rounds ? rounds : 1); i++)
			for (int full = 0; full < 2; full++) {
				round_tandem(m, lens, full, 0.1, &st[full]);
				round_osip(lens, full, 0.1, &so[full]);
			}
		for (int full = 0; full < 2; full++) {
			double rt = (double)st[full].n / st[full].t;
			double ro = (double)so[full].n / so[full].t;

			printf("%s\n",
			       full ? "full: parse + every header tandem reads on the "
				      "INVITE/200/BYE "
				      "path (Via*, Max-Forwards, Record-Route*, Contact, From/To, "
				      "Call-ID, CSeq, Supported/Require, Session-Expires, Min-SE, "
				      "PAI, Privacy, Content-Type, RSeq, Reason)"
				    : "minimal: parse + Via branch, CSeq, Call-ID, From/To tags");
			printf("  tandem   %12.0f msg/s\n", rt);
			printf("  libosip2 %12.0f msg/s\n", ro);
			printf("  ratio    %12.1fx\n", rt / ro);
		}
	}
	(void)n_tandem;
	(void)n_osip;
	(void)t0;
	(void)t_tandem;
	(void)t_osip;
	free(m);
	return sink == 0;
}
