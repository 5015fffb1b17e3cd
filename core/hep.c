/* HEP/EEP version 3 encoding and sending (hep.h). */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/core/logging.h>

#include "core/hep.h"
#include "core/log.h"
#include "core/loop.h"

struct hep_enc {
	uint8_t *buf;
	size_t size, len;
	bool over;
};

static void put_chunk(struct hep_enc *e, uint16_t type, const void *val, size_t len)
{
	uint16_t clen = (uint16_t)(6 + len);

	if (6 + len > 0xffff || e->len + 6 + len > e->size) {
		e->over = true;
		return;
	}
	e->buf[e->len++] = 0; /* vendor 0: the generic chunks of the HEP3 specification */
	e->buf[e->len++] = 0;
	e->buf[e->len++] = (uint8_t)(type >> 8);
	e->buf[e->len++] = (uint8_t)type;
	e->buf[e->len++] = (uint8_t)(clen >> 8);
	e->buf[e->len++] = (uint8_t)clen;
	if (len)
		memcpy(e->buf + e->len, val, len);
	e->len += len;
}

static void put_u8(struct hep_enc *e, uint16_t type, uint8_t v)
{
	put_chunk(e, type, &v, 1);
}

static void put_u16(struct hep_enc *e, uint16_t type, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};

	put_chunk(e, type, b, 2);
}

static void put_u32(struct hep_enc *e, uint16_t type, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

	put_chunk(e, type, b, 4);
}

int tandem_hep_encode(uint8_t *buf, size_t size, const struct hep_pkt *p, uint32_t agent_id,
		      const char *auth_key)
{
	struct hep_enc e = {.buf = buf, .size = size};
	bool v6;

	if (!p->src || !p->dst || p->src->sa_family != p->dst->sa_family ||
	    (p->src->sa_family != AF_INET && p->src->sa_family != AF_INET6))
		return -EAFNOSUPPORT;
	v6 = p->src->sa_family == AF_INET6;
	if (size < 6)
		return -EMSGSIZE;
	memcpy(buf, "HEP3", 4);
	e.len = 6; /* the total length goes in at the end */
	put_u8(&e, HEP_CHUNK_IP_FAMILY, v6 ? HEP_FAMILY_IP6 : HEP_FAMILY_IP4);
	put_u8(&e, HEP_CHUNK_IP_PROTO, p->ip_proto);
	if (v6) {
		const struct sockaddr_in6 *s = (const void *)p->src, *d = (const void *)p->dst;

		put_chunk(&e, HEP_CHUNK_SRC_IP6, &s->sin6_addr, 16);
		put_chunk(&e, HEP_CHUNK_DST_IP6, &d->sin6_addr, 16);
		put_u16(&e, HEP_CHUNK_SRC_PORT, ntohs(s->sin6_port));
		put_u16(&e, HEP_CHUNK_DST_PORT, ntohs(d->sin6_port));
	} else {
		const struct sockaddr_in *s = (const void *)p->src, *d = (const void *)p->dst;

		put_chunk(&e, HEP_CHUNK_SRC_IP4, &s->sin_addr, 4);
		put_chunk(&e, HEP_CHUNK_DST_IP4, &d->sin_addr, 4);
		put_u16(&e, HEP_CHUNK_SRC_PORT, ntohs(s->sin_port));
		put_u16(&e, HEP_CHUNK_DST_PORT, ntohs(d->sin_port));
	}
	put_u32(&e, HEP_CHUNK_TS_SEC, p->ts_sec);
	put_u32(&e, HEP_CHUNK_TS_USEC, p->ts_usec);
	put_u8(&e, HEP_CHUNK_PROTO_TYPE, p->proto_type);
	put_u32(&e, HEP_CHUNK_AGENT_ID, agent_id);
	if (auth_key && auth_key[0])
		put_chunk(&e, HEP_CHUNK_AUTH_KEY, auth_key, strlen(auth_key));
	if (p->corr && p->corr[0])
		put_chunk(&e, HEP_CHUNK_CORR_ID, p->corr, strlen(p->corr));
	put_chunk(&e, HEP_CHUNK_PAYLOAD, p->payload, p->len);
	if (e.over || e.len > 0xffff)
		return -EMSGSIZE;
	buf[4] = (uint8_t)(e.len >> 8);
	buf[5] = (uint8_t)e.len;
	return (int)e.len;
}

/* --- sending --- */

static struct {
	struct loop_udp *u;
	struct sockaddr_storage to;
	socklen_t tolen;
	uint32_t agent_id;
	char key[128];
	struct hep_stats st;
	uint64_t slot_errors; /* refused before reaching the kernel */
	uint8_t buf[65535];
} hep;

static void hep_rx(void *priv, const uint8_t *data, size_t len, const struct sockaddr *from,
		   socklen_t fromlen)
{
	/* a collector does not answer; whatever comes is dropped */
	(void)priv, (void)data, (void)len, (void)from, (void)fromlen;
}

int tandem_hep_start(struct loop *l, const struct sockaddr *collector, socklen_t clen,
		     uint32_t agent_id, const char *auth_key)
{
	struct sockaddr_storage any = {.ss_family = collector->sa_family};
	socklen_t alen;

	if (collector->sa_family == AF_INET)
		alen = sizeof(struct sockaddr_in);
	else if (collector->sa_family == AF_INET6)
		alen = sizeof(struct sockaddr_in6);
	else
		return -EAFNOSUPPORT;
	if (clen > sizeof(hep.to))
		return -EINVAL;
	tandem_hep_stop();
	/* unconnected: an ICMP error from a collector that is away is not
	 * reported on the socket (no IP_RECVERR), the next datagram goes too */
	hep.u = loop_udp_open(l, (struct sockaddr *)&any, alen, hep_rx, NULL);
	if (!hep.u)
		return -errno ? -errno : -ENOMEM;
	memcpy(&hep.to, collector, clen);
	hep.tolen = clen;
	hep.agent_id = agent_id;
	snprintf(hep.key, sizeof(hep.key), "%s", auth_key ? auth_key : "");
	return 0;
}

void tandem_hep_stop(void)
{
	if (hep.u) {
		hep.st.send_errors += loop_udp_tx_errors(hep.u);
		loop_udp_close(hep.u);
	}
	hep.u = NULL;
}

bool tandem_hep_running(void)
{
	return hep.u != NULL;
}

int tandem_hep_send(const struct hep_pkt *p)
{
	int n, rc;

	if (!hep.u)
		return -ENOTCONN;
	n = tandem_hep_encode(hep.buf, sizeof(hep.buf), p, hep.agent_id, hep.key);
	if (n < 0) {
		hep.st.encode_errors++;
		return n;
	}
	rc = loop_udp_send(hep.u, hep.buf, (size_t)n, (struct sockaddr *)&hep.to, hep.tolen);
	if (rc < 0) {
		hep.slot_errors++;
		return rc;
	}
	hep.st.sent++;
	return 0;
}

const struct hep_stats *tandem_hep_get_stats(void)
{
	static struct hep_stats out;

	out = hep.st;
	out.send_errors += hep.slot_errors + (hep.u ? loop_udp_tx_errors(hep.u) : 0);
	return &out;
}
