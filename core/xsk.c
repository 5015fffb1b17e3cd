/* AF_XDP under a loop's UDP sockets (see core/xdp.h): each loop's xsk,
 * its UMEM and rings, receive, transmit with headers built here, next
 * hops from the kernel. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>

#include "core/log.h"
#include "core/loop_int.h"
#include "core/xdp.h"

#ifndef TANDEM_XDP

int loop_xsk_start(struct loop *l, struct loop_xdp *x, unsigned queue, char *why, size_t whylen)
{
	(void)l;
	(void)x;
	(void)queue;
	snprintf(why, whylen, "built without AF_XDP");
	return -ENOTSUP;
}

void loop_xsk_stop(struct loop *l)
{
	(void)l;
}

void loop_xsk_tick(struct loop *l)
{
	(void)l;
}

int loop_xsk_stats(struct loop *l, struct loop_xsk_stats *out)
{
	(void)l;
	memset(out, 0, sizeof(*out));
	return -ENOENT;
}

int loop_xsk_udp_add(struct loop *l, struct loop_udp *u)
{
	(void)l;
	(void)u;
	return -ENOTSUP;
}

void loop_xsk_udp_del(struct loop *l, struct loop_udp *u)
{
	(void)l;
	(void)u;
}

int loop_xsk_udp_send(struct loop *l, struct loop_udp *u, const void *data, size_t len,
		      const struct sockaddr *to, socklen_t tolen)
{
	(void)l;
	(void)u;
	(void)data;
	(void)len;
	(void)to;
	(void)tolen;
	return -EAGAIN;
}

#else /* TANDEM_XDP */

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <linux/sockios.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/xsk.h>

#include "core/xdp_int.h"
#include "core/xsk_csum.h"

/* UMEM: XSK_RX_FRAMES frames of XSK_FRAME bytes handed to the kernel for
 * receiving (fill ring), XSK_TX_FRAMES that send. The receive side holds
 * what a worker kept from the CPU for a while must absorb: about 0.5 s of
 * 16,000 packets/s (20 MiB of pinned memory per worker in all). */
#define XSK_FRAME     2048u
#define XSK_RX_FRAMES 8192u
#define XSK_TX_FRAMES 2048u
#define XSK_FRAMES    (XSK_RX_FRAMES + XSK_TX_FRAMES)
#define HDR_LEN	      (14 + 20 + 8)
#define XSK_TX_BUDGET 256u /* frames the kernel sends per kick (copy mode) */
#ifndef XDP_MAX_TX_SKB_BUDGET
#define XDP_MAX_TX_SKB_BUDGET 9 /* linux/if_xdp.h of Linux 6.17+ */
#endif

/* Next hops: the kernel's neighbour table (ARP) and routes, read from the
 * loop's tick, never on the packet path; a miss sends through the kernel
 * socket, which makes the kernel resolve the address. */
#define NEIGH_SLOTS	 256
#define NEIGH_REFRESH_NS 10000000000ull
#define NEIGH_RETRY_NS	 10000000ull
enum neigh_state { N_EMPTY, N_WANTED, N_VALID, N_ELSEWHERE };

struct neigh {
	uint32_t ip; /* destination, network order */
	uint8_t state;
	uint8_t mac[ETH_ALEN];
	uint64_t checked_ns;
};

struct loop_xsk {
	struct loop *l;
	struct loop_xdp *x;
	unsigned queue;
	bool stopped;
	uint8_t *area;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fq, tx;
	struct xsk_ring_cons cq, rx;
	int fd;
	uint64_t free_tx[XSK_TX_FRAMES];
	unsigned nfree;
	struct loop_op poll_op, kick_op;
	bool poll_armed, kick_queued;
	uint64_t kick_enter; /* the loop's enter_calls when the last kick was queued */
	uint32_t kick_cons;  /* TX consumer index when the last kick went out */
	uint64_t kicks, kick_failed, rx_wakes; /* for the closing log line */
	struct loop_udp **port;		       /* by local port: the sockets on AF_XDP */
	struct neigh neigh[NEIGH_SLOTS];
	bool neigh_wanted;
	uint64_t next_refresh_ns;
	uint16_t ip_id;
	struct loop_xsk_stats st;
};

/* --- receive --- */

static void xsk_rx_one(struct loop_xsk *k, const uint8_t *p, uint32_t len)
{
	const uint8_t *ip = p + 14, *udp = p + 34;
	unsigned tot, ulen;
	uint32_t daddr;
	struct loop_udp *u;
	struct sockaddr_in from;

	if (len < HDR_LEN || p[12] != 0x08 || p[13] != 0x00 || ip[0] != 0x45)
		goto bad;
	tot = (unsigned)(ip[2] << 8 | ip[3]);
	ulen = (unsigned)(udp[4] << 8 | udp[5]);
	if (tot < 28 || 14 + tot > len || ulen < 8 || ulen > tot - 20 ||
	    csum_fold(csum_add(0, ip, 20)) != 0)
		goto bad;
	/* a zero UDP checksum means none (RFC 768); otherwise it must add up */
	if (!k->x->partial_csum && (udp[6] | udp[7]) && udp_csum(ip, udp, ulen) != 0)
		goto bad;
	memcpy(&daddr, ip + 16, 4);
	for (u = k->port[udp[2] << 8 | udp[3]]; u; u = u->xsk_next)
		if (u->xsk_addr == daddr)
			break;
	if (!u) /* closed while the datagram was on its way */
		goto bad;
	memset(&from, 0, sizeof(from));
	from.sin_family = AF_INET;
	memcpy(&from.sin_port, udp, 2);
	memcpy(&from.sin_addr, ip + 12, 4);
	k->st.rx++;
	loop_udp_deliver(u, udp + 8, ulen - 8, (struct sockaddr *)&from, sizeof(from));
	return;
bad:
	k->st.rx_bad++;
}

static void xsk_reap(struct loop_xsk *k)
{
	uint32_t idx = 0;
	unsigned n = xsk_ring_cons__peek(&k->cq, XSK_TX_FRAMES, &idx);

	for (unsigned i = 0; i < n; i++)
		k->free_tx[k->nfree++] =
			*xsk_ring_cons__comp_addr(&k->cq, idx + i) & ~(uint64_t)(XSK_FRAME - 1);
	if (n)
		xsk_ring_cons__release(&k->cq, n);
}

static void xsk_rx_drain(struct loop_xsk *k)
{
	uint32_t idx_rx = 0, idx_fq = 0;
	unsigned n;

	/* every receive frame is in the fill ring, with the kernel or in the
	 * RX ring; the fill ring holds them all, so the same frames always
	 * fit back (handled in place, like the socket path's buffer ring) */
	while ((n = xsk_ring_cons__peek(&k->rx, 64, &idx_rx)) > 0) {
		if (xsk_ring_prod__reserve(&k->fq, n, &idx_fq) != n) {
			LOGP(DLOOP, LOGL_ERROR, "xsk queue %u: fill ring full\n", k->queue);
			break;
		}
		for (unsigned i = 0; i < n; i++) {
			const struct xdp_desc *d = xsk_ring_cons__rx_desc(&k->rx, idx_rx + i);

			xsk_rx_one(k, k->area + d->addr, d->len);
			*xsk_ring_prod__fill_addr(&k->fq, idx_fq + i) =
				d->addr & ~(uint64_t)(XSK_FRAME - 1);
		}
		xsk_ring_prod__submit(&k->fq, n);
		xsk_ring_cons__release(&k->rx, n);
		if (k->stopped)
			return;
	}
	if (xsk_ring_prod__needs_wakeup(&k->fq))
		recvfrom(k->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
}

static void xsk_poll_arm(struct loop_xsk *k)
{
	struct io_uring_sqe *sqe = loop_sqe(k->l, &k->poll_op);

	if (!sqe)
		return;
	io_uring_prep_poll_multishot(sqe, k->fd, POLLIN);
	k->poll_armed = true;
}

static void xsk_poll_cb(struct loop *l, struct loop_op *op, const struct io_uring_cqe *cqe)
{
	struct loop_xsk *k = op->priv;

	(void)l;
	if (!(cqe->flags & IORING_CQE_F_MORE))
		k->poll_armed = false;
	if (k->stopped)
		return;
	k->rx_wakes++;
	xsk_rx_drain(k);
	xsk_reap(k);
	if (!k->poll_armed && !k->stopped)
		xsk_poll_arm(k);
}

/* --- transmit --- */

static uint32_t tx_cons(const struct loop_xsk *k)
{
	return __atomic_load_n(k->tx.consumer, __ATOMIC_ACQUIRE);
}

/* One zero-length send on the xsk makes the kernel walk the TX ring
 * (copy mode). It is queued on the ring like any request and so goes
 * out after this turn's handlers, with every datagram they produced:
 * one kick per submission of the ring, however many datagrams. It runs
 * inline when the ring is entered and posts a completion only when it
 * fails: -EAGAIN is the kernel's batch (32 frames per call) ending with
 * more in the ring, and xsk_kick_cb kicks again. A completion for every
 * kick cost the worker a second pass through the ring per turn. */
static void xsk_kick(struct loop_xsk *k)
{
	struct io_uring_sqe *sqe;

	if (k->kick_queued && k->kick_enter == k->l->st.enter_calls)
		return; /* the queued one has not gone in yet: it takes these too */
	sqe = loop_sqe(k->l, &k->kick_op);
	if (!sqe)
		return;
	io_uring_prep_send(sqe, k->fd, NULL, 0, MSG_DONTWAIT);
	sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
	k->kick_queued = true;
	k->kicks++;
	k->kick_enter = k->l->st.enter_calls;
	k->kick_cons = tx_cons(k);
}

/* only a kick that failed completes (IOSQE_CQE_SKIP_SUCCESS) */
static void xsk_kick_cb(struct loop *l, struct loop_op *op, const struct io_uring_cqe *cqe)
{
	struct loop_xsk *k = op->priv;
	bool pending, progress;

	(void)l;
	k->kick_failed++;
	if (k->stopped)
		return;
	if (cqe->res < 0 && cqe->res != -EAGAIN && cqe->res != -EBUSY && cqe->res != -ENOBUFS)
		LOGP(DLOOP, LOGL_INFO, "xsk queue %u: transmit kick: %s\n", k->queue,
		     strerror(-cqe->res));
	xsk_reap(k);
	/* the kernel sends a bounded batch per kick: go on while it moves */
	pending = tx_cons(k) != k->tx.cached_prod;
	progress = tx_cons(k) != k->kick_cons;
	if (pending && progress)
		xsk_kick(k);
}

static void neigh_resolve_one(struct loop_xsk *k, struct neigh *n, uint64_t now);

static struct neigh *neigh_find(struct loop_xsk *k, uint32_t ip, bool add)
{
	unsigned h = (ntohl(ip) * 2654435761u) >> 24;

	for (unsigned i = 0; i < NEIGH_SLOTS; i++) {
		struct neigh *n = &k->neigh[(h + i) % NEIGH_SLOTS];

		if (n->state != N_EMPTY && n->ip == ip)
			return n;
		if (n->state == N_EMPTY) {
			if (!add)
				return NULL;
			n->ip = ip;
			n->state = N_WANTED;
			n->checked_ns = 0;
			k->neigh_wanted = true;
			return n;
		}
	}
	return NULL; /* full: the kernel socket sends */
}

int loop_xsk_udp_send(struct loop *l, struct loop_udp *u, const void *data, size_t len,
		      const struct sockaddr *to, socklen_t tolen)
{
	struct loop_xsk *k = l->xsk;
	const struct sockaddr_in *sin = (const void *)to;
	uint8_t *p, *ip, *udp;
	struct neigh *n;
	uint32_t idx = 0;
	uint64_t addr;
	uint16_t c;

	if (!k || k->stopped || to->sa_family != AF_INET || tolen < sizeof(*sin) ||
	    len + HDR_LEN > XSK_FRAME)
		return -EAGAIN;
	n = neigh_find(k, sin->sin_addr.s_addr, true);
	if (n && n->state == N_WANTED && loop_now_ns() - n->checked_ns > NEIGH_RETRY_NS)
		neigh_resolve_one(k, n, loop_now_ns());
	if (!n || n->state != N_VALID) {
		k->st.tx_kernel++;
		return -EAGAIN;
	}
	if (!k->nfree)
		xsk_reap(k);
	/* every frame in flight (a burst larger than the kicks keep up
	 * with): have the kernel send some now rather than drop */
	for (int i = 0; i < 64 && !k->nfree; i++) {
		if (sendto(k->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 && errno != EAGAIN &&
		    errno != EBUSY && errno != ENOBUFS)
			break;
		xsk_reap(k);
	}
	if (!k->nfree || xsk_ring_prod__reserve(&k->tx, 1, &idx) != 1) {
		k->st.tx_no_room++;
		l->st.send_no_slot++; /* a refused send, as the socket path counts it */
		return -ENOBUFS;
	}
	addr = k->free_tx[--k->nfree];
	p = k->area + addr;
	ip = p + 14;
	udp = p + 34;
	memcpy(p, n->mac, ETH_ALEN);
	memcpy(p + 6, k->x->mac, ETH_ALEN);
	p[12] = 0x08;
	p[13] = 0x00;
	/* IPv4 (RFC 791): no options, DF as the kernel sets it for UDP with
	 * path MTU discovery, TTL 64, the socket's TOS */
	ip[0] = 0x45;
	ip[1] = u->xsk_tos;
	ip[2] = (uint8_t)((20 + 8 + len) >> 8);
	ip[3] = (uint8_t)(20 + 8 + len);
	ip[4] = (uint8_t)(k->ip_id >> 8);
	ip[5] = (uint8_t)k->ip_id;
	k->ip_id++;
	ip[6] = 0x40;
	ip[7] = 0;
	ip[8] = 64;
	ip[9] = 17;
	ip[10] = ip[11] = 0;
	memcpy(ip + 12, &u->xsk_addr, 4);
	memcpy(ip + 16, &sin->sin_addr, 4);
	c = csum_fold(csum_add(0, ip, 20));
	memcpy(ip + 10, &c, 2);
	udp[0] = (uint8_t)(u->xsk_port >> 8);
	udp[1] = (uint8_t)u->xsk_port;
	memcpy(udp + 2, &sin->sin_port, 2);
	udp[4] = (uint8_t)((8 + len) >> 8);
	udp[5] = (uint8_t)(8 + len);
	udp[6] = udp[7] = 0;
	memcpy(udp + 8, data, len);
	c = udp_csum(ip, udp, 8 + len);
	if (c == 0) /* RFC 768: a computed zero is sent as all ones */
		c = 0xffff;
	memcpy(udp + 6, &c, 2);
	xsk_ring_prod__tx_desc(&k->tx, idx)->addr = addr;
	xsk_ring_prod__tx_desc(&k->tx, idx)->len = (uint32_t)(HDR_LEN + len);
	xsk_ring_prod__submit(&k->tx, 1);
	k->st.tx++;
	l->st.udp_tx++;
	xsk_kick(k);
	return 0;
}

/* --- next hops from the kernel: /proc/net/route, then /proc/net/arp --- */

static uint32_t next_hop(const struct loop_xsk *k, uint32_t dst, bool *here)
{
	char line[256], ifn[IF_NAMESIZE + 1];
	unsigned long d, g, m;
	unsigned flags;
	uint32_t best_gw = 0;
	int best_len = -1;
	FILE *f = fopen("/proc/net/route", "r");

	*here = false;
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		int plen;

		if (sscanf(line, "%16s %lx %lx %x %*d %*d %*d %lx", ifn, &d, &g, &flags, &m) != 5 ||
		    !(flags & 1 /* RTF_UP */))
			continue;
		if ((dst & (uint32_t)m) != (uint32_t)d)
			continue;
		plen = __builtin_popcount((uint32_t)m);
		if (plen <= best_len)
			continue;
		best_len = plen;
		*here = !strcmp(ifn, k->x->ifname);
		best_gw = (flags & 2 /* RTF_GATEWAY */) ? (uint32_t)g : 0;
	}
	fclose(f);
	return best_gw ? best_gw : dst;
}

static bool arp_lookup(const struct loop_xsk *k, uint32_t ip, uint8_t *mac)
{
	char line[256], ips[32], macs[32], dev[IF_NAMESIZE + 1];
	unsigned flags, b[ETH_ALEN];
	struct in_addr a;
	bool found = false;
	FILE *f = fopen("/proc/net/arp", "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%31s %*x %x %31s %*s %16s", ips, &flags, macs, dev) != 4 ||
		    !(flags & 2 /* ATF_COM */) || strcmp(dev, k->x->ifname) ||
		    inet_pton(AF_INET, ips, &a) != 1 || a.s_addr != ip ||
		    sscanf(macs, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) !=
			    6)
			continue;
		for (unsigned i = 0; i < ETH_ALEN; i++)
			mac[i] = (uint8_t)b[i];
		found = true;
	}
	fclose(f);
	return found;
}

/* One entry, now: from the tick, and on a miss at most every
 * NEIGH_RETRY_NS (two small /proc reads, only until the kernel knows). */
static void neigh_resolve_one(struct loop_xsk *k, struct neigh *n, uint64_t now)
{
	bool here;
	uint32_t hop = next_hop(k, n->ip, &here);

	n->checked_ns = now;
	if (!here) {
		n->state = N_ELSEWHERE;
	} else if (arp_lookup(k, hop, n->mac)) {
		if (n->state != N_VALID)
			LOGP(DLOOP, LOGL_INFO,
			     "xsk queue %u: %08x via %08x at %02x:%02x:%02x:%02x:%02x:%02x\n",
			     k->queue, ntohl(n->ip), ntohl(hop), n->mac[0], n->mac[1], n->mac[2],
			     n->mac[3], n->mac[4], n->mac[5]);
		n->state = N_VALID;
	} else {
		n->state = N_WANTED;
		k->neigh_wanted = true;
	}
}

static void neigh_resolve(struct loop_xsk *k, uint64_t now)
{
	bool refresh = now >= k->next_refresh_ns;

	if (!k->neigh_wanted && !refresh)
		return;
	k->neigh_wanted = false;
	for (unsigned i = 0; i < NEIGH_SLOTS; i++) {
		struct neigh *n = &k->neigh[i];

		if (n->state == N_WANTED || (n->state != N_EMPTY && refresh))
			neigh_resolve_one(k, n, now);
	}
	if (refresh)
		k->next_refresh_ns = now + NEIGH_REFRESH_NS;
}

void loop_xsk_tick(struct loop *l)
{
	struct loop_xsk *k = l->xsk;

	if (!k || k->stopped)
		return;
	xsk_reap(k);
	if (tx_cons(k) != k->tx.cached_prod)
		xsk_kick(k);
	neigh_resolve(k, loop_now_ns());
}

/* --- sockets on and off the xsk --- */

static int steer_set(struct loop_xsk *k, uint32_t addr, uint16_t port, bool on)
{
	struct xdp_steer_key key = {.addr = addr, .port = htons(port)};
	uint32_t q = k->queue;

	if (on)
		return bpf_map_update_elem(k->x->steer_fd, &key, &q, BPF_ANY) < 0 ? -errno : 0;
	bpf_map_delete_elem(k->x->steer_fd, &key);
	return 0;
}

int loop_xsk_udp_add(struct loop *l, struct loop_udp *u)
{
	struct loop_xsk *k = l->xsk;
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	int tos = 0, rc;
	bool here = false;

	if (!k || k->stopped)
		return -ENOENT;
	if (getsockname(u->fd, (struct sockaddr *)&sin, &slen) < 0 || sin.sin_family != AF_INET)
		return -EAFNOSUPPORT;
	for (unsigned i = 0; i < k->x->naddr; i++)
		here |= k->x->addr[i] == sin.sin_addr.s_addr;
	if (!here) /* bound elsewhere (or to any): the kernel's */
		return -EADDRNOTAVAIL;
	slen = sizeof(tos);
	getsockopt(u->fd, IPPROTO_IP, IP_TOS, &tos, &slen);
	u->xsk_addr = sin.sin_addr.s_addr;
	u->xsk_port = ntohs(sin.sin_port);
	u->xsk_tos = (uint8_t)tos;
	rc = steer_set(k, u->xsk_addr, u->xsk_port, true);
	if (rc < 0) {
		LOGP(DLOOP, LOGL_NOTICE, "xsk queue %u: steering port %u: %s (kernel path)\n",
		     k->queue, u->xsk_port, strerror(-rc));
		return rc;
	}
	u->xsk_next = k->port[u->xsk_port];
	k->port[u->xsk_port] = u;
	u->xsk_on = true;
	return 0;
}

void loop_xsk_udp_del(struct loop *l, struct loop_udp *u)
{
	struct loop_xsk *k = l->xsk;
	struct loop_udp **pp;

	if (!u->xsk_on)
		return;
	u->xsk_on = false;
	if (!k)
		return;
	for (pp = &k->port[u->xsk_port]; *pp; pp = &(*pp)->xsk_next)
		if (*pp == u) {
			*pp = u->xsk_next;
			break;
		}
	steer_set(k, u->xsk_addr, u->xsk_port, false);
}

/* --- the xsk itself --- */

static int xsk_open(struct loop_xsk *k, uint16_t bind_flags)
{
	struct xsk_socket_config sc = {.rx_size = XSK_RX_FRAMES,
				       .tx_size = XSK_TX_FRAMES,
				       .libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
				       .xdp_flags = k->x->xdp_flags & ~XDP_FLAGS_UPDATE_IF_NOEXIST,
				       .bind_flags = (uint16_t)(bind_flags | XDP_USE_NEED_WAKEUP)};

	return xsk_socket__create(&k->xsk, k->x->ifname, k->queue, k->umem, &k->rx, &k->tx, &sc);
}

/* by the zero-copy setting: zero-copy, copy, or the first that binds */
static int xsk_open_any(struct loop_xsk *k, struct loop_xdp *x)
{
	int rc;

	if (x->cfg.zc == LOOP_XDP_ZC_OFF)
		return xsk_open(k, XDP_COPY);
	rc = xsk_open(k, XDP_ZEROCOPY);
	if (rc < 0 && rc != -EBUSY && x->cfg.zc == LOOP_XDP_ZC_AUTO) {
		LOGP(DLOOP, LOGL_INFO, "xsk %s queue %u: zero-copy refused (%s), copy mode\n",
		     x->ifname, k->queue, strerror(-rc));
		rc = xsk_open(k, XDP_COPY);
	}
	return rc;
}

static int xsk_destructor(struct loop_xsk *k)
{
	if (k->xsk)
		xsk_socket__delete(k->xsk);
	if (k->umem)
		xsk_umem__delete(k->umem);
	if (k->area)
		munmap(k->area, (size_t)XSK_FRAMES * XSK_FRAME);
	return 0;
}

int loop_xsk_start(struct loop *l, struct loop_xdp *x, unsigned queue, char *why, size_t whylen)
{
	/* the kernel publishes what it took from the fill ring lazily: the
	 * frames being handed back can still count as in the ring, hence
	 * twice the room */
	struct xsk_umem_config uc = {.fill_size = 2 * XSK_RX_FRAMES,
				     .comp_size = XSK_TX_FRAMES,
				     .frame_size = XSK_FRAME,
				     .frame_headroom = 0};
	struct xdp_options opt;
	socklen_t olen = sizeof(opt);
	struct loop_xsk *k;
	uint32_t idx = 0;
	int rc;

	if (queue >= x->rxq) {
		loop_xdp_why(why, whylen, "%s has %u receive queue(s), none for queue %u",
			     x->ifname, x->rxq, queue);
		return -ENODEV;
	}
	k = talloc_zero(l, struct loop_xsk);
	if (!k) {
		loop_xdp_why(why, whylen, "out of memory");
		return -ENOMEM;
	}
	talloc_set_destructor(k, xsk_destructor);
	k->l = l;
	k->x = x;
	k->queue = queue;
	k->port = talloc_zero_array(k, struct loop_udp *, 65536);
	k->area = mmap(NULL, (size_t)XSK_FRAMES * XSK_FRAME, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!k->port || k->area == MAP_FAILED) {
		k->area = NULL;
		loop_xdp_why(why, whylen, "UMEM: out of memory");
		rc = -ENOMEM;
		goto fail;
	}
	rc = xsk_umem__create(&k->umem, k->area, (uint64_t)XSK_FRAMES * XSK_FRAME, &k->fq, &k->cq,
			      &uc);
	if (rc < 0) {
		loop_xdp_why(why, whylen, "UMEM registration: %s%s", strerror(-rc),
			     rc == -EPERM || rc == -ENOMEM ? " (locked memory limit, CAP_IPC_LOCK)"
							   : "");
		goto fail;
	}
	rc = xsk_open_any(k, x);
	/* the queue's last socket (a restart) is released by the kernel a
	 * little after its process ended: wait for it, at start-up only,
	 * with a fresh UMEM each time (its rings are set up once) */
	for (int i = 0; i < 30 && rc == -EBUSY; i++) {
		usleep(100000);
		xsk_umem__delete(k->umem);
		k->umem = NULL;
		rc = xsk_umem__create(&k->umem, k->area, (uint64_t)XSK_FRAMES * XSK_FRAME, &k->fq,
				      &k->cq, &uc);
		if (rc < 0)
			break;
		rc = xsk_open_any(k, x);
	}
	if (rc < 0) {
		loop_xdp_why(why, whylen, "AF_XDP socket on %s queue %u: %s%s", x->ifname, queue,
			     strerror(-rc), rc == -EPERM ? " (needs CAP_NET_RAW)" : "");
		goto fail;
	}
	k->fd = xsk_socket__fd(k->xsk);
	if (getsockopt(k->fd, SOL_XDP, XDP_OPTIONS, &opt, &olen) == 0)
		k->st.zerocopy = opt.flags & XDP_OPTIONS_ZEROCOPY;
	if (!k->st.zerocopy) {
		/* copy mode sends at most 32 frames per kick by default; a
		 * turn's datagrams (a tick's RTP and span packets) often are
		 * more, and each further kick is a failed request (-EAGAIN) and
		 * another one. Linux 6.17+; older kernels keep 32. */
		unsigned budget = XSK_TX_BUDGET;

		setsockopt(k->fd, SOL_XDP, XDP_MAX_TX_SKB_BUDGET, &budget, sizeof(budget));
	}
	/* the receive half of the UMEM goes to the kernel now, the rest sends */
	if (xsk_ring_prod__reserve(&k->fq, XSK_RX_FRAMES, &idx) != XSK_RX_FRAMES) {
		loop_xdp_why(why, whylen, "fill ring too small");
		rc = -ENOSPC;
		goto fail;
	}
	for (unsigned i = 0; i < XSK_RX_FRAMES; i++)
		*xsk_ring_prod__fill_addr(&k->fq, idx + i) = (uint64_t)i * XSK_FRAME;
	xsk_ring_prod__submit(&k->fq, XSK_RX_FRAMES);
	for (unsigned i = 0; i < XSK_TX_FRAMES; i++)
		k->free_tx[k->nfree++] = (uint64_t)(XSK_RX_FRAMES + i) * XSK_FRAME;
	rc = bpf_map_update_elem(x->xsks_fd, &queue, &k->fd, BPF_ANY) < 0 ? -errno : 0;
	if (rc < 0) {
		loop_xdp_why(why, whylen, "XSKMAP update: %s", strerror(-rc));
		goto fail;
	}
	k->poll_op.cb = xsk_poll_cb;
	k->poll_op.priv = k;
	k->kick_op.cb = xsk_kick_cb;
	k->kick_op.priv = k;
	k->st.active = true;
	k->st.queue = queue;
	l->xsk = k;
	xsk_poll_arm(k);
	return 0;
fail:
	talloc_free(k);
	return rc;
}

void loop_xsk_stop(struct loop *l)
{
	struct loop_xsk *k = l->xsk;
	struct io_uring_sqe *sqe;

	if (!k)
		return;
	{
		struct loop_xsk_stats st;

		loop_xsk_stats(l, &st);
		LOGP(DLOOP, LOGL_NOTICE,
		     "xsk %s queue %u closed: rx %llu tx %llu (kernel socket %llu), refused %llu; "
		     "kernel: rx dropped %llu, RX ring full %llu, fill ring empty %llu, invalid "
		     "%llu/%llu; %llu receive wake-ups, %llu transmit kicks (%llu failed); loop: "
		     "%llu "
		     "turns, %llu completions\n",
		     k->x->ifname, k->queue, (unsigned long long)st.rx, (unsigned long long)st.tx,
		     (unsigned long long)st.tx_kernel, (unsigned long long)st.rx_bad,
		     (unsigned long long)st.rx_dropped, (unsigned long long)st.rx_ring_full,
		     (unsigned long long)st.fill_empty, (unsigned long long)st.rx_invalid,
		     (unsigned long long)st.tx_invalid, (unsigned long long)k->rx_wakes,
		     (unsigned long long)k->kicks, (unsigned long long)k->kick_failed,
		     (unsigned long long)l->st.turns, (unsigned long long)l->st.cqes);
	}
	bpf_map_delete_elem(k->x->xsks_fd, &k->queue);
	for (unsigned p = 0; p < 65536; p++)
		while (k->port[p])
			loop_xsk_udp_del(l, k->port[p]);
	k->stopped = true;
	k->st.active = false;
	if (k->poll_armed) {
		sqe = loop_sqe(l, &l->ignore_op);
		if (sqe)
			io_uring_prep_poll_remove(sqe, (uint64_t)(uintptr_t)&k->poll_op);
	}
	l->xsk = NULL;
	/* the ring's requests hold the socket's file until they end; the
	 * record stays (under the loop) for their completions */
	xsk_socket__delete(k->xsk);
	k->xsk = NULL;
	xsk_umem__delete(k->umem);
	k->umem = NULL;
}

int loop_xsk_stats(struct loop *l, struct loop_xsk_stats *out)
{
	struct loop_xsk *k = l->xsk;
	struct xdp_statistics xs;
	socklen_t len = sizeof(xs);

	if (!k) {
		memset(out, 0, sizeof(*out));
		return -ENOENT;
	}
	if (getsockopt(k->fd, SOL_XDP, XDP_STATISTICS, &xs, &len) == 0) {
		k->st.rx_dropped = xs.rx_dropped;
		k->st.rx_invalid = xs.rx_invalid_descs;
		k->st.tx_invalid = xs.tx_invalid_descs;
		k->st.rx_ring_full = xs.rx_ring_full;
		k->st.fill_empty = xs.rx_fill_ring_empty_descs;
		k->st.tx_ring_empty = xs.tx_ring_empty_descs;
	}
	*out = k->st;
	return 0;
}

#endif /* TANDEM_XDP */
