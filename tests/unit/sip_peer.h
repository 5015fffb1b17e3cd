/* A scripted SIP peer on a loopback UDP socket, for the unit tests that
 * drive a real sip_ua (check_sip_ua.c, check_iw_refer.c): it keeps what it
 * receives, and sends requests and responses of its own. */
#pragma once

#include <netinet/in.h>
#include <stddef.h>

#define SIP_PEER_INBOX 256

struct sip_peer {
	int fd;
	struct sockaddr_in addr;    /* its own: 127.0.0.1, a port of the kernel's */
	struct sockaddr_in ua_addr; /* where it sends: the UA's listener */
	char *inbox[SIP_PEER_INBOX];
	int n_inbox;
};

void sip_peer_open(struct sip_peer *p);
/* The socket (unless the test closed it and set fd -1) and the inbox. */
void sip_peer_close(struct sip_peer *p);
/* Read what has arrived into the inbox. */
void sip_peer_drain(struct sip_peer *p);
/* The value of header name in msg (its first occurrence), into out. */
const char *sip_peer_hdr(const char *msg, const char *name, char *out, size_t size);
/* The last message whose first line starts with start (and whose Call-ID is
 * cid, when given); NULL when none. */
const char *sip_peer_find(const struct sip_peer *p, const char *start, const char *cid);
int sip_peer_count(const struct sip_peer *p, const char *start, const char *cid);
void sip_peer_send(struct sip_peer *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A response to req: to_tag added to a To without one; with a body of
 * content type ct when body is given. */
void sip_peer_respond(struct sip_peer *p, const char *req, unsigned status, const char *to_tag,
		      const char *ct, const char *body);
