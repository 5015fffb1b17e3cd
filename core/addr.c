/* Socket addresses as text. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "core/addr.h"

const char *tandem_addr_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (!len)
		return buf;
	if (ss && ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)ss;

		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(a->sin_port));
	} else if (ss && ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)ss;

		/* a dual-stack socket's IPv4 peer: show the address it is */
		if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
			inet_ntop(AF_INET, &a->sin6_addr.s6_addr[12], host, sizeof(host));
			snprintf(buf, len, "%s:%u", host, ntohs(a->sin6_port));
		} else {
			inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
			snprintf(buf, len, "[%s]:%u", host, ntohs(a->sin6_port));
		}
	} else {
		snprintf(buf, len, "?");
	}
	return buf;
}

const char *tandem_host_str(const struct sockaddr *sa, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	sa_family_t fam;
	char hp[ADDR_STR_MAX];

	if (!len)
		return buf;
	snprintf(buf, len, "?");
	if (!sa)
		return buf;
	memcpy(&fam, (const char *)sa + offsetof(struct sockaddr, sa_family), sizeof(fam));
	memset(&ss, 0, sizeof(ss));
	if (fam == AF_INET)
		memcpy(&ss, sa, sizeof(struct sockaddr_in));
	else if (fam == AF_INET6)
		memcpy(&ss, sa, sizeof(struct sockaddr_in6));
	else
		return buf;
	tandem_addr_str(&ss, hp, sizeof(hp));
	/* "host:port" or "[host]:port": the host is what comes before the
	 * last colon, without the brackets */
	char *c = strrchr(hp, ':');

	if (c)
		*c = 0;
	if (hp[0] == '[') {
		size_t n = strlen(hp);

		if (n >= 2 && hp[n - 1] == ']')
			hp[n - 1] = 0;
		snprintf(buf, len, "%s", hp + 1);
	} else {
		snprintf(buf, len, "%s", hp);
	}
	return buf;
}
