/* M3UA SSNM, ASP side (RFC 4666 4.5): DUNA, DAVA, DRST, SCON, DUPU kept per
 * destination, DAUD for those believed unavailable or congested, and the
 * queries on that table. */
#include <string.h>

#include <osmocom/core/fsm.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/timer.h>

#include "core/log.h"
#include "sigtran/m3ua_asp.h"
#include "sigtran/m3ua_asp_int.h"
#include "sigtran/m3ua_dest.h"

static bool any_unavailable(const struct m3ua_asp *asp)
{
	uint8_t apc[4];

	return m3ua_dests_audit(&asp->dests, apc, sizeof(apc)) > 0;
}

static void daud_arm(struct m3ua_asp *asp)
{
	if (any_unavailable(asp)) {
		if (!osmo_timer_pending(&asp->daud))
			osmo_timer_schedule(&asp->daud, asp->cfg.daud_ms / 1000,
					    (asp->cfg.daud_ms % 1000) * 1000);
	} else {
		osmo_timer_del(&asp->daud);
	}
}

/* RFC 4666 4.5.3: audit the destinations we believe unavailable or congested */
static void daud_cb(void *priv)
{
	struct m3ua_asp *asp = priv;
	uint8_t buf[512], apc[4 * 64];
	struct m3ua_enc e;
	unsigned pos = 0;
	size_t n;
	uint32_t rc;

	if (asp->fi->state != M3UA_ASP_S_ACTIVE)
		return;
	/* up to 64 point codes a DAUD, as many DAUDs as it takes */
	while ((n = m3ua_dests_audit_from(&asp->dests, &pos, apc, sizeof(apc))) > 0) {
		m3ua_enc_start(&e, buf, sizeof(buf), M3UA_CLS_SSNM, M3UA_SSNM_DAUD);
		/* RFC 4666 3.4.3: Network Appearance, then Routing Context */
		if (asp->cfg.have_na)
			m3ua_enc_u32(&e, M3UA_IEI_NET_APPEARANCE, asp->cfg.na);
		if (m3ua_asp_rc(asp, &rc))
			m3ua_enc_u32(&e, M3UA_IEI_ROUTE_CTX, rc);
		m3ua_enc_param(&e, M3UA_IEI_AFFECTED_PC, apc, n);
		if (m3ua_asp_tx(asp, buf, m3ua_enc_finish(&e), 0) < 0)
			break;
	}
	daud_arm(asp);
}

static void ssnm_one(struct m3ua_asp *asp, uint8_t type, uint32_t pc, uint8_t mask,
		     const struct m3ua_msg *m)
{
	struct m3ua_dest *d = m3ua_dests_find(&asp->dests, pc, mask, type != M3UA_SSNM_DAVA);
	uint8_t was = d ? d->st : M3UA_DEST_AVAILABLE;
	uint32_t v;

	if (!d && type != M3UA_SSNM_DAVA) {
		LOGP(DM3UA, LOGL_ERROR,
		     "M3UA: SSNM for PC %u: destination table at its limit (%u entries), not "
		     "kept\n",
		     pc, asp->dests.n);
		return;
	}
	switch (type) {
	case M3UA_SSNM_DUNA:
		d->st = M3UA_DEST_UNAVAILABLE;
		d->cong = 0;
		if (was != M3UA_DEST_UNAVAILABLE && asp->ops->pause)
			asp->ops->pause(asp->priv, pc);
		break;
	case M3UA_SSNM_DAVA:
		/* also ends congestion and user part unavailability: the SG has just
		 * audited the destination (4.5.3) */
		if (!d)
			break;
		d->st = M3UA_DEST_AVAILABLE;
		d->dupu = 0;
		if (d->cong && asp->ops->congestion)
			asp->ops->congestion(asp->priv, pc, 0);
		d->cong = 0;
		if (was == M3UA_DEST_UNAVAILABLE && asp->ops->resume)
			asp->ops->resume(asp->priv, pc);
		break;
	case M3UA_SSNM_DRST:
		/* 1.4.3.2: restricted is still reachable */
		d->st = M3UA_DEST_RESTRICTED;
		LOGP(DM3UA, LOGL_NOTICE, "M3UA: destination %u restricted\n", pc);
		if (was == M3UA_DEST_UNAVAILABLE && asp->ops->resume)
			asp->ops->resume(asp->priv, pc);
		break;
	case M3UA_SSNM_SCON:
		/* 3.4.4: Congestion Indications is optional; without it the
		 * destination is congested, level 1 */
		v = 1;
		if (m3ua_msg_u32(m, M3UA_IEI_CONG_IND, &v) < 0 || v > 3)
			v = v > 3 ? 3 : 1;
		d->cong = (uint8_t)v;
		LOGP(DM3UA, LOGL_NOTICE, "M3UA: destination %u congested, level %u\n", pc, v);
		if (asp->ops->congestion)
			asp->ops->congestion(asp->priv, pc, v);
		break;
	case M3UA_SSNM_DUPU:
		/* 3.4.5: User/Cause = cause (16) | user (16) */
		if (m3ua_msg_u32(m, M3UA_IEI_USER_CAUSE, &v) < 0)
			break;
		if ((v & 0xffff) < 16)
			d->dupu |= (uint16_t)(1u << (v & 0xffff));
		LOGP(DM3UA, LOGL_NOTICE, "M3UA: user part %u at %u unavailable, cause %u\n",
		     v & 0xffff, pc, v >> 16);
		if (asp->ops->user_unavailable)
			asp->ops->user_unavailable(asp->priv, pc, (uint8_t)(v & 0xffff), v >> 16);
		break;
	}
}

void m3ua_asp_rx_ssnm(struct m3ua_asp *asp, const struct m3ua_msg *m)
{
	const struct m3ua_param *p = m3ua_msg_find(m, M3UA_IEI_AFFECTED_PC);

	if (m->type == M3UA_SSNM_DAUD) {
		m3ua_asp_send_err(asp, M3UA_ERR_UNSUPP_MSG_TYPE); /* 4.5.3: SG side only */
		return;
	}
	if (!m3ua_asp_na_ok(asp, m))
		return;
	/* RFC 4666 3.4.1: Affected Point Code: mask (8) | point code (24), several */
	for (unsigned i = 0; p && i + 4 <= p->len; i += 4) {
		uint32_t pc = (uint32_t)p->val[i + 1] << 16 | (uint32_t)p->val[i + 2] << 8 |
			      p->val[i + 3];

		ssnm_one(asp, m->type, pc, p->val[i], m);
	}
	m3ua_dests_gc(&asp->dests);
	daud_arm(asp);
}

void m3ua_asp_ssnm_init(struct m3ua_asp *asp)
{
	osmo_timer_setup(&asp->daud, daud_cb, asp);
}

void m3ua_asp_dests_clear(struct m3ua_asp *asp)
{
	asp->dests.n = 0;
	osmo_timer_del(&asp->daud);
}

enum m3ua_dest_state m3ua_asp_dest_state(const struct m3ua_asp *asp, uint32_t dpc)
{
	const struct m3ua_dest *d = m3ua_dests_lookup(&asp->dests, dpc);

	return d ? (enum m3ua_dest_state)d->st : M3UA_DEST_AVAILABLE;
}

bool m3ua_asp_dest_available(const struct m3ua_asp *asp, uint32_t dpc)
{
	return m3ua_asp_dest_state(asp, dpc) != M3UA_DEST_UNAVAILABLE;
}

unsigned m3ua_asp_dest_congestion(const struct m3ua_asp *asp, uint32_t dpc)
{
	const struct m3ua_dest *d = m3ua_dests_lookup(&asp->dests, dpc);

	return d ? d->cong : 0;
}

bool m3ua_asp_user_available(const struct m3ua_asp *asp, uint32_t dpc, uint8_t si)
{
	const struct m3ua_dest *d = m3ua_dests_lookup(&asp->dests, dpc);

	return !d || si >= 16 || !(d->dupu & (1u << si));
}

unsigned m3ua_asp_dest_count(const struct m3ua_asp *asp, uint64_t *refused)
{
	*refused = asp->dests.refused;
	return asp->dests.n;
}

unsigned m3ua_asp_dests(const struct m3ua_asp *asp, struct m3ua_dest_info *out, unsigned max)
{
	unsigned i;

	for (i = 0; i < asp->dests.n && i < max; i++)
		out[i] = (struct m3ua_dest_info){.pc = asp->dests.d[i].pc,
						 .mask = asp->dests.d[i].mask,
						 .st = (enum m3ua_dest_state)asp->dests.d[i].st,
						 .cong = asp->dests.d[i].cong,
						 .dupu = asp->dests.d[i].dupu};
	return i;
}

const char *m3ua_dest_state_name(enum m3ua_dest_state st)
{
	static const char *const names[] = {"available", "restricted", "unavailable"};

	return st <= M3UA_DEST_UNAVAILABLE ? names[st] : "?";
}
