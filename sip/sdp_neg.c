/* SDP offer/answer (RFC 3264) and SDP building. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sip/sdp.h"

static const struct sdp_codec_info codecs[SDP_CODEC__NUM] = {
	[SDP_CODEC_PCMU] = {"PCMU", 0, 8000, NULL},
	[SDP_CODEC_PCMA] = {"PCMA", 8, 8000, NULL},
	/* RFC 3551 4.5.2: G.722 is 16 kHz audio but its RTP clock is 8000. */
	[SDP_CODEC_G722] = {"G722", 9, 8000, NULL},
	/* RFC 4733 2.4.1 / 7.1.1: events 0-15 are the DTMF digits. */
	[SDP_CODEC_TEL_EVENT] = {"telephone-event", -1, 8000, "0-15"},
};

#define DEFAULT_PTIME 20 /* RFC 3551 4.5: default packetization of G.711 */

const struct sdp_codec_info *sdp_codec_info(enum sdp_codec c)
{
	return (unsigned)c < SDP_CODEC__NUM ? &codecs[c] : NULL;
}

int sdp_codec_by_name(struct tstr name)
{
	for (unsigned i = 0; i < SDP_CODEC__NUM; i++)
		if (tstr_casecmp_cstr(name, codecs[i].name))
			return (int)i;
	return -1;
}

int sdp_prefs_parse(struct sdp_prefs *p, const char *list)
{
	struct sdp_prefs tmp = {.te_pt = 101, .ptime = DEFAULT_PTIME};
	const char *s = list;

	if (!list || !*list)
		return -EINVAL;
	while (*s) {
		const char *e = strchr(s, ',');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		int c = sdp_codec_by_name(tstr_make(s, n));

		if (c < 0 || tmp.n_codec == SDP_MAX_CODECS)
			return -EINVAL;
		for (unsigned i = 0; i < tmp.n_codec; i++)
			if (tmp.codec[i] == (enum sdp_codec)c)
				return -EINVAL;
		tmp.codec[tmp.n_codec++] = (enum sdp_codec)c;
		if (!e)
			break;
		s = e + 1;
		if (!*s)
			return -EINVAL;
	}
	*p = tmp;
	return 0;
}

static bool prefs_has(const struct sdp_prefs *p, enum sdp_codec c)
{
	for (unsigned i = 0; i < p->n_codec; i++)
		if (p->codec[i] == c)
			return true;
	return false;
}

/* Which of our codecs a payload type of a received m= line is. rtpmap wins;
 * a static pt without rtpmap is the RFC 3551 assignment (RFC 8866 6.6). */
static int fmt_codec(const struct sdp_fmt *f)
{
	int c;

	if (f->has_rtpmap) {
		c = sdp_codec_by_name(f->enc);
		if (c < 0 || codecs[c].rate != f->rate || f->channels != 1)
			return -1;
		return c;
	}
	for (unsigned i = 0; i < SDP_CODEC__NUM; i++)
		if (codecs[i].static_pt >= 0 && codecs[i].static_pt == f->pt)
			return (int)i;
	return -1;
}

static bool proto_ok(const struct sdp_media *m)
{
	return tstr_eq_cstr(m->proto, "RTP/AVP") || tstr_eq_cstr(m->proto, "RTP/AVPF");
}

static bool media_usable(const struct sdp_media *m)
{
	/* RFC 3264 6: port 0 in an offer means the stream is disabled. SRTP is
	 * not something we can answer (no crypto), so SAVP is rejected. */
	return m->port != 0 && tstr_eq_cstr(m->type, "audio") && proto_ok(m);
}

static enum sdp_addrtype local_type(const struct sdp_local *l)
{
	return l->addr && strchr(l->addr, ':') ? SDP_ADDR_IP6 : SDP_ADDR_IP4;
}

/* RFC 3264 6.1: the answer direction mirrors the offer, limited by ours. */
static enum sdp_dir dir_answer(enum sdp_dir offered, enum sdp_dir ours)
{
	bool can_send = offered == SDP_DIR_SENDRECV || offered == SDP_DIR_RECVONLY;
	bool can_recv = offered == SDP_DIR_SENDRECV || offered == SDP_DIR_SENDONLY;
	bool want_send = ours == SDP_DIR_SENDRECV || ours == SDP_DIR_SENDONLY;
	bool want_recv = ours == SDP_DIR_SENDRECV || ours == SDP_DIR_RECVONLY;
	bool send = can_send && want_send, recv = can_recv && want_recv;

	if (send && recv)
		return SDP_DIR_SENDRECV;
	if (send)
		return SDP_DIR_SENDONLY;
	if (recv)
		return SDP_DIR_RECVONLY;
	return SDP_DIR_INACTIVE;
}

static unsigned our_ptime(const struct sdp_prefs *p)
{
	return p->ptime ? p->ptime : DEFAULT_PTIME;
}

/* What we send: the peer's a=ptime, bounded by its a=maxptime (RFC 8866 6.4/6.5). */
static unsigned peer_ptime(const struct sdp_media *m)
{
	unsigned pt = m->ptime ? m->ptime : DEFAULT_PTIME;

	if (m->maxptime && pt > m->maxptime)
		pt = m->maxptime;
	return pt;
}

static void fill_remote(struct sdp_agreed *a, const struct sdp_session *s, unsigned idx)
{
	const struct sdp_media *m = &s->m[idx];
	const struct sdp_conn *c = sdp_media_conn(s, idx);

	a->remote_type = c->type;
	tstr_to_buf(c->addr, a->remote_addr, sizeof(a->remote_addr));
	a->remote_port = m->port;
	/* RFC 3605 2: without a=rtcp, RTCP is on the next higher port;
	 * RFC 5761 5.1.3: with rtcp-mux agreed, on the RTP port (whatever
	 * a=rtcp said) */
	a->remote_rtcp_port = a->rtcp_mux   ? m->port
			      : m->has_rtcp ? m->rtcp_port
					    : (uint16_t)(m->port + 1);
}

/* Pick the voice codec of one offered m= line; returns the fmt index or -1. */
static int pick_codec(const struct sdp_media *m, const struct sdp_prefs *prefs)
{
	if (prefs->offerer_order) {
		for (unsigned i = 0; i < m->n_fmt; i++) {
			int c = fmt_codec(&m->fmt[i]);

			if (c >= 0 && c != SDP_CODEC_TEL_EVENT && prefs_has(prefs, c))
				return (int)i;
		}
		return -1;
	}
	for (unsigned k = 0; k < prefs->n_codec; k++) {
		if (prefs->codec[k] == SDP_CODEC_TEL_EVENT)
			continue;
		for (unsigned i = 0; i < m->n_fmt; i++)
			if (fmt_codec(&m->fmt[i]) == (int)prefs->codec[k])
				return (int)i;
	}
	return -1;
}

/* RFC 4733 7.1.1: events = range *("," range), range = 1*3DIGIT ["-" 1*3DIGIT],
 * values 0..255. Sets bits for the DTMF events 0-15 we can relay; returns
 * -1 if the list is malformed. No fmtp means 0-15 (RFC 4733 2.4.1). */
static int te_events_parse(struct tstr l, uint16_t *mask)
{
	const char *p, *end;

	*mask = 0;
	if (l.len == 0 || !l.p) {
		*mask = 0xffff;
		return 0;
	}
	p = l.p;
	end = l.p + l.len;
	while (p < end) {
		unsigned lo = 0, hi, n = 0;

		while (p < end && *p >= '0' && *p <= '9' && n < 4) {
			lo = lo * 10 + (unsigned)(*p++ - '0');
			n++;
		}
		if (n == 0 || n > 3 || lo > 255)
			return -1;
		hi = lo;
		if (p < end && *p == '-') {
			p++;
			hi = 0;
			n = 0;
			while (p < end && *p >= '0' && *p <= '9' && n < 4) {
				hi = hi * 10 + (unsigned)(*p++ - '0');
				n++;
			}
			if (n == 0 || n > 3 || hi > 255 || hi < lo)
				return -1;
		}
		for (unsigned e = lo; e <= hi && e < 16; e++)
			*mask |= (uint16_t)(1u << e);
		if (p < end && *p != ',')
			return -1;
		if (p < end && ++p == end)
			return -1;
	}
	return 0;
}

static void te_events_fmt(uint16_t mask, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = 0;
	for (unsigned e = 0; e < 16; e++) {
		unsigned hi = e;
		int w;

		if (!(mask & (1u << e)))
			continue;
		while (hi + 1 < 16 && (mask & (1u << (hi + 1))))
			hi++;
		if (hi == e)
			w = snprintf(buf + n, size - n, "%s%u", n ? "," : "", e);
		else
			w = snprintf(buf + n, size - n, "%s%u-%u", n ? "," : "", e, hi);
		if (w < 0 || (size_t)w >= size - n)
			return;
		n += (size_t)w;
		e = hi;
	}
}

/* telephone-event of the offer we can use; fills the answered event list. */
static int pick_te(const struct sdp_media *m, const struct sdp_prefs *prefs, char *ev, size_t evsz)
{
	if (!prefs_has(prefs, SDP_CODEC_TEL_EVENT))
		return -1;
	for (unsigned i = 0; i < m->n_fmt; i++) {
		uint16_t mask;

		if (fmt_codec(&m->fmt[i]) != SDP_CODEC_TEL_EVENT)
			continue;
		if (te_events_parse(m->fmt[i].fmtp, &mask) < 0 || mask == 0)
			continue;
		te_events_fmt(mask, ev, evsz);
		return (int)i;
	}
	return -1;
}

int sdp_answer(struct sdp_answer_res *res, const struct sdp_session *offer,
	       const struct sdp_prefs *prefs, const struct sdp_local *local)
{
	struct sdp_answer_res r;
	bool any_audio = false, addr_mismatch = false, bad_proto = false;

	if (!res || !offer || !prefs || !local || prefs->n_codec == 0)
		return -EINVAL;
	memset(&r, 0, sizeof(r));
	r.n_media = offer->n_media;
	r.agreed.m_idx = -1;
	for (unsigned i = 0; i < offer->n_media && r.agreed.m_idx < 0; i++) {
		const struct sdp_media *m = &offer->m[i];
		const struct sdp_conn *c = sdp_media_conn(offer, i);
		int f, t;

		if (m->port != 0 && tstr_eq_cstr(m->type, "audio") && !proto_ok(m))
			bad_proto = true;
		if (!media_usable(m))
			continue;
		any_audio = true;
		if (!c->numeric || c->type != local_type(local)) {
			/* An FQDN in c= would need a DNS lookup in the media
			 * path, and our RTP socket is of one address family:
			 * RFC 3261 20.43 warning 301 covers both. */
			addr_mismatch = true;
			continue;
		}
		f = pick_codec(m, prefs);
		if (f < 0)
			continue;
		r.accepted[i] = true;
		r.agreed.m_idx = (int)i;
		r.agreed.codec = (enum sdp_codec)fmt_codec(&m->fmt[f]);
		r.agreed.tx_pt = r.agreed.rx_pt = m->fmt[f].pt;
		r.agreed.rate = codecs[r.agreed.codec].rate;
		t = pick_te(m, prefs, r.te_events, sizeof(r.te_events));
		if (t >= 0) {
			/* RFC 3264 6.1: keep the offerer's payload type number. */
			r.agreed.te = true;
			r.agreed.te_tx_pt = r.agreed.te_rx_pt = m->fmt[t].pt;
		}
		r.agreed.tx_ptime = peer_ptime(m);
		r.agreed.rx_ptime = our_ptime(prefs);
		r.agreed.dir = dir_answer(sdp_media_dir(offer, i), local->dir);
		r.agreed.remote_hold = sdp_media_dir(offer, i) == SDP_DIR_SENDONLY ||
				       sdp_media_dir(offer, i) == SDP_DIR_INACTIVE;
		/* RFC 5761 5.1.1, RFC 8035 4: an offered rtcp-mux is accepted */
		r.agreed.rtcp_mux = m->rtcp_mux;
		fill_remote(&r.agreed, offer, i);
	}
	if (r.agreed.m_idx < 0) {
		r.reject = true;
		if (!any_audio && bad_proto) {
			r.warn_code = SDP_WARN_TRANSPORT;
			r.warn_text = "Incompatible transport protocol";
		} else if (!any_audio) {
			r.warn_code = SDP_WARN_MEDIA;
			r.warn_text = "Media type not available";
		} else if (addr_mismatch) {
			r.warn_code = SDP_WARN_NET_ADDR;
			r.warn_text = "Incompatible network address formats";
		} else {
			r.warn_code = SDP_WARN_FORMAT;
			r.warn_text = "Incompatible media format";
		}
	}
	*res = r;
	return 0;
}

/* Bounded appender: keeps going after overflow so callers check once. */
struct sbuf {
	char *p;
	size_t size, len;
	bool overflow;
};

static void __attribute__((format(printf, 2, 3))) sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	size_t room = b->len < b->size ? b->size - b->len : 0;

	va_start(ap, fmt);
	n = vsnprintf(room ? b->p + b->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room) {
		b->overflow = true;
		b->len = b->size;
		return;
	}
	b->len += (size_t)n;
}

static const char *addrtype(const char *addr)
{
	return strchr(addr, ':') ? "IP6" : "IP4";
}

/* Our address goes on the wire verbatim: it must be an IP literal. */
static bool local_ok(const struct sdp_local *l)
{
	unsigned char bin[16];

	return l && l->addr &&
	       inet_pton(strchr(l->addr, ':') ? AF_INET6 : AF_INET, l->addr, bin) == 1 &&
	       (unsigned)l->dir <= SDP_DIR_INACTIVE;
}

static void put_fmt_attrs(struct sbuf *b, uint8_t pt, enum sdp_codec c, struct tstr fmtp)
{
	sb_printf(b, "a=rtpmap:%u %s/%u\r\n", pt, codecs[c].name, codecs[c].rate);
	if (fmtp.len)
		sb_printf(b, "a=fmtp:%u %.*s\r\n", pt, TSTR_FMT(fmtp));
}

/* a=rtcp (RFC 3605) and a=rtcp-mux (RFC 5761 5.1.1). In an offer, mux
 * is what we ask for and a=rtcp the fallback; in an answer that accepts
 * it, RTCP is on the RTP port, so a=rtcp (if any) names that port
 * (RFC 5761 5.1.3). */
static void put_rtcp(struct sbuf *b, const struct sdp_local *l, bool mux, bool answer)
{
	if (l->rtcp_port)
		sb_printf(b, "a=rtcp:%u\r\n", answer && mux ? l->port : l->rtcp_port);
	if (mux)
		sb_printf(b, "a=rtcp-mux\r\n");
}

static uint64_t fnv1a(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Emits v=, o=, s= in front of the body already in `body`, bumping the
 * version when the rest differs from the last sent one (RFC 3264 8). */
static int finish(char *buf, size_t size, struct sbuf *body, struct sdp_local *l)
{
	struct sbuf head = {.p = buf, .size = size};
	uint64_t fp;

	if (body->overflow)
		return -ENOSPC;
	fp = fnv1a(body->p, body->len);
	if (l->sent && fp != l->last_fp)
		l->sess_version++;
	sb_printf(&head, "v=0\r\no=%s %" PRIu64 " %" PRIu64 " IN %s %s\r\ns=%s\r\n",
		  l->user ? l->user : "-", l->sess_id, l->sess_version, addrtype(l->addr), l->addr,
		  "tandem");
	if (head.overflow || head.len + body->len >= size) {
		if (l->sent && fp != l->last_fp)
			l->sess_version--;
		return -ENOSPC;
	}
	memcpy(buf + head.len, body->p, body->len);
	buf[head.len + body->len] = 0;
	l->sent = true;
	l->last_fp = fp;
	return (int)(head.len + body->len);
}

#define BODY_MAX 2048

int sdp_offer_encode(char *buf, size_t size, const struct sdp_prefs *prefs, struct sdp_local *local)
{
	char tmp[BODY_MAX];
	struct sbuf b = {.p = tmp, .size = sizeof(tmp)};

	if (!buf || !prefs || !local_ok(local) || prefs->n_codec == 0 || size == 0)
		return -EINVAL;
	sb_printf(&b, "c=IN %s %s\r\nt=0 0\r\nm=audio %u RTP/AVP", addrtype(local->addr),
		  local->addr, local->port);
	for (unsigned i = 0; i < prefs->n_codec; i++) {
		enum sdp_codec c = prefs->codec[i];

		sb_printf(&b, " %u",
			  codecs[c].static_pt >= 0 ? (unsigned)codecs[c].static_pt : prefs->te_pt);
	}
	sb_printf(&b, "\r\n");
	for (unsigned i = 0; i < prefs->n_codec; i++) {
		enum sdp_codec c = prefs->codec[i];
		const char *fm = codecs[c].fmtp;

		put_fmt_attrs(
			&b, codecs[c].static_pt >= 0 ? (uint8_t)codecs[c].static_pt : prefs->te_pt,
			c, fm ? tstr_make(fm, strlen(fm)) : TSTR_NULL);
	}
	sb_printf(&b, "a=ptime:%u\r\n", our_ptime(prefs));
	put_rtcp(&b, local, local->rtcp_mux, false);
	sb_printf(&b, "a=%s\r\n", sdp_dir_name(local->dir));
	return finish(buf, size, &b, local);
}

int sdp_answer_encode(char *buf, size_t size, const struct sdp_session *offer,
		      const struct sdp_answer_res *res, const struct sdp_prefs *prefs,
		      struct sdp_local *local)
{
	char tmp[BODY_MAX];
	struct sbuf b = {.p = tmp, .size = sizeof(tmp)};
	const struct sdp_agreed *a = &res->agreed;

	if (!buf || !offer || !res || !prefs || !local_ok(local) || res->reject || a->m_idx < 0 ||
	    (unsigned)a->m_idx >= offer->n_media || size == 0)
		return -EINVAL;
	sb_printf(&b, "c=IN %s %s\r\nt=0 0\r\n", addrtype(local->addr), local->addr);
	/* RFC 3264 6: same number of m= lines, same order; rejected ones get
	 * port 0 and keep the offered format list. */
	for (unsigned i = 0; i < offer->n_media; i++) {
		const struct sdp_media *m = &offer->m[i];

		if ((int)i != a->m_idx) {
			sb_printf(&b, "m=%.*s 0 %.*s %.*s\r\n", TSTR_FMT(m->type),
				  TSTR_FMT(m->proto), TSTR_FMT(m->fmt_list));
			continue;
		}
		sb_printf(&b, "m=audio %u %.*s %u", local->port, TSTR_FMT(m->proto), a->rx_pt);
		if (a->te)
			sb_printf(&b, " %u", a->te_rx_pt);
		sb_printf(&b, "\r\n");
		put_fmt_attrs(&b, a->rx_pt, a->codec, TSTR_NULL);
		if (a->te)
			put_fmt_attrs(&b, a->te_rx_pt, SDP_CODEC_TEL_EVENT,
				      tstr_make(res->te_events, strlen(res->te_events)));
		sb_printf(&b, "a=ptime:%u\r\n", a->rx_ptime);
		put_rtcp(&b, local, a->rtcp_mux, true);
		sb_printf(&b, "a=%s\r\n", sdp_dir_name(a->dir));
	}
	return finish(buf, size, &b, local);
}

/* Payload type we used in our offer for codec c, or -1 if not offered. */
static int offered_pt(const struct sdp_prefs *prefs, enum sdp_codec c)
{
	if (!prefs_has(prefs, c))
		return -1;
	return codecs[c].static_pt >= 0 ? codecs[c].static_pt : prefs->te_pt;
}

int sdp_answer_rx(struct sdp_agreed *out, const struct sdp_session *answer,
		  const struct sdp_prefs *prefs, const struct sdp_local *local, const char **reason)
{
	struct sdp_agreed a;
	const struct sdp_media *m;
	const char *why = NULL;
	int rc = -EPROTO;

	memset(&a, 0, sizeof(a));
	/* RFC 3264 6: the answer has exactly the offer's m= lines (we offer one). */
	if (answer->n_media != 1) {
		why = "answer m= count differs from the offer";
		goto out;
	}
	m = &answer->m[0];
	if (!tstr_eq_cstr(m->type, "audio") || !tstr_eq_cstr(m->proto, "RTP/AVP")) {
		why = "answer media type/proto differs from the offer";
		goto out;
	}
	if (m->port == 0) {
		why = "peer rejected the audio stream";
		rc = -ENOMEDIUM;
		goto out;
	}
	if (!sdp_media_conn(answer, 0)->numeric) {
		why = "answer c= is not an IP literal";
		goto out;
	}
	a.m_idx = 0;
	a.codec = SDP_CODEC__NUM;
	/* RFC 3264 6.1/7: the answer lists a subset of the offered codecs, in
	 * the answerer's preference; we send the first one with the answer's
	 * payload type number and receive on the one we offered. */
	for (unsigned i = 0; i < m->n_fmt; i++) {
		int c = fmt_codec(&m->fmt[i]);
		int opt = c >= 0 ? offered_pt(prefs, (enum sdp_codec)c) : -1;

		if (opt < 0) {
			why = "answer contains a codec that was not offered";
			goto out;
		}
		if (c == SDP_CODEC_TEL_EVENT) {
			if (!a.te) {
				a.te = true;
				a.te_tx_pt = m->fmt[i].pt;
				a.te_rx_pt = (uint8_t)opt;
			}
		} else if (a.codec == SDP_CODEC__NUM) {
			a.codec = (enum sdp_codec)c;
			a.tx_pt = m->fmt[i].pt;
			a.rx_pt = (uint8_t)opt;
			a.rate = codecs[c].rate;
		}
	}
	if (a.codec == SDP_CODEC__NUM) {
		why = "answer has no voice codec";
		goto out;
	}
	a.tx_ptime = peer_ptime(m);
	a.rx_ptime = our_ptime(prefs);
	{
		enum sdp_dir peer = sdp_media_dir(answer, 0);

		/* RFC 3264 6.1 seen from the offerer: the peer's recvonly is our
		 * sendonly; a peer answering more than we offered is an error. */
		a.dir = dir_answer(peer, local->dir);
		if ((local->dir == SDP_DIR_SENDONLY &&
		     (peer == SDP_DIR_SENDRECV || peer == SDP_DIR_SENDONLY)) ||
		    (local->dir == SDP_DIR_RECVONLY &&
		     (peer == SDP_DIR_SENDRECV || peer == SDP_DIR_RECVONLY)) ||
		    (local->dir == SDP_DIR_INACTIVE && peer != SDP_DIR_INACTIVE)) {
			why = "answer direction not allowed by the offer";
			goto out;
		}
		a.remote_hold = peer == SDP_DIR_SENDONLY || peer == SDP_DIR_INACTIVE;
	}
	/* RFC 5761 5.1.1: mux only when we offered it and the answer has it;
	 * an a=rtcp-mux we did not offer is not taken (RFC 8035 4) */
	a.rtcp_mux = local->rtcp_mux && m->rtcp_mux;
	fill_remote(&a, answer, 0);
	*out = a;
	rc = 0;
out:
	if (reason)
		*reason = why;
	return rc;
}

int sdp_warning_encode(char *buf, size_t size, int code, const char *agent, const char *text)
{
	struct sbuf b = {.p = buf, .size = size};

	/* RFC 3261 20.43: warn-code SP warn-agent SP warn-text (quoted). */
	sb_printf(&b, "%03d %s \"%s\"", code, agent && *agent ? agent : "-", text ? text : "");
	return b.overflow ? -ENOSPC : (int)b.len;
}
