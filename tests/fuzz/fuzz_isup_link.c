/* Fuzz the ISUP linkset and call control with what the network may send:
 * the input is cut into messages (a length octet, then that many bytes from
 * the CIC on) and fed to one linkset of 31 circuits, ITU or ANSI by the
 * first octet, with time passing between messages so that timers run.
 * Whatever arrives: no crash, no leak (every call and procedure is freed
 * with the linkset), and the tx path only ever sends what encodes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <osmocom/core/application.h>
#include <osmocom/core/timer.h>
#include <talloc.h>

#include "core/log.h"
#include "sigtran/isup_link.h"

static size_t sent;

static int tx(void *priv, uint32_t opc, uint32_t dpc, uint8_t ni, uint8_t sls, const uint8_t *buf,
	      size_t len)
{
	(void)priv;
	(void)opc;
	(void)dpc;
	(void)ni;
	(void)sls;
	if (!buf || len < 3 || len > 272)
		abort();
	sent += len;
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* the log categories exist, nothing is printed below fatal */
	tandem_log_init(NULL);
	log_set_log_level(osmo_stderr_target, LOGL_FATAL);
	osmo_gettimeofday_override = true;
	osmo_gettimeofday_override_time = (struct timeval){.tv_sec = 1000000};
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct isup_link_cfg cfg = {
		.name = "fuzz", .opc = 2, .dpc = 1, .ni = 2, .grs_on_up = true, .overlap = true};
	void *ctx = talloc_named_const(NULL, 0, "fuzz");
	struct isup_link *l;
	size_t off = 1;

	if (size < 1) {
		talloc_free(ctx);
		return 0;
	}
	cfg.variant = data[0] & 1 ? ISUP_VAR_ANSI : ISUP_VAR_ITU;
	cfg.glare = (enum isup_glare_rule)((data[0] >> 1) % 3);
	l = isup_link_alloc(ctx, &cfg, tx, NULL, NULL, NULL);
	if (!l || isup_cic_add_range(isup_link_cics(l), 1, 31, 0, 1) < 0)
		abort();
	isup_link_up(l);
	while (off < size) {
		size_t n = data[off++];

		if (n > size - off)
			n = size - off;
		isup_link_rx(l, 1, data + off, n);
		off += n;
		/* a few seconds pass: T7, T8, T35, T16, T22... get their turn */
		osmo_gettimeofday_override_time.tv_sec += (n % 40);
		osmo_timers_prepare();
		osmo_timers_update();
	}
	isup_link_free(l);
	if (talloc_total_blocks(ctx) != 1)
		abort(); /* something outlived its linkset */
	talloc_free(ctx);
	return 0;
}
