/* RFC 4733 telephone-event payload and the sender/receiver state that turns
 * a digit (start ... end) into the packet sequence of RFC 4733 2.5 and
 * back. Pure; fixed state; the caller sends the packets. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTP_EVENT_LEN	     4
#define RTP_EVENT_MAX_VOLUME 63
#define RTP_EVENT_END_COPIES 3

struct rtp_event {
	uint8_t event;	   /* 0-9, 10 '*', 11 '#', 12-15 A-D */
	bool end;	   /* E bit */
	uint8_t volume;	   /* -dBm0, 0..63 */
	uint16_t duration; /* timestamp units */
};

/* RFC 4733 2.3: event(8) | E | R | volume(6) | duration(16). */
int rtp_event_encode(uint8_t *buf, size_t size, const struct rtp_event *ev);
/* Decodes the first event of the payload (a payload may carry several;
 * RFC 4733 2.5.1.5 redundancy is not used by this gateway). */
int rtp_event_decode(const uint8_t *buf, size_t len, struct rtp_event *ev);

/* '0'..'9', '*', '#', 'A'..'D' <-> event code; -1/0 when not a DTMF digit. */
int rtp_event_from_digit(char digit);
char rtp_event_to_digit(uint8_t event);

/* Sender (RFC 4733 2.5.1). The caller ticks it once per packet interval
 * with the samples elapsed; each tick yields at most one packet. */
enum rtp_event_tx_state {
	RTP_EVENT_TX_IDLE,
	RTP_EVENT_TX_ACTIVE,
	RTP_EVENT_TX_ENDING,
};

struct rtp_event_tx {
	enum rtp_event_tx_state state;
	uint8_t event;
	uint8_t volume;
	uint32_t ts;	   /* timestamp of the current segment */
	uint32_t duration; /* within the current segment */
	bool first;	   /* next packet is the first of the event */
	uint8_t ends_left;
};

struct rtp_event_pkt {
	bool marker;
	uint32_t ts;
	uint8_t payload[RTP_EVENT_LEN];
};

void rtp_event_tx_init(struct rtp_event_tx *tx);
/* Begin an event at timestamp ts (the start of the tone). Returns -EBUSY
 * while a previous event is still being sent. */
int rtp_event_tx_start(struct rtp_event_tx *tx, uint8_t event, uint8_t volume, uint32_t ts);
/* The tone stopped: the next ticks send the final duration three times
 * with the E bit (2.5.1.4). */
void rtp_event_tx_stop(struct rtp_event_tx *tx);
/* Advance by elapsed samples and produce the packet for this interval.
 * Returns 1 with *pkt set, 0 when there is nothing to send. */
int rtp_event_tx_tick(struct rtp_event_tx *tx, uint32_t elapsed, struct rtp_event_pkt *pkt);

/* Receiver: one event at a time, keyed by its RTP timestamp (2.5.2). */
enum rtp_event_rx_kind {
	RTP_EVENT_RX_NONE,   /* retransmission or stale: nothing new */
	RTP_EVENT_RX_START,  /* a new event began */
	RTP_EVENT_RX_UPDATE, /* same event, longer duration */
	RTP_EVENT_RX_END,    /* first packet with E for this event */
};

struct rtp_event_rx {
	bool active;
	bool ended;
	uint32_t ts;
	uint8_t event;
	uint16_t duration;
};

void rtp_event_rx_init(struct rtp_event_rx *rx);
enum rtp_event_rx_kind rtp_event_rx_update(struct rtp_event_rx *rx, uint32_t ts,
					   const struct rtp_event *ev);
