/* A view into bytes owned by someone else (usually a receive buffer).
 * Parsers hand these out instead of copies and never write through them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

struct tstr {
	const char *p;
	size_t len;
};

#define TSTR_NULL   ((struct tstr){NULL, 0})
#define TSTR_LIT(s) ((struct tstr){(s), sizeof(s) - 1})
/* printf("%.*s", TSTR_FMT(v)) */
#define TSTR_FMT(v) (int)(v).len, (v).p

static inline struct tstr tstr_make(const char *p, size_t len)
{
	return (struct tstr){p, len};
}

static inline bool tstr_empty(struct tstr s)
{
	return s.len == 0;
}

static inline bool tstr_eq(struct tstr a, struct tstr b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static inline bool tstr_eq_cstr(struct tstr a, const char *s)
{
	return tstr_eq(a, tstr_make(s, strlen(s)));
}

static inline bool tstr_casecmp_cstr(struct tstr a, const char *s)
{
	size_t n = strlen(s);

	return a.len == n && (n == 0 || strncasecmp(a.p, s, n) == 0);
}

/* Copy into buf as a NUL-terminated string, truncating; returns buf. */
static inline char *tstr_to_buf(struct tstr s, char *buf, size_t size)
{
	size_t n = s.len < size - 1 ? s.len : size - 1;

	if (n)
		memcpy(buf, s.p, n);
	buf[n] = 0;
	return buf;
}
