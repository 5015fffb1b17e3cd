/* pcap writer for traced messages (pcap.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <talloc.h>

#include "core/pcap.h"

#define PCAP_MAGIC	  0xa1b2c3d4u /* microsecond timestamps */
#define PCAP_LINKTYPE_RAW 101	      /* the record is an IP packet, v4 or v6 */
#define PCAP_SNAPLEN	  65535u
#define PCAP_FLOWS	  16 /* directions with a TCP sequence or SCTP TSN */

struct flow {
	struct sockaddr_storage src, dst;
	uint8_t proto;
	uint32_t next; /* TCP: next sequence number; SCTP: next TSN */
	uint16_t ssn;
};

struct tandem_pcap {
	FILE *f;
	unsigned long records;
	struct flow flows[PCAP_FLOWS];
	unsigned nflows, next_slot;
};

static int pcap_destructor(struct tandem_pcap *p)
{
	if (p->f)
		fclose(p->f);
	return 0;
}

struct tandem_pcap *tandem_pcap_open(void *ctx, const char *path)
{
	struct {
		uint32_t magic;
		uint16_t major, minor;
		int32_t zone;
		uint32_t sigfigs, snaplen, linktype;
	} hdr = {PCAP_MAGIC, 2, 4, 0, 0, PCAP_SNAPLEN, PCAP_LINKTYPE_RAW};
	struct tandem_pcap *p;
	int fd, e;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0)
		return NULL;
	p = talloc_zero(ctx, struct tandem_pcap);
	if (!p || !(p->f = fdopen(fd, "w"))) {
		e = p ? errno : ENOMEM;
		close(fd);
		talloc_free(p);
		errno = e;
		return NULL;
	}
	talloc_set_destructor(p, pcap_destructor);
	if (fwrite(&hdr, sizeof(hdr), 1, p->f) != 1 || fflush(p->f) != 0) {
		e = errno ? errno : EIO;
		talloc_free(p);
		errno = e;
		return NULL;
	}
	return p;
}

static size_t addr_len(const struct sockaddr *a)
{
	return a->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

/* the direction's running number: found, or a new one (the oldest slot
 * reused once all are taken) starting at 1 */
static struct flow *flow_get(struct tandem_pcap *p, uint8_t proto, const struct sockaddr *src,
			     const struct sockaddr *dst)
{
	struct flow *f;

	for (unsigned i = 0; i < p->nflows; i++) {
		f = &p->flows[i];
		if (f->proto == proto && !memcmp(&f->src, src, addr_len(src)) &&
		    !memcmp(&f->dst, dst, addr_len(dst)))
			return f;
	}
	if (p->nflows < PCAP_FLOWS)
		f = &p->flows[p->nflows++];
	else
		f = &p->flows[p->next_slot++ % PCAP_FLOWS];
	memset(f, 0, sizeof(*f));
	memcpy(&f->src, src, addr_len(src));
	memcpy(&f->dst, dst, addr_len(dst));
	f->proto = proto;
	f->next = 1;
	return f;
}

static uint16_t port_of(const struct sockaddr *a)
{
	return a->sa_family == AF_INET6 ? ((const struct sockaddr_in6 *)a)->sin6_port
					: ((const struct sockaddr_in *)a)->sin_port;
}

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static void put32(uint8_t *b, uint32_t v)
{
	put16(b, (uint16_t)(v >> 16));
	put16(b + 2, (uint16_t)v);
}

int tandem_pcap_write(struct tandem_pcap *p, const struct timespec *ts, uint8_t ip_proto,
		      uint32_t ppid, const struct sockaddr *src, const struct sockaddr *dst,
		      const void *payload, size_t len)
{
	uint8_t h[40 + 32]; /* IPv6 header + the largest transport header (SCTP + DATA) */
	size_t iplen, tlen, pad = 0, max;
	bool v6 = src->sa_family == AF_INET6;
	struct flow *f;
	struct {
		uint32_t sec, usec, incl, orig;
	} rec;
	static const uint8_t zeros[4];

	if (!p || !p->f)
		return -EBADF;
	if (src->sa_family != dst->sa_family ||
	    (src->sa_family != AF_INET && src->sa_family != AF_INET6))
		return -EAFNOSUPPORT;
	iplen = v6 ? 40 : 20;
	tlen = ip_proto == IPPROTO_TCP ? 20 : ip_proto == IPPROTO_SCTP ? 12 + 16 : 8;
	max = PCAP_SNAPLEN - iplen - tlen - 3;
	if (len > max)
		len = max;
	if (ip_proto == IPPROTO_SCTP)
		pad = (4 - len % 4) % 4;
	memset(h, 0, sizeof(h));
	if (v6) {
		const struct sockaddr_in6 *s = (const void *)src, *d = (const void *)dst;

		h[0] = 0x60;
		put16(h + 4, (uint16_t)(tlen + len + pad));
		h[6] = ip_proto;
		h[7] = 64;
		memcpy(h + 8, &s->sin6_addr, 16);
		memcpy(h + 24, &d->sin6_addr, 16);
	} else {
		const struct sockaddr_in *s = (const void *)src, *d = (const void *)dst;

		h[0] = 0x45;
		put16(h + 2, (uint16_t)(20 + tlen + len + pad));
		h[6] = 0x40; /* don't fragment */
		h[8] = 64;
		h[9] = ip_proto;
		memcpy(h + 12, &s->sin_addr, 4);
		memcpy(h + 16, &d->sin_addr, 4);
	}
	{
		uint8_t *t = h + iplen;
		uint16_t sp = port_of(src), dp = port_of(dst); /* network order */

		memcpy(t, &sp, 2);
		memcpy(t + 2, &dp, 2);
		if (ip_proto == IPPROTO_TCP) {
			f = flow_get(p, ip_proto, src, dst);
			put32(t + 4, f->next);
			f->next += (uint32_t)len;
			t[12] = 5 << 4;
			t[13] = 0x18; /* PSH, ACK */
			put16(t + 14, 65535);
		} else if (ip_proto == IPPROTO_SCTP) {
			f = flow_get(p, ip_proto, src, dst);
			/* common header: ports, verification tag 0, checksum 0;
			 * then DATA (RFC 9260 3.3.1): unfragmented (B and E) */
			t[12] = 0;
			t[13] = 0x03;
			put16(t + 14, (uint16_t)(16 + len));
			put32(t + 16, f->next++);
			put16(t + 20, 0);
			put16(t + 22, f->ssn++);
			put32(t + 24, ppid);
		} else {
			put16(t + 4, (uint16_t)(8 + len));
		}
	}
	rec.sec = (uint32_t)ts->tv_sec;
	rec.usec = (uint32_t)(ts->tv_nsec / 1000);
	rec.incl = rec.orig = (uint32_t)(iplen + tlen + len + pad);
	if (fwrite(&rec, sizeof(rec), 1, p->f) != 1 || fwrite(h, iplen + tlen, 1, p->f) != 1 ||
	    (len && fwrite(payload, len, 1, p->f) != 1) ||
	    (pad && fwrite(zeros, pad, 1, p->f) != 1) || fflush(p->f) != 0)
		return errno ? -errno : -EIO;
	p->records++;
	return 0;
}

unsigned long tandem_pcap_records(const struct tandem_pcap *p)
{
	return p ? p->records : 0;
}

void tandem_pcap_close(struct tandem_pcap *p)
{
	talloc_free(p);
}
