/* The "operations" node: CDR file, /metrics endpoint, what SIGTERM does;
 * and the operator's commands: "cdr rotate", "show cdr", "show metrics",
 * "shutdown graceful [TIMEOUT]". */
#pragma once

struct loop;
struct iw;
struct sip_ua;
struct media_engine;

void iw_ops_vty_init(void);
/* Start what the configuration asks (CDR file, metrics endpoint, SIGTERM
 * behaviour) on the running gateway; later changes apply at once. 0 or
 * -errno (the reason on stderr). */
int iw_ops_start(void *ctx, struct loop *l, struct iw *iw, struct sip_ua *ua,
		 struct media_engine *media);
/* Close the CDR file (fsync) and the endpoint. */
void iw_ops_stop(void);
/* "reload" (VTY) and SIGHUP: re-read the routing node and the trunks'
 * limits from the configuration file; reply says what was done or why
 * not (the running routes stay then). 0 or -errno. */
int iw_ops_reload(char *reply, size_t len);
