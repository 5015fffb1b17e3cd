/* tandem-tool top on a terminal: the screen iw_top_tool.c lays out, drawn
 * with ncurses and refreshed every interval; the CIC grid scrolls on its
 * own (arrows, PgUp/PgDn, Home/End), Tab or left/right picks a linkset
 * ('a' all of them), +/- change the interval, q quits. Without ncurses at
 * build time the text view stands in (iw_top_curses_run says why). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "interwork/iw_top.h"

#ifndef TANDEM_HAVE_NCURSES

int iw_top_curses_run(struct top_ctx *c)
{
	(void)c;
	fprintf(stderr, "tandem-tool top: built without ncurses (libncurses-dev): text view\n");
	return -1;
}

#else

#include <curses.h>

static chtype attrs[TOP_A_N];

static void attrs_init(void)
{
	static const struct {
		enum top_attr a;
		short fg, bg;
		chtype extra, mono;
	} map[] = {
		{TOP_A_GOOD, COLOR_GREEN, -1, A_BOLD, A_BOLD},
		{TOP_A_BAD, COLOR_RED, -1, A_BOLD, A_BOLD | A_UNDERLINE},
		{TOP_A_WARN, COLOR_YELLOW, -1, A_BOLD, A_UNDERLINE},
		{TOP_A_IDLE, COLOR_BLACK, COLOR_GREEN, 0, A_NORMAL},
		{TOP_A_BUSY_IN, COLOR_BLACK, COLOR_YELLOW, 0, A_BOLD},
		{TOP_A_BUSY_OUT, COLOR_BLACK, COLOR_CYAN, 0, A_BOLD},
		{TOP_A_BLK_LOCAL, COLOR_WHITE, COLOR_RED, A_BOLD, A_REVERSE},
		{TOP_A_BLK_REMOTE, COLOR_WHITE, COLOR_MAGENTA, A_BOLD, A_REVERSE},
		{TOP_A_BLK_BOTH, COLOR_YELLOW, COLOR_RED, A_BOLD, A_REVERSE | A_BOLD},
		{TOP_A_RESET, COLOR_BLACK, COLOR_WHITE, 0, A_REVERSE | A_UNDERLINE},
	};
	bool colour = has_colors() && start_color() == OK;

	if (colour)
		use_default_colors();
	attrs[TOP_A_TITLE] = A_REVERSE | A_BOLD;
	attrs[TOP_A_HEAD] = A_BOLD;
	attrs[TOP_A_NONE] = A_DIM;
	for (unsigned i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (colour && init_pair((short)(i + 1), map[i].fg, map[i].bg) == OK)
			attrs[map[i].a] = COLOR_PAIR(i + 1) | map[i].extra;
		else
			attrs[map[i].a] = map[i].mono;
	}
}

static void draw_line(int y, const struct top_line *l, chtype fill)
{
	int w = COLS < TOP_COLS ? COLS : TOP_COLS;

	for (int x = 0; x < w; x++)
		mvaddch(y, x, (chtype)(unsigned char)l->text[x] | attrs[l->attr[x]] | fill);
	for (int x = w; x < COLS; x++)
		mvaddch(y, x, ' ' | fill);
}

static void draw_bar(int y, const char *text)
{
	attron(A_REVERSE);
	mvhline(y, 0, ' ', COLS);
	mvaddnstr(y, 0, text, COLS);
	attroff(A_REVERSE);
}

/* the screen; the grid's first row shown, clamped (*scroll) */
static void draw(const struct top_ctx *c, const struct top_screen *s, int sel, int *scroll)
{
	int head = (int)s->n_head, area, y = 0;
	char bar[TOP_COLS * 2];

	/* keep the grid's bar, two grid rows and the status line on screen */
	if (head > LINES - 4)
		head = LINES - 4 > 0 ? LINES - 4 : 0;
	area = LINES - head - 2;
	if (area < 0)
		area = 0;
	if (*scroll > (int)s->n_grid - area)
		*scroll = (int)s->n_grid - area;
	if (*scroll < 0)
		*scroll = 0;
	erase();
	for (int i = 0; i < head; i++)
		draw_line(y++, &s->head[i], 0);
	if (sel < 0)
		snprintf(bar, sizeof(bar), "%s  [all %u]", s->grid_title, c->n_grids);
	else
		snprintf(bar, sizeof(bar), "%s  [%d of %u]", s->grid_title, sel + 1, c->n_grids);
	snprintf(bar + strlen(bar), sizeof(bar) - strlen(bar), "  rows %d-%d of %u",
		 s->n_grid ? *scroll + 1 : 0,
		 *scroll + area < (int)s->n_grid ? *scroll + area : (int)s->n_grid, s->n_grid);
	if (LINES > head + 1)
		draw_bar(y++, bar);
	for (int i = 0; i < area && *scroll + i < (int)s->n_grid; i++)
		draw_line(y + i, &s->grid[*scroll + i], 0);
	snprintf(bar, sizeof(bar),
		 "q quit  Tab/left/right linkset  a all  up/down PgUp/PgDn Home/End scroll  "
		 "+/- interval %.1f s  r refresh",
		 c->interval_ms / 1000.0);
	draw_bar(LINES - 1, bar);
	refresh();
}

static uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

int iw_top_curses_run(struct top_ctx *c)
{
	struct top_screen s = {0};
	SCREEN *scr = newterm(NULL, stdout, stdin);
	int sel = -1, scroll = 0, page;
	uint64_t next = 0;

	if (!scr) {
		fprintf(stderr, "tandem-tool top: no terminal for ncurses (TERM=%s): text view\n",
			getenv("TERM") ? getenv("TERM") : "");
		return -1;
	}
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	attrs_init();
	for (;;) {
		uint64_t now = now_ms();
		int ch;

		if (now >= next) {
			iw_top_refresh(c);
			next = now + c->interval_ms;
			now = now_ms();
		}
		if (sel >= (int)c->n_grids)
			sel = -1; /* a linkset went away */
		iw_top_layout(c, &s, sel);
		draw(c, &s, sel, &scroll);
		timeout(next > now ? (int)(next - now) : 0);
		ch = getch();
		page = LINES - (int)s.n_head - 3;
		if (page < 1)
			page = 1;
		switch (ch) {
		case 'q':
		case 'Q':
			goto out;
		case KEY_UP:
		case 'k':
			scroll--;
			break;
		case KEY_DOWN:
		case 'j':
			scroll++;
			break;
		case KEY_PPAGE:
			scroll -= page;
			break;
		case KEY_NPAGE:
		case ' ':
			scroll += page;
			break;
		case KEY_HOME:
			scroll = 0;
			break;
		case KEY_END:
			scroll = (int)s.n_grid;
			break;
		case '\t':
		case KEY_RIGHT:
			sel = sel + 1 >= (int)c->n_grids ? -1 : sel + 1;
			scroll = 0;
			break;
		case KEY_BTAB:
		case KEY_LEFT:
			sel = sel < 0 ? (int)c->n_grids - 1 : sel - 1;
			scroll = 0;
			break;
		case 'a':
			sel = -1;
			scroll = 0;
			break;
		case '+':
			if (c->interval_ms < 60000)
				c->interval_ms *= 2;
			break;
		case '-':
			if (c->interval_ms >= 200)
				c->interval_ms /= 2;
			break;
		case 'r':
			next = 0;
			break;
		default: /* ERR: the interval passed; KEY_RESIZE: drawn anew */
			break;
		}
	}
out:
	endwin();
	delscreen(scr);
	iw_top_screen_free(&s);
	return 0;
}

#endif
