/* HEP/EEP version 3 capture (the encapsulation Homer and heplify-server
 * collect): a copy of each signalling message, with its addresses, time and
 * a correlation id, sent over UDP to one collector.
 *
 * A HEP3 packet is the 4 octets "HEP3", a 16-bit total length, then chunks,
 * each a 16-bit vendor id (0: generic), a 16-bit chunk type and a 16-bit
 * length that counts the 6 octets of this chunk header, then the value;
 * every number in network byte order.
 *
 * core/ knows no telephony: callers say what the payload is (proto type),
 * between which addresses it went, and which call it belongs to. Sending
 * never blocks and never fails the caller: with the collector away the
 * datagrams go nowhere and the errors are counted. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct loop;

/* generic (vendor 0) chunk types */
enum hep_chunk {
	HEP_CHUNK_IP_FAMILY = 0x0001, /* uint8: 2 IPv4, 10 IPv6 */
	HEP_CHUNK_IP_PROTO = 0x0002,  /* uint8: IP protocol number (17 UDP, 6 TCP, 132 SCTP) */
	HEP_CHUNK_SRC_IP4 = 0x0003,
	HEP_CHUNK_DST_IP4 = 0x0004,
	HEP_CHUNK_SRC_IP6 = 0x0005,
	HEP_CHUNK_DST_IP6 = 0x0006,
	HEP_CHUNK_SRC_PORT = 0x0007,   /* uint16 */
	HEP_CHUNK_DST_PORT = 0x0008,   /* uint16 */
	HEP_CHUNK_TS_SEC = 0x0009,     /* uint32: seconds since the epoch */
	HEP_CHUNK_TS_USEC = 0x000a,    /* uint32: microseconds within that second */
	HEP_CHUNK_PROTO_TYPE = 0x000b, /* uint8: enum hep_proto_type */
	HEP_CHUNK_AGENT_ID = 0x000c,   /* uint32: capture agent (node) id */
	HEP_CHUNK_AUTH_KEY = 0x000e,   /* octets */
	HEP_CHUNK_PAYLOAD = 0x000f,    /* octets: the captured message */
	HEP_CHUNK_CORR_ID = 0x0011,    /* octets: correlation id */
};

/* what the payload is (chunk 0x000b) */
enum hep_proto_type {
	HEP_PROTO_SIP = 0x01,
	HEP_PROTO_RTCP = 0x05, /* "RTCP JSON": a report as a JSON object */
	HEP_PROTO_M3UA = 0x09, /* the whole M3UA message (SS7/SIGTRAN) */
};

#define HEP_FAMILY_IP4 2
#define HEP_FAMILY_IP6 10

/* One captured message. src and dst have the same family (AF_INET or
 * AF_INET6). */
struct hep_pkt {
	const struct sockaddr *src, *dst;
	uint8_t ip_proto; /* IPPROTO_UDP, IPPROTO_TCP, IPPROTO_SCTP */
	uint8_t proto_type;
	uint32_t ts_sec, ts_usec;
	const char *corr; /* NULL or "": no correlation chunk */
	const uint8_t *payload;
	size_t len;
};

/* Encode into buf. The length, -EMSGSIZE when it does not fit (or passes
 * the 16-bit total), -EAFNOSUPPORT for addresses that are not IPv4/IPv6 or
 * differ in family. auth_key NULL or "": no key chunk. */
int tandem_hep_encode(uint8_t *buf, size_t size, const struct hep_pkt *p, uint32_t agent_id,
		      const char *auth_key);

struct hep_stats {
	uint64_t sent;		/* handed to the kernel */
	uint64_t send_errors;	/* no send slot, refused by the socket */
	uint64_t encode_errors; /* too large, bad addresses */
};

/* Start sending to collector from an ephemeral UDP socket on the loop.
 * 0 or -errno. Starting again replaces the socket. */
int tandem_hep_start(struct loop *l, const struct sockaddr *collector, socklen_t clen,
		     uint32_t agent_id, const char *auth_key);
void tandem_hep_stop(void);
bool tandem_hep_running(void);
/* Encode and queue one packet (sent with the loop's batch). 0 or -errno,
 * counted either way; the caller need not look. */
int tandem_hep_send(const struct hep_pkt *p);
const struct hep_stats *tandem_hep_get_stats(void);
