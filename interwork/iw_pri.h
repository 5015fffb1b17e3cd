/* PRI spans: the D channels of the media plane's spans to isdn/ (libpri). */
#pragma once

struct loop;
struct media_engine;

/* Make an isdn_span for every configured span with "signalling pri" and
 * connect its D channel frames both ways. 0, or -1 with the reason on
 * stderr (tandemd does not start with a PRI span it cannot run). */
int iw_pri_start(void *ctx, struct loop *l, struct media_engine *m);
