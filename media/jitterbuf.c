/* Jitter buffer: a ring of capacity slots indexed by seq & (capacity - 1). */
#include <errno.h>
#include <string.h>
#include <talloc.h>

#include "media/jitterbuf.h"

struct jb {
	struct jb_cfg cfg;
	unsigned mask;
	uint8_t *data; /* capacity * frame_bytes */
	uint16_t *seq; /* which sequence a slot holds */
	uint8_t *full; /* slot holds a frame not yet played */
	uint8_t *last; /* last frame played, for repetition */
	bool have_last;
	bool started; /* first packet seen */
	bool playing;
	uint16_t next; /* next sequence to play */
	uint16_t head; /* highest sequence received (modulo 2^16) */
	unsigned miss_run;
	uint8_t idle;
	struct jb_stats st;
};

static unsigned pow2_at_least(unsigned n)
{
	unsigned p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

struct jb *jb_alloc(void *ctx, const struct jb_cfg *cfg)
{
	struct jb *jb;
	unsigned cap;

	if (!cfg->frame_bytes || !cfg->depth || cfg->depth > 16384)
		return NULL;
	cap = cfg->capacity > 2 * cfg->depth ? cfg->capacity : 2 * cfg->depth;
	cap = pow2_at_least(cap < 4 ? 4 : cap);
	if (cap > 32768)
		return NULL;
	jb = talloc_zero(ctx, struct jb);
	if (!jb)
		return NULL;
	jb->cfg = *cfg;
	jb->cfg.capacity = cap;
	if (!jb->cfg.fade_frames)
		jb->cfg.fade_frames = 4;
	jb->mask = cap - 1;
	jb->data = talloc_zero_array(jb, uint8_t, (size_t)cap * cfg->frame_bytes);
	jb->seq = talloc_zero_array(jb, uint16_t, cap);
	jb->full = talloc_zero_array(jb, uint8_t, cap);
	jb->last = talloc_zero_array(jb, uint8_t, cfg->frame_bytes);
	if (!jb->data || !jb->seq || !jb->full || !jb->last) {
		talloc_free(jb);
		return NULL;
	}
	jb->idle = cfg->payload == JB_PAYLOAD_ALAW   ? G711_ALAW_SILENCE
		   : cfg->payload == JB_PAYLOAD_ULAW ? G711_ULAW_SILENCE
						     : 0;
	jb_reset(jb);
	return jb;
}

void jb_free(struct jb *jb)
{
	talloc_free(jb);
}

static void restart(struct jb *jb)
{
	memset(jb->full, 0, jb->cfg.capacity);
	jb->started = false;
	jb->playing = false;
	jb->miss_run = 0;
}

void jb_reset(struct jb *jb)
{
	restart(jb);
	jb->have_last = false;
	memset(&jb->st, 0, sizeof(jb->st));
}

unsigned jb_fill(const struct jb *jb)
{
	unsigned n = 0;

	for (unsigned i = 0; i < jb->cfg.capacity; i++)
		n += jb->full[i];
	return n;
}

/* Slots after the highest sequence received up to upto, both modulo
 * 2^16, that playout already passed: played empty while the buffer ran
 * dry. A frame beyond them has now arrived, so they were a gap inside the
 * stream, not its end, and count as lost. */
static void count_gap(struct jb *jb, uint16_t upto)
{
	uint16_t played = (uint16_t)(jb->next - 1);
	uint16_t hi = (int16_t)(upto - played) < 0 ? upto : played;
	int16_t n = (int16_t)(hi - jb->head);

	/* dry for half the sequence space: the distance wrapped, unknowable */
	if (n > 0 && jb->miss_run < 0x8000)
		jb->st.lost += (unsigned)n;
}

int jb_put(struct jb *jb, uint16_t seq, const uint8_t *data, size_t len)
{
	unsigned slot;
	int16_t ahead;

	if (len > jb->cfg.frame_bytes)
		return -EMSGSIZE;
	if (!jb->started) {
		jb->started = true;
		jb->next = seq;
		jb->head = seq;
	} else {
		if ((int16_t)(seq - jb->head) > 0)
			count_gap(jb, (uint16_t)(seq - 1));
		/* Position relative to the playout point (or, before playout,
		 * to the first packet). */
		ahead = (int16_t)(seq - jb->next);
		if (ahead < 0) {
			if (ahead < -(int)jb->cfg.capacity * 4) {
				/* Far behind: the sender restarted its numbering. */
				jb->st.resync++;
				restart(jb);
				return jb_put(jb, seq, data, len);
			}
			if (!jb->playing) {
				/* Reordered before playout began: move the start. */
				jb->next = seq;
			} else if (jb->miss_run >= jb->cfg.depth) {
				/* Starved for a whole depth and the stream is
				 * back behind the playout point (the sender
				 * paused): rebuild the delay from here. */
				jb->st.late++;
				jb->st.resync++;
				restart(jb);
				return jb_put(jb, seq, data, len);
			} else {
				/* Its own slot was played empty too: lost,
				 * and the frame itself late. */
				if ((int16_t)(seq - jb->head) > 0) {
					jb->st.lost++;
					jb->head = seq;
				}
				jb->st.late++;
				return -ETIME;
			}
		} else if ((unsigned)ahead >= jb->cfg.capacity) {
			/* Too far ahead to hold: a jump or a long outage.
			 * Start over from this packet. */
			jb->st.resync++;
			restart(jb);
			return jb_put(jb, seq, data, len);
		}
	}
	slot = seq & jb->mask;
	if (jb->full[slot] && jb->seq[slot] == seq) {
		jb->st.duplicate++;
		return -EALREADY;
	}
	if ((int16_t)(seq - jb->head) > 0)
		jb->head = seq;
	jb->seq[slot] = seq;
	jb->full[slot] = 1;
	if (len)
		memcpy(jb->data + (size_t)slot * jb->cfg.frame_bytes, data, len);
	if (len < jb->cfg.frame_bytes)
		memset(jb->data + (size_t)slot * jb->cfg.frame_bytes + len, jb->idle,
		       jb->cfg.frame_bytes - len);
	jb->st.received++;
	if (!jb->playing && (uint16_t)(jb->head - jb->next) + 1u >= jb->cfg.depth)
		jb->playing = true;
	return 0;
}

/* Scale G.711 codes by 2^-shift. */
static void fade(const struct jb *jb, uint8_t *out, unsigned shift)
{
	enum g711_law law = jb->cfg.payload == JB_PAYLOAD_ALAW ? G711_LAW_A : G711_LAW_U;

	for (unsigned i = 0; i < jb->cfg.frame_bytes; i++)
		out[i] = g711_lin2law(law, (int16_t)(g711_law2lin(law, out[i]) >> shift));
}

static enum jb_out conceal(struct jb *jb, uint8_t *out)
{
	unsigned n = jb->cfg.frame_bytes;

	jb->st.concealed++;
	switch (jb->cfg.conceal) {
	case JB_CONCEAL_NONE:
		return JB_OUT_MISSING;
	case JB_CONCEAL_REPEAT_FADE:
		if (jb->cfg.payload != JB_PAYLOAD_RAW && jb->have_last &&
		    jb->miss_run <= jb->cfg.fade_frames) {
			/* First missing frame repeats the last one; each
			 * further one is 6 dB quieter, then silence. */
			memcpy(out, jb->last, n);
			if (jb->miss_run > 1)
				fade(jb, out, jb->miss_run - 1);
			return JB_OUT_CONCEALED;
		}
		/* fall through */
	case JB_CONCEAL_SILENCE:
		break;
	}
	memset(out, jb->idle, n);
	return JB_OUT_CONCEALED;
}

enum jb_out jb_get(struct jb *jb, uint8_t *out)
{
	unsigned slot;

	if (!jb->playing) {
		if (jb->cfg.payload != JB_PAYLOAD_RAW)
			memset(out, jb->idle, jb->cfg.frame_bytes);
		return JB_OUT_BUFFERING;
	}
	slot = jb->next & jb->mask;
	if (jb->full[slot] && jb->seq[slot] == jb->next) {
		memcpy(out, jb->data + (size_t)slot * jb->cfg.frame_bytes, jb->cfg.frame_bytes);
		memcpy(jb->last, out, jb->cfg.frame_bytes);
		jb->have_last = true;
		jb->full[slot] = 0;
		jb->miss_run = 0;
		jb->next++;
		jb->st.played++;
		return JB_OUT_FRAME;
	}
	/* A gap inside the stream (a later frame is here) is lost now; past
	 * everything received the stream has paused or ended, and the slot
	 * counts as lost only if a later frame comes (count_gap()). Keep
	 * concealing on the clock; jb_put() restarts buffering if the stream
	 * returns beyond the window. A gap inside is shorter than the ring
	 * (jb_put() keeps what it holds within it); a longer run of misses is
	 * playout far past the end, where head - next wraps. */
	if ((int16_t)(jb->head - jb->next) > 0 && jb->miss_run < jb->cfg.capacity)
		jb->st.lost++;
	jb->miss_run++;
	jb->next++;
	return conceal(jb, out);
}

const struct jb_stats *jb_stats(const struct jb *jb)
{
	return &jb->st;
}
