/* PRI spans: the media plane carries the D channel's HDLC frames (media/
 * span.c), isdn/ runs Q.921/Q.931 on them; this file connects the two.
 * Calls: isdn/ raises them through isdn_call_ops, which the PRI circuit
 * leg (iw_leg_pri.c) implements toward the call. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "interwork/iw_leg_pri.h"
#include "interwork/iw_pri.h"
#include "isdn/isdn_pri.h"
#include "media/media.h"

static struct media_engine *pri_media;

static int dchan_tx(void *priv, unsigned span, const uint8_t *frame, size_t len)
{
	(void)priv;
	return media_dchan_send(pri_media, span, frame, len);
}

static void dchan_rx(void *priv, unsigned span, const uint8_t *frame, size_t len)
{
	struct isdn_span *s = isdn_span_find(span);

	(void)priv;
	if (s)
		isdn_span_rx(s, frame, len);
}

int iw_pri_start(void *ctx, struct loop *l, struct media_engine *m)
{
	bool any = false;

	pri_media = m;
	for (unsigned i = 0; i < media_vty_n_spans; i++)
		any |= media_vty_spans[i].dchan_ts != 0;
	if (!any)
		return 0;
	if (isdn_init(l, iw_leg_pri_ops(ctx), NULL) < 0) {
		fprintf(stderr, "tandemd: PRI spans are configured but this tandemd was built "
				"without libpri (install libpri-dev and rebuild)\n");
		return -1;
	}
	media_engine_set_dchan_cb(m, dchan_rx, NULL);
	for (unsigned i = 0; i < media_vty_n_spans; i++) {
		const struct media_span_cfg *sc = &media_vty_spans[i];
		struct isdn_span_cfg ic = {
			.id = sc->id,
			.t1 = sc->t1,
			.network = !strcmp(sc->dchan_role, "network"),
			.dchan_ts = sc->dchan_ts,
			.restart_on_up = true,
			.tx = dchan_tx,
		};
		int sw = isdn_switch_parse(sc->dchan_switch);

		if (!sc->dchan_ts)
			continue;
		if (sw < 0) {
			fprintf(stderr, "tandemd: span %u: unknown switchtype '%s'\n", sc->id,
				sc->dchan_switch);
			return -1;
		}
		ic.sw = (enum isdn_switch)sw;
		if (!isdn_span_create(ctx, &ic)) {
			fprintf(stderr, "tandemd: span %u: cannot start its PRI D channel\n",
				sc->id);
			return -1;
		}
	}
	return 0;
}
