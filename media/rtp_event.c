/* RFC 4733 telephone events. */
#include <errno.h>
#include <string.h>

#include "media/rtp_event.h"

int rtp_event_encode(uint8_t *buf, size_t size, const struct rtp_event *ev)
{
	if (size < RTP_EVENT_LEN)
		return -ENOSPC;
	if (ev->volume > RTP_EVENT_MAX_VOLUME)
		return -EINVAL;
	buf[0] = ev->event;
	/* R bit is reserved: sent as zero, ignored on receipt. */
	buf[1] = (ev->end ? 0x80 : 0) | ev->volume;
	buf[2] = ev->duration >> 8;
	buf[3] = ev->duration & 0xff;
	return RTP_EVENT_LEN;
}

int rtp_event_decode(const uint8_t *buf, size_t len, struct rtp_event *ev)
{
	if (len < RTP_EVENT_LEN)
		return -EBADMSG;
	ev->event = buf[0];
	ev->end = buf[1] & 0x80;
	ev->volume = buf[1] & 0x3f;
	ev->duration = (uint16_t)(buf[2] << 8 | buf[3]);
	return 0;
}

int rtp_event_from_digit(char d)
{
	if (d >= '0' && d <= '9')
		return d - '0';
	if (d == '*')
		return 10;
	if (d == '#')
		return 11;
	if (d >= 'A' && d <= 'D')
		return 12 + d - 'A';
	if (d >= 'a' && d <= 'd')
		return 12 + d - 'a';
	return -1;
}

char rtp_event_to_digit(uint8_t event)
{
	static const char map[] = "0123456789*#ABCD";

	return event < 16 ? map[event] : 0;
}

void rtp_event_tx_init(struct rtp_event_tx *tx)
{
	memset(tx, 0, sizeof(*tx));
}

int rtp_event_tx_start(struct rtp_event_tx *tx, uint8_t event, uint8_t volume, uint32_t ts)
{
	if (tx->state != RTP_EVENT_TX_IDLE)
		return -EBUSY;
	if (volume > RTP_EVENT_MAX_VOLUME)
		volume = RTP_EVENT_MAX_VOLUME;
	tx->state = RTP_EVENT_TX_ACTIVE;
	tx->event = event;
	tx->volume = volume;
	tx->ts = ts;
	tx->duration = 0;
	tx->first = true;
	return 0;
}

void rtp_event_tx_stop(struct rtp_event_tx *tx)
{
	if (tx->state == RTP_EVENT_TX_ACTIVE) {
		tx->state = RTP_EVENT_TX_ENDING;
		tx->ends_left = RTP_EVENT_END_COPIES;
	}
}

static void fill(const struct rtp_event_tx *tx, struct rtp_event_pkt *pkt, bool end)
{
	struct rtp_event ev = {
		.event = tx->event,
		.end = end,
		.volume = tx->volume,
		.duration = (uint16_t)tx->duration,
	};

	pkt->marker = tx->first;
	pkt->ts = tx->ts;
	rtp_event_encode(pkt->payload, sizeof(pkt->payload), &ev);
}

int rtp_event_tx_tick(struct rtp_event_tx *tx, uint32_t elapsed, struct rtp_event_pkt *pkt)
{
	switch (tx->state) {
	case RTP_EVENT_TX_IDLE:
		return 0;
	case RTP_EVENT_TX_ACTIVE:
		/* 2.5.1.3: a duration that would pass 0xffff ends the
		 * segment at 0xffff; the next segment starts at the
		 * timestamp where that one stopped, without the marker. */
		if (tx->duration + elapsed > 0xffff) {
			uint32_t over = tx->duration + elapsed - 0xffff;

			tx->ts += 0xffff;
			tx->duration = over;
			tx->first = false;
		} else {
			tx->duration += elapsed;
		}
		fill(tx, pkt, false);
		tx->first = false;
		return 1;
	case RTP_EVENT_TX_ENDING:
		/* 2.5.1.4: the final packet is sent three times with the
		 * same duration, the E bit set. */
		fill(tx, pkt, true);
		tx->first = false;
		if (--tx->ends_left == 0)
			tx->state = RTP_EVENT_TX_IDLE;
		return 1;
	}
	return 0;
}

void rtp_event_rx_init(struct rtp_event_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
}

enum rtp_event_rx_kind rtp_event_rx_update(struct rtp_event_rx *rx, uint32_t ts,
					   const struct rtp_event *ev)
{
	/* 2.5.2.1: a new timestamp is a new event (or a new segment of a
	 * long one; a segment of the same event continues it). */
	if (!rx->active || ts != rx->ts) {
		bool continues = rx->active && !rx->ended && ev->event == rx->event &&
				 (int32_t)(ts - rx->ts) > 0;

		if (rx->active && (int32_t)(ts - rx->ts) < 0)
			return RTP_EVENT_RX_NONE; /* late packet of an old event */
		rx->active = true;
		rx->ended = ev->end;
		rx->ts = ts;
		rx->event = ev->event;
		rx->duration = ev->duration;
		if (continues)
			return ev->end ? RTP_EVENT_RX_END : RTP_EVENT_RX_UPDATE;
		/* An event whose start packets were all lost still starts. */
		return ev->end ? RTP_EVENT_RX_END : RTP_EVENT_RX_START;
	}
	if (rx->ended)
		return RTP_EVENT_RX_NONE; /* retransmitted end */
	if (ev->end) {
		rx->ended = true;
		rx->duration = ev->duration;
		return RTP_EVENT_RX_END;
	}
	if (ev->duration > rx->duration) {
		rx->duration = ev->duration;
		return RTP_EVENT_RX_UPDATE;
	}
	return RTP_EVENT_RX_NONE;
}
