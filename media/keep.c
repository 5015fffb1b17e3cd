/* RTP sockets kept between calls.
 *
 * A channel's RTP/RTCP socket pair cost the signalling thread a socket()
 * and bind() each per call, and the worker a close() and the cancel of the
 * socket's multishot receive (which the kernel finds by walking a bucket of
 * every receive the ring has armed: 5-6 % of tandemd's time with 10,000
 * calls up). Now a freed channel's sockets stay bound and receiving; what
 * comes to them is counted and dropped; and a later channel of the same
 * worker takes them over once they have rested (media_cfg.keep_rest_ms:
 * the far end of the last call may still send for a moment after the BYE).
 * Unused ones are closed after media_cfg.keep_idle_ms. The last source that
 * sent to each socket of a pair while it was kept (the last call's far end,
 * still sending) is never latched by the channel that takes it over
 * (rtp-latch).
 *
 * Kept pairs hold their ports, so with every port in use or kept a new
 * channel takes a kept pair that has not rested, its worker's or, when
 * the channel may go to any worker, another's; a channel pinned to a
 * worker (a span's) that finds none fails, and the other workers' oldest
 * pairs are closed for the next one. The same when no descriptor is left.
 *
 * Two rings of the same pairs in the same order: the worker's (the
 * sockets) and the signalling side's (the ports, when each was kept, and
 * whether the RTCP socket is still there). The worker adds at CMD_FREE and
 * says so in its FREED event, after which the signalling side adds the
 * same pair; only the signalling side takes from the head (CMD_CREATE with
 * kept set, CMD_KEEP_DROP), in command order, so the worker's head is the
 * pair the command names. The worker's ring holds all the signalling
 * side's and those whose FREED is on the way: it is never shorter, and the
 * worker refuses to keep more than chans_per_worker, so neither overflows.
 * The worker keeps a pair only with room in its event queue for the FREED
 * (a lost one would put the rings out of step for good). */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>

#include "core/log.h"
#include "media/worker_int.h"

/* --- worker side --- */

static void src_note(struct media_src *s, const struct sockaddr *from)
{
	if (from->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)from;

		s->family = AF_INET;
		s->port = a->sin_port;
		memcpy(s->addr, &a->sin_addr, 4);
	} else if (from->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)from;

		s->family = AF_INET6;
		s->port = a->sin6_port;
		memcpy(s->addr, &a->sin6_addr, 16);
	}
}

static void keep_rx_which(struct media_keep_socks *k, unsigned which, const struct sockaddr *from,
			  socklen_t fromlen)
{
	if (fromlen >= sizeof(struct sockaddr_in))
		src_note(&k->stale[which], from);
	atomic_fetch_add_explicit(&k->w->keep_rx, 1, memory_order_relaxed);
}

static void keep_rx(void *priv, const uint8_t *data, size_t len, const struct sockaddr *from,
		    socklen_t fromlen)
{
	(void)data;
	(void)len;
	keep_rx_which(priv, 0, from, fromlen);
}

static void keep_rx_rtcp(void *priv, const uint8_t *data, size_t len, const struct sockaddr *from,
			 socklen_t fromlen)
{
	(void)data;
	(void)len;
	keep_rx_which(priv, 1, from, fromlen);
}

bool media_keep_stale(const struct media_chan *c, bool rtcp, const struct sockaddr *from)
{
	const struct media_src *s = rtcp ? &c->stale[1] : &c->stale[0];

	if (!s->family || s->family != from->sa_family)
		return false;
	if (from->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)from;

		return a->sin_port == s->port && !memcmp(&a->sin_addr, s->addr, 4);
	}
	{
		const struct sockaddr_in6 *a = (const void *)from;

		return a->sin6_port == s->port && !memcmp(&a->sin6_addr, s->addr, 16);
	}
}

/* Keep only with room for the FREED that says so: a FREED lost to a full
 * event queue would leave the signalling side's ring one pair short, and
 * every later take-over would name the wrong pair. */
bool media_keep_park(struct media_worker *w, struct media_chan *c)
{
	struct media_keep_ring *r = &w->keep;
	struct media_keep_socks *k;

	if (w->e->cfg.keep_off || !c->in_use || !c->rtp || r->n >= r->cap ||
	    spsc_count(w->evq) >= spsc_capacity(w->evq))
		return false;
	k = &r->s[(r->head + r->n++) % r->cap];
	k->port = c->port;
	k->rtp = c->rtp;
	k->rtcp = c->rtcp;
	k->w = w;
	memset(k->stale, 0, sizeof(k->stale));
	loop_udp_set_cb(c->rtp, keep_rx, k);
	if (c->rtcp)
		loop_udp_set_cb(c->rtcp, keep_rx_rtcp, k);
	c->rtp = c->rtcp = NULL;
	return true;
}

/* The head pair, which the command names by port: it cannot be another
 * (see above); if it were, that pair is closed and the command's channel
 * gets none (logged). */
static int keep_pop(struct media_worker *w, uint32_t port, struct media_keep_socks *out)
{
	struct media_keep_ring *r = &w->keep;

	if (!r->n)
		return -ENOENT;
	*out = r->s[r->head];
	r->head = (r->head + 1) % r->cap;
	r->n--;
	if (out->port == port)
		return 0;
	LOGP(DMEDIA, LOGL_ERROR,
	     "worker %u: kept sockets out of step (port pair %u, asked for %u): closed\n", w->idx,
	     out->port, port);
	loop_udp_close(out->rtp);
	if (out->rtcp)
		loop_udp_close(out->rtcp);
	return -EPROTO;
}

int media_keep_take(struct media_worker *w, uint32_t port, struct media_chan *c,
		    struct loop_udp **rtcp)
{
	struct media_keep_socks k;
	int rc = keep_pop(w, port, &k);

	if (rc < 0)
		return rc;
	c->rtp = k.rtp;
	*rtcp = k.rtcp;
	memcpy(c->stale, k.stale, sizeof(c->stale));
	return 0;
}

void media_keep_drop(struct media_worker *w, uint32_t port)
{
	struct media_keep_socks k;

	if (keep_pop(w, port, &k) < 0)
		return;
	loop_udp_close(k.rtp);
	if (k.rtcp)
		loop_udp_close(k.rtcp);
}

void media_keep_close_all(struct media_worker *w)
{
	struct media_keep_ring *r = &w->keep;

	while (r->n)
		media_keep_drop(w, r->s[r->head].port);
}

/* --- signalling side --- */

int media_keep_init(struct media_engine *e, struct media_worker *w)
{
	unsigned cap = e->cfg.chans_per_worker;

	/* not zeroed: only the entries used become resident */
	w->keep.cap = w->kmirror.cap = cap;
	w->keep.s = talloc_array(e, struct media_keep_socks, cap);
	w->kmirror.s = talloc_array(e, struct media_keep_port, cap);
	return w->keep.s && w->kmirror.s ? 0 : -ENOMEM;
}

static uint64_t rest_ns(const struct media_engine *e)
{
	return (uint64_t)(e->cfg.keep_rest_ms ? e->cfg.keep_rest_ms : MEDIA_KEEP_REST_MS) *
	       1000000ull;
}

static uint64_t idle_ns(const struct media_engine *e)
{
	return (uint64_t)(e->cfg.keep_idle_ms ? e->cfg.keep_idle_ms : MEDIA_KEEP_IDLE_MS) *
	       1000000ull;
}

/* The worker kept the pair of port p (its FREED said so). */
void media_keep_kept(struct media_engine *e, unsigned wi, uint32_t p, bool rtcp)
{
	struct media_keep_mirror *m = &e->w[wi].kmirror;
	struct media_keep_port *k;

	if (m->n >= m->cap) { /* cannot be (see above); the port stays taken */
		LOGP(DMEDIA, LOGL_ERROR, "worker %u: more kept sockets than channels\n", wi);
		return;
	}
	k = &m->s[(m->head + m->n++) % m->cap];
	k->port = p;
	k->rtcp = rtcp;
	k->since_ns = loop_now_ns();
	if (!loop_timer_pending(&e->keep_timer))
		loop_timer_schedule(e->sig, &e->keep_timer, 1000000);
}

static void mirror_pop(struct media_keep_mirror *m)
{
	m->head = (m->head + 1) % m->cap;
	m->n--;
}

/* Close the head pair (the worker closes its sockets; the port is free
 * for a bind at once: one that comes before the close fails and the
 * allocation tries the next port). */
static int drop_head(struct media_engine *e, unsigned wi)
{
	struct media_keep_mirror *m = &e->w[wi].kmirror;
	struct media_cmd cmd = {.op = CMD_KEEP_DROP, .port = m->s[m->head].port};
	int rc = media_cmd_send(e, wi, &cmd);

	if (rc < 0)
		return rc;
	media_port_free(e, cmd.port);
	mirror_pop(m);
	e->w[wi].keep_closed++;
	return 0;
}

int media_keep_alloc(struct media_engine *e, unsigned wi, uint32_t slot, bool mux, bool rested,
		     uint32_t *port)
{
	struct media_keep_mirror *m = &e->w[wi].kmirror;
	struct media_keep_port *k;
	struct media_cmd cmd = {.op = CMD_CREATE, .slot = slot, .kept = true, .mux = mux};
	int rc;

	if (e->cfg.keep_off || !m->n)
		return -ENOENT;
	k = &m->s[m->head];
	if (rested && loop_now_ns() - k->since_ns < rest_ns(e))
		return -ENOENT;
	cmd.port = k->port;
	cmd.fd_rtp = cmd.fd_rtcp = -1;
	/* a muxed call closed its RTCP socket; this one wants it back */
	if (!mux && !k->rtcp) {
		cmd.fd_rtcp = media_bind_pair(e, k->port, true);
		if (cmd.fd_rtcp < 0) {
			drop_head(e, wi);
			return -ENOENT;
		}
	}
	rc = media_cmd_send(e, wi, &cmd);
	if (rc < 0) {
		if (cmd.fd_rtcp >= 0)
			close(cmd.fd_rtcp);
		return rc;
	}
	*port = cmd.port;
	mirror_pop(m);
	e->w[wi].keep_reused++;
	return 0;
}

void media_keep_timer_cb(void *priv)
{
	struct media_engine *e = priv;
	uint64_t now = loop_now_ns(), idle = idle_ns(e);
	bool more = false;

	for (unsigned i = 0; i < e->nw; i++) {
		struct media_keep_mirror *m = &e->w[i].kmirror;

		while (m->n && now - m->s[m->head].since_ns >= idle)
			if (drop_head(e, i) < 0)
				break; /* the queue is full: next time */
		more = more || m->n;
	}
	if (more && e->running)
		loop_timer_schedule(e->sig, &e->keep_timer, 1000000);
}

int media_keep_shed(struct media_engine *e, unsigned wi)
{
	return e->w[wi].kmirror.n ? drop_head(e, wi) : -ENOENT;
}

void media_keep_reset(struct media_engine *e)
{
	for (unsigned i = 0; i < e->nw; i++) {
		struct media_keep_mirror *m = &e->w[i].kmirror;

		while (m->n) {
			media_port_free(e, m->s[m->head].port);
			mirror_pop(m);
		}
	}
}
