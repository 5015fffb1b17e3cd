/* A pcap file of captured messages (the classic libpcap format, link type
 * RAW: each record an IPv4 or IPv6 packet), for `trace call ... pcap`.
 *
 * The messages were captured above the sockets (a SIP message, an M3UA
 * message), so the writer puts the headers around them that the wire had:
 * IPv4/IPv6, then UDP; or TCP with a sequence number running per direction
 * so Wireshark reassembles a stream; or SCTP with one DATA chunk (its TSN
 * running per direction, the payload protocol id given). Checksums are
 * left 0 (Wireshark does not check them by default). core/ knows no
 * telephony: the caller says which IP protocol and PPID. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

struct tandem_pcap;

/* NULL with errno set when the file cannot be made; an existing file is
 * not overwritten (EEXIST) */
struct tandem_pcap *tandem_pcap_open(void *ctx, const char *path);
/* one message between src and dst (AF_INET or AF_INET6 both); ip_proto
 * 17 UDP, 6 TCP, 132 SCTP (ppid for its DATA chunk); payloads longer than
 * an IP packet holds are cut. 0, or -errno */
int tandem_pcap_write(struct tandem_pcap *p, const struct timespec *ts, uint8_t ip_proto,
		      uint32_t ppid, const struct sockaddr *src, const struct sockaddr *dst,
		      const void *payload, size_t len);
unsigned long tandem_pcap_records(const struct tandem_pcap *p);
void tandem_pcap_close(struct tandem_pcap *p);
