/* Socket addresses as text for log lines and the VTY: "192.0.2.1:5060",
 * "[2001:db8::1]:5060". One helper for every layer instead of a private
 * copy per file. */
#pragma once

#include <stddef.h>
#include <sys/socket.h>

/* Enough for "[" INET6_ADDRSTRLEN "]:65535" and the NUL. */
#define ADDR_STR_MAX 56

/* Writes ss as "host:port" (IPv4, and an IPv4-mapped IPv6 address, shown
 * as the IPv4 address it carries) or "[host]:port" (IPv6) into buf; any
 * other family (or NULL) as "?". Cut to len like snprintf; returns buf. */
const char *tandem_addr_str(const struct sockaddr_storage *ss, char *buf, size_t len);

/* Writes only the host of sa ("192.0.2.1", "2001:db8::1"; an IPv4-mapped
 * address as its IPv4 one): for the paths of one SCTP association, which
 * share a port. sa may be unaligned (the packed address lists of SCTP
 * socket options); its length follows from its family. Returns buf. */
const char *tandem_host_str(const struct sockaddr *sa, char *buf, size_t len);
