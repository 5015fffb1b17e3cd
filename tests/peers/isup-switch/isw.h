/* isup-switch: shared declarations of its three parts.
 *
 *   isup_switch.c  command line, script, libss7 events (the ISUP switch)
 *   isw_mtp.c      the adjacent MTP2/MTP3 node libss7 talks to over a
 *                  datagram socketpair (alignment, acks, SLTM/SLTA, TRA)
 *   isw_m3ua.c     the M3UA SG (server) over TCP that tandem's ASP joins
 *
 * ISUP travels libss7 <-> isw_mtp (MTP2 signal units) <-> isw_m3ua (M3UA
 * DATA, RFC 4666 3.3.1 Protocol Data).
 */
#ifndef ISW_H
#define ISW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <poll.h>

struct isw_cfg {
	bool ansi;
	uint32_t opc, dpc; /* our point code, tandem's */
	uint8_t ni;	   /* network indicator, SIO bits 7-6 */
	bool have_rc;
	uint32_t rc;
	bool debug;
};

extern struct isw_cfg isw_cfg;

/* An MTP3 user message, as M3UA carries it (RFC 4666 3.3.1). */
struct isw_pdu {
	uint32_t opc, dpc;
	uint8_t si, ni, mp, sls;
	const uint8_t *data;
	size_t len;
};

/* isup_switch.c */
void isw_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int64_t isw_now_ms(void);
/* How many ms late the main loop woke up at worst lately (0 if never). */
int64_t isw_loop_lag_ms(void);
/* ISUP bytes from M3UA, before libss7 sees them (messages libss7 does not
 * report). false: do not pass them on to libss7 (a muted circuit). */
bool isw_sniff_rx_isup(const uint8_t *isup, size_t len);

/* isw_mtp.c: fd is the shim's end of the socketpair; ss7_fd is libss7's. */
void isw_mtp_init(int fd, int ss7_fd, void *ss7);
/* Read and handle every signal unit libss7 has written. */
void isw_mtp_rx(void);
/* take every event libss7 has (isup_switch.c); called after each SU it reads */
void isw_drain_events(void);
/* Keep-alive of the status signal unit (called every few ms). */
void isw_mtp_tick(void);
bool isw_mtp_in_service(void);
/* Queue an MTP3 user message (from M3UA) toward libss7. */
int isw_mtp_tx_user(const struct isw_pdu *p);
/* The last signal unit libss7 wrote was an MSU (its queue may hold more). */
bool isw_mtp_last_rx_was_msu(void);

/* isw_m3ua.c */
int isw_m3ua_listen(const char *addr);
/* --asp-sctp IP:PORT [--asp-local IP]: be an ASP over SCTP toward that SG
 * instead, from that local address (ASPUP sent). */
int isw_m3ua_asp_sctp(const char *addr, const char *local);
/* Fill poll entries: returns how many (at most 2). */
int isw_m3ua_pollfds(struct pollfd *pfd);
void isw_m3ua_handle(const struct pollfd *pfd, int n);
bool isw_m3ua_active(void);
/* the switch's MTP link state, announced as DUNA/DAVA */
void isw_m3ua_dest(bool up);
int isw_m3ua_tx_data(const struct isw_pdu *p);
void isw_m3ua_close(void);

#endif
