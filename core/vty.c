/* Configuration reading with file and line in every error, the "loop" node
 * and "show loop". */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <osmocom/core/talloc.h>
#include <osmocom/vty/vector.h>
#include <osmocom/vty/vty.h>

#include "core/loop.h"
#include "core/vty.h"

struct tandem_loop_cfg tandem_loop_cfg = {
	.entries = 1024,
	.udp_bufs = 1024,
	.udp_buf_size = 65535, /* the largest UDP datagram, received whole */
	.tcp_bufs = 256,
	.tcp_buf_size = 16384,
	.send_slots = 1024,
};

static struct loop *vty_loop;

void tandem_vty_set_loop(struct loop *l)
{
	vty_loop = l;
}

/* --- reading: libosmovty parses, we count lines --- */

struct cfg_cookie {
	const char *buf;
	size_t len, pos;
	unsigned lines; /* newlines handed out so far */
};

/* Hand the stream out one line at most per read, so the number of
 * newlines given equals the number of the line being parsed. */
static ssize_t cfg_cookie_read(void *c_, char *out, size_t size)
{
	struct cfg_cookie *c = c_;
	size_t n = 0;

	while (n < size && c->pos < c->len) {
		char ch = c->buf[c->pos++];

		out[n++] = ch;
		if (ch == '\n') {
			c->lines++;
			break;
		}
	}
	return (ssize_t)n;
}

/* Why a handler refused a value, set while the configuration is read. */
static char handler_reason[256];

void tandem_config_reason(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(handler_reason, sizeof(handler_reason), fmt, ap);
	va_end(ap);
}

static const char *reason_from(const char *captured)
{
	if (handler_reason[0])
		return handler_reason;
	if (strstr(captured, "There is no such command"))
		return "unknown command, or an argument out of range";
	if (strstr(captured, "Ambiguous"))
		return "ambiguous command";
	/* libosmovty says nothing more for an incomplete command or one whose
	 * handler refused the value (it printed why on the console). */
	return "command incomplete or value rejected";
}

/* The text last read, kept for checks that run after reading (a route to a
 * trunk defined nowhere): they name the line too. */
static char *read_name, *read_text;

static void keep_text(const char *name, const char *buf, size_t len)
{
	free(read_name);
	free(read_text);
	read_name = strdup(name);
	read_text = strndup(buf, len);
}

int tandem_config_read_buf(const char *name, const char *buf, size_t len, char *err, size_t errlen)
{
	struct cfg_cookie ck = {.buf = buf, .len = len};
	cookie_io_functions_t io = {.read = cfg_cookie_read};
	char captured[1024] = "";
	FILE *fp, *cap;
	int saved, rc;

	fp = fopencookie(&ck, "r", io);
	if (!fp)
		return -errno;
	setvbuf(fp, NULL, _IONBF, 0);

	/* libosmovty writes its complaint to stderr: catch it, so that what the
	 * operator sees is one line with the file and line number. */
	cap = tmpfile();
	saved = dup(STDERR_FILENO);
	if (cap && saved >= 0) {
		fflush(stderr);
		dup2(fileno(cap), STDERR_FILENO);
	}
	handler_reason[0] = 0;
	keep_text(name, buf, len);
	rc = vty_read_config_filep(fp, NULL);
	if (cap && saved >= 0) {
		size_t n;

		fflush(stderr);
		dup2(saved, STDERR_FILENO);
		rewind(cap);
		n = fread(captured, 1, sizeof(captured) - 1, cap);
		captured[n] = 0;
	}
	if (saved >= 0)
		close(saved);
	if (cap)
		fclose(cap);
	fclose(fp);

	if (rc < 0) {
		/* The failing line is the last one read (it may lack a newline). */
		unsigned lineno = ck.lines + (ck.pos > 0 && buf[ck.pos - 1] != '\n' ? 1 : 0);
		size_t start = ck.pos, end;

		if (start > 0 && buf[start - 1] == '\n')
			start--;
		end = start;
		while (start > 0 && buf[start - 1] != '\n')
			start--;
		while (start < end && (buf[start] == ' ' || buf[start] == '\t'))
			start++;
		snprintf(err, errlen, "%s:%u: %s: '%.*s'", name, lineno, reason_from(captured),
			 (int)(end - start), buf + start);
		return -EINVAL;
	}
	return 0;
}

const char *tandem_config_name(void)
{
	return read_name ? read_name : "(configuration)";
}

/* does the line (leading blanks skipped) start with prefix and hold word
 * as a whole blank-separated token (word NULL: any)? */
static bool line_has(const char *line, size_t len, const char *prefix, const char *word)
{
	size_t pl = strlen(prefix), wl = word ? strlen(word) : 0;

	while (len && (*line == ' ' || *line == '\t'))
		line++, len--;
	if (len < pl || strncmp(line, prefix, pl))
		return false;
	if (!word)
		return true;
	for (size_t i = 0; i + wl <= len; i++) {
		if ((i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t') &&
		    !strncmp(line + i, word, wl) &&
		    (i + wl == len || line[i + wl] == ' ' || line[i + wl] == '\t' ||
		     line[i + wl] == ':' || line[i + wl] == '\r'))
			return true;
	}
	return false;
}

unsigned tandem_config_find_line(const char *prefix, const char *word, unsigned nth)
{
	const char *p = read_text;
	unsigned lineno = 0, seen = 0;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		lineno++;
		if (line_has(p, len, prefix, word) && ++seen > nth)
			return lineno;
		if (!nl)
			break;
		p = nl + 1;
	}
	return 0;
}

int tandem_config_read(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	struct stat st = {0};
	int rc;

	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -errno;
	}
	/* a directory opens, then reads as nothing: an empty configuration */
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file%s", path,
			 S_ISDIR(st.st_mode) ? " (a directory)" : "");
		fclose(f);
		return -EINVAL;
	}
	for (;;) {
		size_t n;

		if (cap - len < 4096) {
			char *nb = realloc(buf, cap + 65536);

			if (!nb) {
				free(buf);
				fclose(f);
				snprintf(err, errlen, "%s: out of memory", path);
				return -ENOMEM;
			}
			buf = nb;
			cap += 65536;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		free(buf);
		fclose(f);
		return -EIO;
	}
	fclose(f);
	rc = tandem_config_read_buf(path, buf ? buf : "", len, err, errlen);
	free(buf);
	return rc;
}

/* --- the "loop" node --- */

static struct cmd_node loop_node = {
	.node = TANDEM_LOOP_NODE,
	.prompt = "%s(config-loop)# ",
	.vtysh = 1,
};

DEFUN(cfg_loop, cfg_loop_cmd, "loop", "Configure the io_uring event loop\n")
{
	vty->node = TANDEM_LOOP_NODE;
	return CMD_SUCCESS;
}

#define LOOP_SET(field)                                          \
	do {                                                     \
		tandem_loop_cfg.field = (unsigned)atoi(argv[0]); \
		return CMD_SUCCESS;                              \
	} while (0)

DEFUN(cfg_loop_entries, cfg_loop_entries_cmd, "ring-entries <64-32768>",
      "Submission queue entries of the ring (applies at start-up)\nNumber of entries\n")
{
	LOOP_SET(entries);
}

static int pow2_arg(struct vty *vty, const char *a, unsigned *out)
{
	unsigned v = (unsigned)atoi(a);

	if (v & (v - 1)) {
		vty_out(vty, "%% %u is not a power of two%s", v, VTY_NEWLINE);
		return CMD_WARNING;
	}
	*out = v;
	return CMD_SUCCESS;
}

DEFUN(cfg_loop_udp_bufs, cfg_loop_udp_bufs_cmd, "udp-buffers <16-32768>",
      "Buffers in the UDP receive ring (power of two)\nNumber of buffers\n")
{
	return pow2_arg(vty, argv[0], &tandem_loop_cfg.udp_bufs);
}

DEFUN(cfg_loop_udp_buf_size, cfg_loop_udp_buf_size_cmd, "udp-buffer-size <512-65535>",
      "Largest UDP datagram received whole (a larger one is dropped and counted; default "
      "65535)\nBytes\n")
{
	LOOP_SET(udp_buf_size);
}

DEFUN(cfg_loop_tcp_bufs, cfg_loop_tcp_bufs_cmd, "tcp-buffers <16-32768>",
      "Buffers in the TCP receive ring (power of two)\nNumber of buffers\n")
{
	return pow2_arg(vty, argv[0], &tandem_loop_cfg.tcp_bufs);
}

DEFUN(cfg_loop_send_slots, cfg_loop_send_slots_cmd, "udp-send-slots <16-65536>",
      "UDP datagrams that may be in flight at once\nNumber of slots\n")
{
	LOOP_SET(send_slots);
}

static int config_write_loop(struct vty *vty)
{
	vty_out(vty, "loop%s", VTY_NEWLINE);
	vty_out(vty, " ring-entries %u%s", tandem_loop_cfg.entries, VTY_NEWLINE);
	vty_out(vty, " udp-buffers %u%s", tandem_loop_cfg.udp_bufs, VTY_NEWLINE);
	vty_out(vty, " udp-buffer-size %u%s", tandem_loop_cfg.udp_buf_size, VTY_NEWLINE);
	vty_out(vty, " tcp-buffers %u%s", tandem_loop_cfg.tcp_bufs, VTY_NEWLINE);
	vty_out(vty, " udp-send-slots %u%s", tandem_loop_cfg.send_slots, VTY_NEWLINE);
	return CMD_SUCCESS;
}

/* "late: turns worked longest 3.2 ms; over 10/100/500 ms: 0/0/0 of 81234" */
static void show_late(struct vty *vty, const char *what, const struct loop_late *lt)
{
	vty_out(vty, "late: %s longest %.1f ms; over", what, (double)lt->max_ns / 1e6);
	for (unsigned i = 0; i < LOOP_LATE_STEPS; i++)
		vty_out(vty, "%s%u", i ? "/" : " ", loop_late_ms[i]);
	vty_out(vty, " ms:");
	for (unsigned i = 0; i < LOOP_LATE_STEPS; i++)
		vty_out(vty, "%s%" PRIu64, i ? "/" : " ", lt->over[i]);
	vty_out(vty, " of %" PRIu64 "%s", lt->n, VTY_NEWLINE);
}

DEFUN(show_loop, show_loop_cmd, "show loop", SHOW_STR "io_uring event loop state and counters\n")
{
	const struct loop_stats *s;
	const struct loop_features *f;

	if (!vty_loop) {
		vty_out(vty, "%% no loop running%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	s = loop_get_stats(vty_loop);
	f = loop_get_features(vty_loop);
	vty_out(vty, "ring: single_issuer=%s defer_taskrun=%s ext_arg=%s%s",
		f->single_issuer ? "yes" : "no", f->defer_taskrun ? "yes" : "no",
		f->ext_arg ? "yes" : "no", VTY_NEWLINE);
	vty_out(vty, "turns: %" PRIu64 "  io_uring_enter: %" PRIu64 "%s", s->turns, s->enter_calls,
		VTY_NEWLINE);
	vty_out(vty, "submissions: %" PRIu64 "  completions: %" PRIu64 "%s", s->sqes, s->cqes,
		VTY_NEWLINE);
	vty_out(vty,
		"udp: rx %" PRIu64 " tx %" PRIu64 " truncated %" PRIu64 " icmp errors %" PRIu64
		" resent %" PRIu64 "%s",
		s->udp_rx, s->udp_tx, s->udp_trunc, s->udp_icmp_errors, s->udp_tx_resent,
		VTY_NEWLINE);
	vty_out(vty, "buffer ring udp: %u/%u in use, ENOBUFS %" PRIu64 "%s", s->udp_bufs_in_use,
		s->udp_bufs_total, s->udp_enobufs, VTY_NEWLINE);
	vty_out(vty, "buffer ring tcp: %u/%u in use, ENOBUFS %" PRIu64 "%s", s->tcp_bufs_in_use,
		s->tcp_bufs_total, s->tcp_enobufs, VTY_NEWLINE);
	if (s->rx_ring_lost)
		vty_out(vty,
			"buffer rings lost after a trim: %" PRIu64 ", receives parked %" PRIu64
			" (%u now; the rings tried again from 100 ms to every 5 s)%s",
			s->rx_ring_lost, s->rx_parked, s->rx_parked_now, VTY_NEWLINE);
	vty_out(vty, "send slots: %u/%u in use, refused %" PRIu64 "%s", s->send_slots_in_use,
		s->send_slots_total, s->send_no_slot, VTY_NEWLINE);
	vty_out(vty, "timers: %u pending, %" PRIu64 " fired%s", s->timers_pending, s->timers_fired,
		VTY_NEWLINE);
	vty_out(vty, "libosmocore fds: %" PRIu64 " polls, %" PRIu64 " dispatches%s",
		s->osmo_fd_polls, s->osmo_fd_disp, VTY_NEWLINE);
	show_late(vty, "turns worked", &s->turn_work);
	show_late(vty, "SIP datagrams waited", &s->udp_wait);
	return CMD_SUCCESS;
}

/* --- the management plane --- */

/* libosmovty's command table: exported by the library, not declared in its headers */
extern vector cmdvec;

static int (*lib_write_file)(struct cmd_element *, struct vty *, int, const char *[]);

/* libosmovty's "write file [PATH]" writes wherever PATH says, as the user
 * tandemd runs as: a VTY user could overwrite any file that user may write.
 * Only the configuration's own file is allowed. */
static int write_file_own_path(struct cmd_element *self, struct vty *vty, int argc,
			       const char *argv[])
{
	const char *own = host_config_file();

	if (!own) {
		vty_out(vty,
			"%% tandemd runs on its built-in configuration (no -c FILE): nothing to "
			"write to%s",
			VTY_NEWLINE);
		return CMD_WARNING;
	}
	if (argc >= 1 && argv[0] && strcmp(argv[0], own)) {
		vty_out(vty, "%% write file: only to the configuration's own file, %s%s", own,
			VTY_NEWLINE);
		return CMD_WARNING;
	}
	return lib_write_file(self, vty, argc, argv);
}

int tandem_vty_harden(void)
{
	int patched = 0;

	for (unsigned n = 0; n < vector_active(cmdvec); n++) {
		struct cmd_node *node = vector_slot(cmdvec, n);

		if (!node || !node->cmd_vector)
			continue;
		for (unsigned i = 0; i < vector_active(node->cmd_vector); i++) {
			struct cmd_element *ce = vector_slot(node->cmd_vector, i);

			if (!ce || !ce->string || strncmp(ce->string, "write file", 10) ||
			    !strstr(ce->string, "PATH"))
				continue;
			if (ce->func != write_file_own_path) {
				if (!lib_write_file)
					lib_write_file = ce->func;
				else if (ce->func != lib_write_file)
					continue; /* not the one we know */
				ce->func = write_file_own_path;
			}
			patched++;
		}
	}
	return patched ? 0 : -ENOENT;
}

void tandem_vty_init(void)
{
	install_element(CONFIG_NODE, &cfg_loop_cmd);
	install_node(&loop_node, config_write_loop);
	install_element(TANDEM_LOOP_NODE, &cfg_loop_entries_cmd);
	install_element(TANDEM_LOOP_NODE, &cfg_loop_udp_bufs_cmd);
	install_element(TANDEM_LOOP_NODE, &cfg_loop_udp_buf_size_cmd);
	install_element(TANDEM_LOOP_NODE, &cfg_loop_tcp_bufs_cmd);
	install_element(TANDEM_LOOP_NODE, &cfg_loop_send_slots_cmd);
	install_element_ve(&show_loop_cmd);
}
