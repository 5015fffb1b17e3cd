/* VTY and configuration glue shared by the layers. */
#pragma once

#include <stddef.h>

#include <osmocom/vty/command.h>

struct loop;

/* Nodes of tandem's configuration, below libosmovty's own. Each layer
 * installs its commands into its node. */
enum tandem_vty_node {
	TANDEM_LOOP_NODE = _LAST_OSMOVTY_NODE + 1,
	TANDEM_SIGTRAN_NODE,
	TANDEM_SIGTRAN_ASP_NODE,
	TANDEM_ISUP_NODE,
	TANDEM_SIP_NODE,
	TANDEM_SIP_TRUNK_NODE,
	TANDEM_MEDIA_NODE,
	TANDEM_ROUTING_NODE,
	TANDEM_ISUP_LINKSET_NODE,
	TANDEM_SIGTRAN_AS_NODE,
	TANDEM_OPS_NODE, /* "operations": CDR file, metrics, shutdown */
	TANDEM_HEP_NODE, /* "hep": capture to a HEP collector */
	/* never entered: writes the top-level "timer" lines, last */
	TANDEM_TIMER_NODE,
};

/* Loop settings read from the "loop" node (apply at start-up). */
struct tandem_loop_cfg {
	unsigned entries, udp_bufs, udp_buf_size, tcp_bufs, tcp_buf_size, send_slots;
};
extern struct tandem_loop_cfg tandem_loop_cfg;

/* Install the core commands: "loop" node, "show loop". */
void tandem_vty_init(void);
/* After every command is installed: "write file PATH" only to the
 * configuration's own file. -ENOENT when libosmovty's command was not found. */
int tandem_vty_harden(void);
/* The loop that "show loop" reports. */
void tandem_vty_set_loop(struct loop *l);

/* Read a configuration file. On error returns -errno/-EINVAL and writes
 * "FILE:LINE: reason: text" into err. */
int tandem_config_read(const char *path, char *err, size_t errlen);
/* A command handler refusing a value says why (also with vty_out for the
 * telnet user): the configuration reader prints it after FILE:LINE. */
void tandem_config_reason(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Checks after reading: the name of the configuration last read, and the
 * number of the nth (0: first) line that starts with prefix (leading blanks
 * skipped) and holds word as a token (word NULL: any); 0 if none. */
const char *tandem_config_name(void);
unsigned tandem_config_find_line(const char *prefix, const char *word, unsigned nth);

/* The same for a configuration held in memory (name is used in messages). */
int tandem_config_read_buf(const char *name, const char *buf, size_t len, char *err, size_t errlen);
