/* ISDN PRI built without libpri: PRI spans are refused with the reason. */
#ifndef TANDEM_HAVE_LIBPRI

#include <errno.h>
#include <stddef.h>

#include "core/log.h"
#include "isdn/isdn_pri.h"

int isdn_init(struct loop *l, const struct isdn_call_ops *o, void *priv)
{
	(void)l;
	(void)o;
	(void)priv;
	return -ENOTSUP;
}

struct isdn_span *isdn_span_create(void *ctx, const struct isdn_span_cfg *cfg)
{
	(void)ctx;
	LOGP(DISDN, LOGL_ERROR, "span %u: PRI signalling needs libpri (libpri-dev), not built in\n",
	     cfg->id);
	return NULL;
}

void isdn_span_free(struct isdn_span *s)
{
	(void)s;
}

void isdn_span_rx(struct isdn_span *s, const uint8_t *frame, size_t len)
{
	(void)s;
	(void)frame;
	(void)len;
}

int isdn_span_restart(struct isdn_span *s, unsigned channel)
{
	(void)s;
	(void)channel;
	return -ENOTSUP;
}

int isdn_span_service(struct isdn_span *s, unsigned channel, unsigned status)
{
	(void)s;
	(void)channel;
	(void)status;
	return -ENOTSUP;
}

int isdn_span_info(const struct isdn_span *s, struct isdn_span_info *o)
{
	(void)s;
	memset(o, 0, sizeof(*o));
	return -ENOTSUP;
}

struct isdn_call *isdn_call_place(struct isdn_span *s, unsigned channel, const char *called,
				  uint8_t called_plan, const char *calling, uint8_t calling_plan,
				  uint8_t calling_pres, uint8_t *cause)
{
	(void)s;
	(void)channel;
	(void)called;
	(void)calling_pres;
	(void)called_plan;
	(void)calling;
	(void)calling_plan;
	*cause = 63;
	return NULL;
}

int isdn_call_proceeding(struct isdn_call *c)
{
	(void)c;
	return -ENOTSUP;
}

int isdn_call_progress(struct isdn_call *c, bool inband)
{
	(void)c;
	(void)inband;
	return -ENOTSUP;
}

int isdn_call_alerting(struct isdn_call *c, bool inband)
{
	(void)c;
	(void)inband;
	return -ENOTSUP;
}

int isdn_call_answer(struct isdn_call *c)
{
	(void)c;
	return -ENOTSUP;
}

int isdn_call_release(struct isdn_call *c, uint8_t cause)
{
	(void)c;
	(void)cause;
	return -ENOTSUP;
}

int isdn_call_clear(struct isdn_call *c, uint8_t cause)
{
	(void)c;
	(void)cause;
	return -ENOTSUP;
}

unsigned isdn_call_channel(const struct isdn_call *c)
{
	(void)c;
	return 0;
}

unsigned isdn_call_span(const struct isdn_call *c)
{
	(void)c;
	return 0;
}

struct isdn_call *isdn_span_call(struct isdn_span *s, unsigned channel)
{
	(void)s;
	(void)channel;
	return NULL;
}

void isdn_call_set_priv(struct isdn_call *c, void *priv)
{
	(void)c;
	(void)priv;
}

void *isdn_call_priv(const struct isdn_call *c)
{
	(void)c;
	return NULL;
}

#endif /* !TANDEM_HAVE_LIBPRI */
