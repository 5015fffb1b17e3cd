/* tandem-tool top (iw_top*_tool.c, linked into tandem-tool only): what one
 * frame knows (a /metrics scrape and the VTY's CIC grid) and the screen it
 * is laid out to, shared by the text view (--once, no terminal) and the
 * ncurses one (iw_top_curses_tool.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define TOP_MAX_SAMPLES	 4096
#define TOP_MAX_LINKSETS 32
#define TOP_COLS	 160

struct top_sample {
	char name[64];
	char labels[160];
	double v;
};

/* a linkset's circuits as "show isup circuits compact" gives them: one
 * character per CIC from first on ('-' not configured) */
struct top_grid {
	char name[32];
	char state[16];
	unsigned first;
	char *cells;
	size_t n;
};

struct top_ctx {
	/* options */
	const char *metrics_where, *vty_where;
	struct sockaddr_storage metrics_ss, vty_ss;
	socklen_t metrics_len, vty_len;
	unsigned interval_ms;
	/* the last frame */
	struct top_sample samples[TOP_MAX_SAMPLES];
	unsigned n_samples;
	char metrics_err[128];
	struct top_grid grids[TOP_MAX_LINKSETS];
	unsigned n_grids;
	char vty_err[128];
	int vty_fd; /* kept open between frames (-1: none) */
	double cps, prev_started;
	bool have_cps;
	uint64_t prev_ns;
};

/* what a cell of the screen shows */
enum top_attr {
	TOP_A_NORMAL,
	TOP_A_TITLE,
	TOP_A_HEAD,
	TOP_A_GOOD, /* up, active, available */
	TOP_A_BAD,  /* down, unavailable */
	TOP_A_WARN,
	TOP_A_IDLE,
	TOP_A_BUSY_IN,
	TOP_A_BUSY_OUT,
	TOP_A_BLK_LOCAL,
	TOP_A_BLK_REMOTE,
	TOP_A_BLK_BOTH,
	TOP_A_RESET,
	TOP_A_NONE, /* a CIC not configured */
	TOP_A_N
};

struct top_line {
	char text[TOP_COLS + 1];
	uint8_t attr[TOP_COLS];
};

/* head: calls, linksets, trunks, associations; grid: the CIC grid(s),
 * scrolled on their own in the ncurses view */
struct top_screen {
	struct top_line *head, *grid;
	unsigned n_head, n_grid, cap_head, cap_grid;
	char grid_title[TOP_COLS + 1];
};

/* iw_top_data_tool.c: one frame's data (0, or -1 when /metrics gave none;
 * the VTY's failure is kept in vty_err, the rest still shows) */
int iw_top_refresh(struct top_ctx *c);
void iw_top_ctx_close(struct top_ctx *c);
int iw_top_parse_addr(const char *s, bool bare_port, struct sockaddr_storage *ss, socklen_t *len);
double iw_top_sum(const struct top_ctx *c, const char *name, const char *want1, const char *want2);
const char *iw_top_label(const struct top_sample *s, const char *key, char *out, size_t len);
enum top_attr iw_top_cic_attr(char ch);

/* iw_top_tool.c: lay out the frame; linkset -1: every linkset's grid, else
 * that one's (an index into c->grids) */
void iw_top_layout(const struct top_ctx *c, struct top_screen *s, int linkset);
void iw_top_screen_free(struct top_screen *s);

/* iw_top_curses_tool.c: the interactive view until 'q' (0), or -1 when it
 * cannot run (built without ncurses: the reason on stderr) */
int iw_top_curses_run(struct top_ctx *c);
