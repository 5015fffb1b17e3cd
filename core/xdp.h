/* AF_XDP under a loop's UDP sockets (kernel bypass for the media plane).
 *
 * An interface gets tandem's XDP program (core/bpf/xdp_steer.bpf.c): a UDP
 * datagram to the address and port of a socket that a loop put on AF_XDP
 * goes to that loop's xsk socket, everything else to the kernel. A loop
 * with an xsk (loop_xsk_start, in the loop's own thread) then receives and
 * sends the datagrams of every UDP socket it adopts whose local address is
 * on the interface through its own UMEM and rings: loop_udp_send() and the
 * receive callback do not change for their users. The kernel socket stays
 * bound (it holds the port, and takes what the program passes on); a send
 * goes through it while the next hop's Ethernet address is not known yet.
 *
 * Built when libxdp, libbpf and clang's BPF target are there (TANDEM_XDP);
 * otherwise every start fails with the reason, and sockets carry the media. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;

enum loop_xdp_mode { LOOP_XDP_MODE_AUTO, LOOP_XDP_MODE_NATIVE, LOOP_XDP_MODE_GENERIC };
enum loop_xdp_zc { LOOP_XDP_ZC_AUTO, LOOP_XDP_ZC_ON, LOOP_XDP_ZC_OFF };

struct loop_xdp_cfg {
	const char *ifname;
	unsigned queues; /* receive queues (one xsk each), from 0 */
	enum loop_xdp_mode mode;
	enum loop_xdp_zc zc;
};

/* One interface with the program attached; shared by the loops. */
struct loop_xdp;

/* Whether this build has AF_XDP at all. */
bool loop_xdp_built(void);
/* Load and attach the program. NULL with the reason in why when AF_XDP
 * cannot be used (privileges, loopback, driver, no such interface). */
struct loop_xdp *loop_xdp_open(void *ctx, const struct loop_xdp_cfg *cfg, char *why, size_t whylen);
/* Detach and free; every loop_xsk_stop() must have run before. */
void loop_xdp_close(struct loop_xdp *x);
/* "native" or "generic", as attached */
const char *loop_xdp_mode_name(const struct loop_xdp *x);
unsigned loop_xdp_queues(const struct loop_xdp *x);

/* In the loop's thread, before it adopts the sockets: an xsk on the
 * queue, its UMEM and rings. 0, or -errno with the reason in why. */
int loop_xsk_start(struct loop *l, struct loop_xdp *x, unsigned queue, char *why, size_t whylen);
/* In the loop's thread: the sockets go back to the kernel path. */
void loop_xsk_stop(struct loop *l);
/* In the loop's thread, every 100 ms or so: completions, neighbours. */
void loop_xsk_tick(struct loop *l);

struct loop_xsk_stats {
	bool active, zerocopy;
	unsigned queue;
	uint64_t rx, tx;     /* datagrams through the xsk */
	uint64_t rx_bad;     /* frames the worker refused (headers, checksums) */
	uint64_t tx_kernel;  /* sends that went through the kernel socket (no neighbour yet) */
	uint64_t tx_no_room; /* sends refused: no free frame or TX slot */
	/* the kernel's xsk statistics (XDP_STATISTICS) */
	uint64_t rx_dropped, rx_invalid, tx_invalid, rx_ring_full, fill_empty, tx_ring_empty;
};
/* In the loop's thread. -ENOENT when the loop has no xsk. */
int loop_xsk_stats(struct loop *l, struct loop_xsk_stats *out);
