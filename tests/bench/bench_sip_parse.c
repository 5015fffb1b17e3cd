/* Parse throughput: tandem's SIP parser vs libosip2's osip_message_parse on
 * the same INVITE/180/200/ACK/BYE messages in the same run. Each side
 * parses and reads what a transaction layer needs: top Via branch, CSeq,
 * Call-ID, From and To tags. Prints messages/s for both and the ratio. */
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
	t0 = now();
	do {
		for (i = 0; i < N_MSGS; i++)
			tandem_one(m, msgs[i], lens[i]);
		n_tandem += N_MSGS;
	} while ((t_tandem = now() - t0) < secs);
	t0 = now();
	do {
		for (i = 0; i < N_MSGS; i++)
			osip_one(msgs[i], lens[i]);
		n_osip += N_MSGS;
	} while ((t_osip = now() - t0) < secs);
	printf("sip_parse: %zu messages (INVITE/180/200/ACK/BYE), parse + Via branch, CSeq, "
	       "Call-ID, From/To tags\n",
	       N_MSGS);
	printf("  tandem   %12.0f msg/s\n", (double)n_tandem / t_tandem);
	printf("  libosip2 %12.0f msg/s\n", (double)n_osip / t_osip);
	printf("  ratio    %12.1fx (target >= 5x) %s\n",
	       ((double)n_tandem / t_tandem) / ((double)n_osip / t_osip),
	       ((double)n_tandem / t_tandem) >= 5 * ((double)n_osip / t_osip) ? "PASS" : "BELOW");
	free(m);
	return sink == 0;
}
