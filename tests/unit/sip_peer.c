/* tests/unit/sip_peer.h */
#include "tests/unit/sip_peer.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <talloc.h>

#include "tests/unit/unit.h"

void sip_peer_open(struct sip_peer *p)
{
	socklen_t al = sizeof(p->addr);

	memset(p, 0, sizeof(*p));
	p->fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(p->fd, 0);
	p->addr.sin_family = AF_INET;
	p->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(p->fd, (struct sockaddr *)&p->addr, sizeof(p->addr)), 0);
	ck_assert_int_eq(getsockname(p->fd, (struct sockaddr *)&p->addr, &al), 0);
}

void sip_peer_close(struct sip_peer *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	for (int i = 0; i < p->n_inbox; i++)
		talloc_free(p->inbox[i]);
	p->n_inbox = 0;
}

void sip_peer_drain(struct sip_peer *p)
{
	char buf[8192];
	ssize_t n;

	while (p->fd >= 0 && (n = recv(p->fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0) {
		buf[n] = 0;
		ck_assert_int_lt(p->n_inbox, SIP_PEER_INBOX);
		p->inbox[p->n_inbox++] = talloc_strdup(unit_ctx, buf);
	}
}

const char *sip_peer_hdr(const char *msg, const char *name, char *out, size_t size)
{
	char key[40];
	const char *p, *e;

	snprintf(key, sizeof(key), "\r\n%s: ", name);
	p = strstr(msg, key);
	ck_assert_msg(p != NULL, "no %s header in: %.300s", name, msg);
	p += strlen(key);
	e = strstr(p, "\r\n");
	snprintf(out, size, "%.*s", (int)(e - p), p);
	return out;
}

static bool matches(const char *msg, const char *start, const char *cid)
{
	char v[200];

	return !strncmp(msg, start, strlen(start)) &&
	       (!cid || !strcmp(sip_peer_hdr(msg, "Call-ID", v, sizeof(v)), cid));
}

const char *sip_peer_find(const struct sip_peer *p, const char *start, const char *cid)
{
	for (int i = p->n_inbox - 1; i >= 0; i--)
		if (matches(p->inbox[i], start, cid))
			return p->inbox[i];
	return NULL;
}

int sip_peer_count(const struct sip_peer *p, const char *start, const char *cid)
{
	int n = 0;

	for (int i = 0; i < p->n_inbox; i++)
		n += matches(p->inbox[i], start, cid);
	return n;
}

void sip_peer_send(struct sip_peer *p, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ck_assert_int_gt(n, 0);
	ck_assert_int_lt(n, (int)sizeof(buf));
	ck_assert_int_eq(sendto(p->fd, buf, (size_t)n, 0, (struct sockaddr *)&p->ua_addr,
				sizeof(p->ua_addr)),
			 n);
}

void sip_peer_respond(struct sip_peer *p, const char *req, unsigned status, const char *to_tag,
		      const char *ct, const char *body)
{
	char via[256], from[256], to[256], cid[128], cseq[64];
	bool tag;

	sip_peer_hdr(req, "Via", via, sizeof(via));
	sip_peer_hdr(req, "From", from, sizeof(from));
	sip_peer_hdr(req, "Call-ID", cid, sizeof(cid));
	sip_peer_hdr(req, "CSeq", cseq, sizeof(cseq));
	sip_peer_hdr(req, "To", to, sizeof(to));
	tag = to_tag && !strstr(to, ";tag=");
	sip_peer_send(
		p,
		"SIP/2.0 %u Peer\r\nVia: %s\r\nFrom: %s\r\nTo: %s%s%s\r\nCall-ID: %s\r\n"
		"CSeq: %s\r\nContact: <sip:peer@127.0.0.1:%u>\r\n%s%s%sContent-Length: %zu\r\n"
		"\r\n%s",
		status, via, from, to, tag ? ";tag=" : "", tag ? to_tag : "", cid, cseq,
		ntohs(p->addr.sin_port), body ? "Content-Type: " : "", body ? ct : "",
		body ? "\r\n" : "", body ? strlen(body) : 0, body ? body : "");
}
