/* A registered trunk's bindings kept in a file across restarts
 * ("registered state-file PATH"), pure apart from the file itself.
 *
 * One line per binding, fields separated by one space:
 *   binding EXPIRES SINCE CSEQ Q PROTO ADDRESS PORT CALL-ID CONTACT USER-AGENT
 * EXPIRES and SINCE in seconds of the wall clock (the registrar's own
 * clock is monotonic and starts again with the process); USER-AGENT is the
 * rest of the line (it may hold spaces); Q is -1 when none was given. A
 * Call-ID or Contact holds no space (RFC 3261 25.1: word, URI). Lines
 * starting with '#' are comments. The file is written whole to PATH.tmp
 * and renamed over PATH, so a crash leaves the old or the new one. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sip/sip_acl.h"
#include "sip/sip_registrar.h"

int sip_reg_table_save(const struct sip_reg_table *t, const char *path, uint64_t now, int64_t wall)
{
	char tmp[4096];
	FILE *f;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	fprintf(f, "# tandem registrar bindings (sip_registrar_store.c)\n");
	for (unsigned i = 0; i < t->n; i++) {
		const struct sip_reg_binding *b = &t->b[i];
		char host[INET6_ADDRSTRLEN] = "-";
		uint8_t a[16];
		int fam;
		uint16_t port = 0;

		if (b->expires_at <= now)
			continue;
		if (b->src_len &&
		    sip_acl_addr((const struct sockaddr *)&b->src, a, &fam, &port) == 0)
			inet_ntop(fam, a, host, sizeof(host));
		fprintf(f, "binding %" PRId64 " %" PRId64 " %" PRIu32 " %d %s %s %u %s %s %s\n",
			wall + (int64_t)(b->expires_at - now),
			wall - (int64_t)(now > b->since ? now - b->since : 0), b->cseq, b->q,
			sip_proto_name(b->proto), host, port, b->call_id[0] ? b->call_id : "-",
			b->contact, b->user_agent);
	}
	if (fflush(f) != 0 || ferror(f)) {
		fclose(f);
		remove(tmp);
		return -EIO;
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		int e = errno;

		remove(tmp);
		return -e;
	}
	return 0;
}

static int proto_from_name(const char *s, enum sip_proto *p)
{
	static const enum sip_proto all[] = {SIP_PROTO_UDP, SIP_PROTO_TCP, SIP_PROTO_TLS};

	for (unsigned i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (!strcasecmp(s, sip_proto_name(all[i]))) {
			*p = all[i];
			return 0;
		}
	return -EINVAL;
}

static void copy(char *dst, size_t size, const char *s)
{
	snprintf(dst, size, "%s", s);
}

/* one "binding ..." line into b; 1 when still live, 0 when expired,
 * -EINVAL when malformed */
static int parse_line(char *line, struct sip_reg_binding *b, uint64_t now, int64_t wall)
{
	char *f[10], *save = NULL, *ua;
	long long exp, since;
	char *end;
	unsigned long cseq, port;
	long q;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&b->src;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&b->src;

	memset(b, 0, sizeof(*b));
	for (unsigned i = 0; i < 10; i++) {
		f[i] = strtok_r(i ? NULL : line, " ", &save);
		if (!f[i])
			return -EINVAL;
	}
	ua = strtok_r(NULL, "\n", &save);
	if (strcmp(f[0], "binding"))
		return -EINVAL;
	exp = strtoll(f[1], &end, 10);
	if (*end)
		return -EINVAL;
	since = strtoll(f[2], &end, 10);
	if (*end)
		return -EINVAL;
	cseq = strtoul(f[3], &end, 10);
	if (*end || cseq > UINT32_MAX)
		return -EINVAL;
	q = strtol(f[4], &end, 10);
	if (*end || q < -1 || q > 1000)
		return -EINVAL;
	port = strtoul(f[7], &end, 10);
	if (*end || port > 65535 || proto_from_name(f[5], &b->proto) < 0)
		return -EINVAL;
	if (inet_pton(AF_INET, f[6], &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		b->src_len = sizeof(*s4);
	} else if (inet_pton(AF_INET6, f[6], &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		b->src_len = sizeof(*s6);
	} else {
		return -EINVAL;
	}
	if (strlen(f[9]) >= sizeof(b->contact) || strncasecmp(f[9], "sip", 3))
		return -EINVAL;
	copy(b->contact, sizeof(b->contact), f[9]);
	copy(b->call_id, sizeof(b->call_id), strcmp(f[8], "-") ? f[8] : "");
	copy(b->user_agent, sizeof(b->user_agent), ua ? ua : "");
	b->cseq = (uint32_t)cseq;
	b->q = (int)q;
	if (exp <= wall)
		return 0;
	b->expires_at = now + (uint64_t)(exp - wall);
	b->since = since < wall && (uint64_t)(wall - since) < now ? now - (uint64_t)(wall - since)
								  : now;
	return 1;
}

int sip_reg_table_load(struct sip_reg_table *t, const char *path, uint64_t now, int64_t wall,
		       unsigned *expired, char *err, size_t errsize)
{
	char line[1024];
	unsigned ln = 0;
	FILE *f = fopen(path, "r");

	*expired = 0;
	t->n = 0;
	if (!f) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		struct sip_reg_binding b;
		int rc;

		ln++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		line[strcspn(line, "\n")] = '\0';
		rc = parse_line(line, &b, now, wall);
		if (rc < 0) {
			snprintf(err, errsize, "%s:%u: not a binding line", path, ln);
			fclose(f);
			t->n = 0;
			return -EINVAL;
		}
		if (rc == 0) {
			(*expired)++;
			continue;
		}
		if (t->n == SIP_REG_MAX_BINDINGS)
			break;
		t->b[t->n++] = b;
	}
	fclose(f);
	return (int)t->n;
}
