/* tandem-tool top: a live view of a running tandemd, like htop or sngrep:
 * calls up, calls per second, answer ratio, the linksets' circuits by
 * state with a CIC grid per linkset, the SIP trunks (state, OPTIONS round
 * trip), the M3UA ASPs and ASes. Figures from /metrics ("metrics listen"
 * in the operations node), the grid from the VTY ("show isup circuits
 * compact"). On a terminal an ncurses view (iw_top_curses_tool.c); with
 * --once, --count or no terminal the same screen as text. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/tool.h"
#include "interwork/iw_top.h"

#define GRID_ROW 32 /* CICs per grid row: an E1 frame's timeslots */
#define GRID_X	 7  /* column of a row's first cell (after the CIC label) */

static struct top_line *line_add(struct top_screen *s, bool grid)
{
	struct top_line **v = grid ? &s->grid : &s->head;
	unsigned *n = grid ? &s->n_grid : &s->n_head, *cap = grid ? &s->cap_grid : &s->cap_head;
	struct top_line *l;

	if (*n == *cap) {
		unsigned nc = *cap ? *cap * 2 : 64;
		struct top_line *nv = realloc(*v, nc * sizeof(**v));

		if (!nv)
			return NULL;
		*v = nv;
		*cap = nc;
	}
	l = &(*v)[(*n)++];
	memset(l->text, ' ', TOP_COLS);
	l->text[TOP_COLS] = '\0';
	memset(l->attr, TOP_A_NORMAL, sizeof(l->attr));
	return l;
}

/* text at column x in attr; the next free column */
static unsigned __attribute__((format(printf, 4, 5)))
put(struct top_line *l, unsigned x, enum top_attr a, const char *fmt, ...)
{
	char tmp[TOP_COLS + 1];
	va_list ap;
	int n;

	if (!l)
		return x;
	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	for (int i = 0; i < n && x < TOP_COLS; i++, x++) {
		l->text[x] = tmp[i];
		l->attr[x] = (uint8_t)a;
	}
	return x;
}

static const char *dirs[] = {"isup-sip", "sip-isup", "pri-sip", "sip-pri"};

static double dir_sum(const struct top_ctx *c, const char *name, int d, const char *w2)
{
	char q[64];

	snprintf(q, sizeof(q), "direction=\"%s\"", dirs[d]);
	return iw_top_sum(c, name, q, w2);
}

static void layout_calls(const struct top_ctx *c, struct top_screen *s)
{
	struct top_line *l = line_add(s, false);
	double fin, ans, adv;
	unsigned x;

	x = put(l, 0, TOP_A_NORMAL, "calls up: %.0f (", iw_top_sum(c, "tandem_calls", NULL, NULL));
	for (int d = 0; d < 4; d++)
		x = put(l, x, TOP_A_NORMAL, "%s%s %.0f", d ? ", " : "", dirs[d],
			dir_sum(c, "tandem_calls", d, NULL));
	x = put(l, x, TOP_A_NORMAL,
		")  started: %.0f  cps: ", iw_top_sum(c, "tandem_calls_started_total", NULL, NULL));
	if (c->have_cps)
		x = put(l, x, TOP_A_NORMAL, "%.1f", c->cps);
	else
		x = put(l, x, TOP_A_NORMAL, "-");
	x = put(l, x, TOP_A_NORMAL, "  draining: ");
	if (iw_top_sum(c, "tandem_draining", NULL, NULL) > 0)
		put(l, x, TOP_A_WARN, "yes");
	else
		put(l, x, TOP_A_NORMAL, "no");
	/* answer ratio over attempts that ended (a route advance is no end) */
	fin = iw_top_sum(c, "tandem_calls_finished_total", NULL, NULL);
	adv = iw_top_sum(c, "tandem_calls_finished_total", "result=\"advanced\"", NULL);
	ans = iw_top_sum(c, "tandem_calls_finished_total", "result=\"answered\"", NULL);
	l = line_add(s, false);
	x = put(l, 0, TOP_A_NORMAL, "active: %.0f  finished: %.0f  answered: %.0f  ASR: ",
		iw_top_sum(c, "tandem_calls", "state=\"active\"", NULL), fin - adv, ans);
	if (fin - adv > 0)
		put(l, x, TOP_A_NORMAL, "%.1f %%", 100.0 * ans / (fin - adv));
	else
		put(l, x, TOP_A_NORMAL, "-");
}

static void layout_linksets(const struct top_ctx *c, struct top_screen *s)
{
	char ls[64], q[96];

	line_add(s, false);
	put(line_add(s, false), 0, TOP_A_HEAD, "%-16s %3s %6s %6s %8s %8s %6s %6s %6s", "LINKSET",
	    "UP", "AVAIL", "IDLE", "BUSY_IN", "BUSY_OUT", "BLK_L", "BLK_R", "RESET");
	for (unsigned i = 0; i < c->n_samples; i++) {
		const struct top_sample *sm = &c->samples[i];
		struct top_line *l;
		double up;
		unsigned x;

		if (strcmp(sm->name, "tandem_isup_circuits_available"))
			continue;
		iw_top_label(sm, "linkset", ls, sizeof(ls));
		snprintf(q, sizeof(q), "linkset=\"%s\"", ls);
		up = iw_top_sum(c, "tandem_isup_linkset_up", q, NULL);
		l = line_add(s, false);
		x = put(l, 0, TOP_A_NORMAL, "%-16s ", ls);
		x = put(l, x, up > 0 ? TOP_A_GOOD : TOP_A_BAD, "%3.0f", up);
		put(l, x, TOP_A_NORMAL, " %6.0f %6.0f %8.0f %8.0f %6.0f %6.0f %6.0f", sm->v,
		    iw_top_sum(c, "tandem_isup_circuits", q, "state=\"idle\""),
		    iw_top_sum(c, "tandem_isup_circuits", q, "state=\"busy_in\""),
		    iw_top_sum(c, "tandem_isup_circuits", q, "state=\"busy_out\""),
		    iw_top_sum(c, "tandem_isup_circuits_blocked", q, "side=\"local\""),
		    iw_top_sum(c, "tandem_isup_circuits_blocked", q, "side=\"remote\""),
		    iw_top_sum(c, "tandem_isup_circuits_resetting", q, NULL));
	}
}

/* the label "state" of name's sample at 1 whose labels hold q ("-": none) */
static void current_state(const struct top_ctx *c, const char *name, const char *q, char *st,
			  size_t len)
{
	snprintf(st, len, "-");
	for (unsigned j = 0; j < c->n_samples; j++)
		if (!strcmp(c->samples[j].name, name) && c->samples[j].v > 0 &&
		    strstr(c->samples[j].labels, q))
			iw_top_label(&c->samples[j], "state", st, len);
}

static enum top_attr state_attr(const char *st)
{
	if (!strcmp(st, "up") || !strcmp(st, "active") || !strcmp(st, "in_use"))
		return TOP_A_GOOD;
	if (!strcmp(st, "down"))
		return TOP_A_BAD;
	if (!strcmp(st, "inactive") || !strcmp(st, "pending"))
		return TOP_A_WARN;
	return TOP_A_NORMAL;
}

static void layout_trunks(const struct top_ctx *c, struct top_screen *s)
{
	char tr[64], st[32], q[96];

	line_add(s, false);
	put(line_add(s, false), 0, TOP_A_HEAD, "%-16s %-12s %6s %6s %12s", "TRUNK", "STATE",
	    "CALLS", "MAX", "OPTIONS_RTT");
	for (unsigned i = 0; i < c->n_samples; i++) {
		const struct top_sample *sm = &c->samples[i];
		struct top_line *l;
		unsigned x;
		bool has_rtt = false;
		double rtt = 0;

		if (strcmp(sm->name, "tandem_sip_trunk_calls"))
			continue;
		iw_top_label(sm, "trunk", tr, sizeof(tr));
		snprintf(q, sizeof(q), "trunk=\"%s\"", tr);
		current_state(c, "tandem_sip_trunk_state", q, st, sizeof(st));
		for (unsigned j = 0; j < c->n_samples; j++)
			if (!strcmp(c->samples[j].name, "tandem_sip_trunk_options_rtt_seconds") &&
			    strstr(c->samples[j].labels, q)) {
				has_rtt = true;
				rtt = c->samples[j].v;
			}
		l = line_add(s, false);
		x = put(l, 0, TOP_A_NORMAL, "%-16s ", tr);
		x = put(l, x, state_attr(st), "%-12s", st);
		x = put(l, x, TOP_A_NORMAL, " %6.0f %6.0f ", sm->v,
			iw_top_sum(c, "tandem_sip_trunk_calls_max", q, NULL));
		if (has_rtt)
			put(l, x, TOP_A_NORMAL, "%9.1f ms", rtt * 1e3);
		else
			put(l, x, TOP_A_NORMAL, "%12s", "-");
	}
}

static void layout_m3ua(const struct top_ctx *c, struct top_screen *s)
{
	static const struct {
		const char *metric, *key, *head;
	} kinds[] = {{"tandem_m3ua_asp_state", "asp", "M3UA ASP"},
		     {"tandem_m3ua_as_state", "as", "M3UA AS"}};

	for (unsigned k = 0; k < 2; k++) {
		char name[64], prev[64] = "", q[96], st[32];
		bool head = false;

		for (unsigned i = 0; i < c->n_samples; i++) {
			struct top_line *l;

			if (strcmp(c->samples[i].name, kinds[k].metric))
				continue;
			iw_top_label(&c->samples[i], kinds[k].key, name, sizeof(name));
			if (!strcmp(name, prev))
				continue; /* one sample per state: one row per name */
			snprintf(prev, sizeof(prev), "%s", name);
			if (!head) {
				line_add(s, false);
				put(line_add(s, false), 0, TOP_A_HEAD, "%-16s %-12s", kinds[k].head,
				    "STATE");
				head = true;
			}
			snprintf(q, sizeof(q), "%s=\"%s\"", kinds[k].key, name);
			current_state(c, kinds[k].metric, q, st, sizeof(st));
			l = line_add(s, false);
			put(l, put(l, 0, TOP_A_NORMAL, "%-16s ", name), state_attr(st), "%s", st);
		}
	}
}

static void layout_legend(struct top_line *l)
{
	static const struct {
		char ch;
		const char *what;
	} leg[] = {{'.', "idle"},	   {'I', "busy in"},	    {'O', "busy out"},
		   {'L', "blocked local"}, {'R', "blocked remote"}, {'B', "blocked both"},
		   {'*', "resetting"},	   {'-', "not configured"}};
	unsigned x = put(l, 0, TOP_A_NORMAL, "legend: ");

	for (unsigned i = 0; i < sizeof(leg) / sizeof(leg[0]); i++) {
		x = put(l, x, iw_top_cic_attr(leg[i].ch), "%c", leg[i].ch);
		x = put(l, x, TOP_A_NORMAL, " %s  ", leg[i].what);
	}
	put(l, x, TOP_A_NORMAL, "(l r b: blocked, call still up)");
}

static void layout_grid(const struct top_grid *g, struct top_screen *s)
{
	unsigned last = g->first + (unsigned)g->n, n_conf = 0;
	struct top_line *l;
	unsigned x;

	for (size_t i = 0; i < g->n; i++)
		n_conf += g->cells[i] != '-';
	l = line_add(s, true);
	x = put(l, 0, TOP_A_HEAD, "linkset %s ", g->name);
	x = put(l, x, !strcmp(g->state, "available") ? TOP_A_GOOD : TOP_A_BAD, "%s", g->state);
	if (!g->n) {
		put(l, x, TOP_A_NORMAL, ": no circuits");
		return;
	}
	put(l, x, TOP_A_NORMAL, ": %u circuits, CIC %u-%u", n_conf, g->first, last - 1);
	l = line_add(s, true);
	x = put(l, 0, TOP_A_HEAD, "%6s", "CIC");
	for (unsigned k = 0; k < GRID_ROW; k += 8)
		put(l, GRID_X + 2 * k, TOP_A_HEAD, "+%u", k);
	for (unsigned row = g->first / GRID_ROW * GRID_ROW; row < last; row += GRID_ROW) {
		l = line_add(s, true);
		put(l, 0, TOP_A_NORMAL, "%6u", row);
		for (unsigned k = 0; k < GRID_ROW; k++) {
			unsigned cic = row + k;
			char ch = cic < g->first || cic >= last ? ' ' : g->cells[cic - g->first];

			if (ch != ' ')
				put(l, GRID_X + 2 * k, iw_top_cic_attr(ch), "%c", ch);
		}
	}
}

void iw_top_layout(const struct top_ctx *c, struct top_screen *s, int linkset)
{
	time_t now = time(NULL);
	struct top_line *title;
	struct tm tm;
	unsigned x;

	s->n_head = s->n_grid = 0;
	localtime_r(&now, &tm);
	title = line_add(s, false);
	x = put(title, 0, TOP_A_TITLE, "tandem top  %02d:%02d:%02d  %s", tm.tm_hour, tm.tm_min,
		tm.tm_sec, c->metrics_where ? c->metrics_where : "-");
	if (c->vty_where)
		put(title, x, TOP_A_TITLE, "  vty %s", c->vty_where);
	if (!c->metrics_where)
		put(line_add(s, false), 0, TOP_A_NORMAL, "figures: off (--metrics none)");
	else if (c->metrics_err[0]) /* no figures rather than zeros */
		put(line_add(s, false), 0, TOP_A_BAD, "%s", c->metrics_err);
	else {
		layout_calls(c, s);
		layout_linksets(c, s);
		layout_trunks(c, s);
		layout_m3ua(c, s);
	}
	snprintf(s->grid_title, sizeof(s->grid_title), "CIC grid: %s",
		 !c->vty_where			  ? "off (--vty none)"
		 : c->vty_err[0]		  ? c->vty_err
		 : !c->n_grids			  ? "no linkset"
		 : linkset < 0			  ? "all linksets"
		 : (unsigned)linkset < c->n_grids ? c->grids[linkset].name
						  : "-");
	layout_legend(line_add(s, true));
	for (unsigned i = 0; i < c->n_grids; i++)
		if (linkset < 0 || (unsigned)linkset == i)
			layout_grid(&c->grids[i], s);
}

void iw_top_screen_free(struct top_screen *s)
{
	free(s->head);
	free(s->grid);
	memset(s, 0, sizeof(*s));
}

static void print_lines(const struct top_line *v, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		int len = TOP_COLS;

		while (len > 0 && v[i].text[len - 1] == ' ')
			len--;
		printf("%.*s\n", len, v[i].text);
	}
}

static void print_screen(const struct top_ctx *c, struct top_screen *s)
{
	iw_top_layout(c, s, -1);
	print_lines(s->head, s->n_head);
	printf("\n%s\n", s->grid_title);
	print_lines(s->grid, s->n_grid);
	fflush(stdout);
}

static int usage(void)
{
	fprintf(stderr,
		"usage: tandem-tool top [--metrics ADDR:PORT|none] [--vty [ADDR:]PORT|none] "
		"[--interval S] [--once | --count N | --text]\n");
	return 2;
}

static int run(int argc, char **argv)
{
	static struct top_ctx c; /* the samples are large */
	struct top_screen s = {0};
	unsigned count = 0;
	double interval = 1;
	bool text = !isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO), tty = isatty(STDOUT_FILENO);
	int rc = 0;

	c.metrics_where = "127.0.0.1:9100";
	c.vty_where = "127.0.0.1:4270";
	c.vty_fd = -1;
	c.prev_started = -1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--metrics") && i + 1 < argc)
			c.metrics_where = strcmp(argv[++i], "none") ? argv[i] : NULL;
		else if (!strcmp(argv[i], "--vty") && i + 1 < argc)
			c.vty_where = strcmp(argv[++i], "none") ? argv[i] : NULL;
		else if (!strcmp(argv[i], "--count") && i + 1 < argc) {
			count = (unsigned)atoi(argv[++i]);
			text = true;
		} else if (!strcmp(argv[i], "--once")) {
			count = 1;
			text = true;
		} else if (!strcmp(argv[i], "--text"))
			text = true;
		else if (!strcmp(argv[i], "--interval") && i + 1 < argc)
			interval = atof(argv[++i]);
		else
			return usage();
	}
	if (c.metrics_where &&
	    iw_top_parse_addr(c.metrics_where, false, &c.metrics_ss, &c.metrics_len) < 0) {
		fprintf(stderr, "tandem-tool top: --metrics IPv4:PORT, [IPv6]:PORT or none\n");
		return 2;
	}
	if (c.vty_where && iw_top_parse_addr(c.vty_where, true, &c.vty_ss, &c.vty_len) < 0) {
		fprintf(stderr, "tandem-tool top: --vty PORT, IPv4:PORT, [IPv6]:PORT or none\n");
		return 2;
	}
	if (!c.metrics_where && !c.vty_where) {
		fprintf(stderr, "tandem-tool top: nothing to show (--metrics none --vty none)\n");
		return 2;
	}
	if (!(interval >= 0.1 && interval <= 3600)) {
		fprintf(stderr, "tandem-tool top: --interval 0.1 to 3600 seconds\n");
		return 2;
	}
	c.interval_ms = (unsigned)lround(interval * 1000);
	if (!text && iw_top_curses_run(&c) == 0)
		goto out;
	/* text: count frames (0: until killed), each as a terminal would show it */
	for (unsigned k = 0; !count || k < count; k++) {
		if (iw_top_refresh(&c) < 0) {
			/* the grid alone (tandemd without /metrics) still shows */
			fprintf(stderr, "tandem-tool top: %s\n", c.metrics_err);
			rc = 1;
			if (!c.vty_where || c.vty_err[0] || !c.n_grids)
				break;
		}
		if (tty && !count)
			printf("\033[H\033[2J");
		else if (k)
			printf("\n");
		print_screen(&c, &s);
		if (!count || k + 1 < count)
			nanosleep(&(struct timespec){.tv_sec = c.interval_ms / 1000,
						     .tv_nsec = (long)(c.interval_ms % 1000) *
								1000000},
				  NULL);
	}
out:
	iw_top_ctx_close(&c);
	iw_top_screen_free(&s);
	return rc;
}

TOOL_CMD(top_cmd, "top",
	 "[--metrics ADDR:PORT|none] [--vty [ADDR:]PORT|none] [--interval S] [--once | --count N | "
	 "--text]",
	 "live view of a running tandemd (calls, cps, CIC grid per linkset, trunks, M3UA) from "
	 "its /metrics and VTY",
	 run);
