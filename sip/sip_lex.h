/* Character classes and small scanners of the RFC 3261 25.1 grammar, shared
 * by the SIP parser files. Internal to sip/. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tstr.h"

static inline bool sip_is_alpha(unsigned char c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static inline bool sip_is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static inline bool sip_is_alnum(unsigned char c)
{
	return sip_is_alpha(c) || sip_is_digit(c);
}

static inline int sip_hexval(unsigned char c)
{
	if (sip_is_digit(c))
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
static inline bool sip_is_token(unsigned char c)
{
	if (sip_is_alnum(c))
		return true;
	switch (c) {
	case '-':
	case '.':
	case '!':
	case '%':
	case '*':
	case '_':
	case '+':
	case '`':
	case '\'':
	case '~':
		return true;
	}
	return false;
}

/* word adds ( ) < > : \ " / [ ] ? { } (Call-ID, RFC 3261 25.1) */
static inline bool sip_is_word(unsigned char c)
{
	if (sip_is_token(c))
		return true;
	switch (c) {
	case '(':
	case ')':
	case '<':
	case '>':
	case ':':
	case '\\':
	case '"':
	case '/':
	case '[':
	case ']':
	case '?':
	case '{':
	case '}':
		return true;
	}
	return false;
}

/* LWS inside a header value: SP, HTAB and the CR LF of folded lines. */
static inline bool sip_is_lws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* unreserved = alphanum / mark */
static inline bool sip_is_unreserved(unsigned char c)
{
	if (sip_is_alnum(c))
		return true;
	switch (c) {
	case '-':
	case '_':
	case '.':
	case '!':
	case '~':
	case '*':
	case '\'':
	case '(':
	case ')':
		return true;
	}
	return false;
}

static inline struct tstr sip_trim(struct tstr s)
{
	while (s.len && sip_is_lws((unsigned char)s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len && sip_is_lws((unsigned char)s.p[s.len - 1]))
		s.len--;
	return s;
}

static inline struct tstr sip_skip_lws(struct tstr s)
{
	while (s.len && sip_is_lws((unsigned char)s.p[0])) {
		s.p++;
		s.len--;
	}
	return s;
}

static inline struct tstr sip_advance(struct tstr s, size_t n)
{
	return tstr_make(s.p + n, s.len - n);
}

/* Length of the token at the start of s. */
static inline size_t sip_token_len(struct tstr s)
{
	size_t i = 0;

	while (i < s.len && sip_is_token((unsigned char)s.p[i]))
		i++;
	return i;
}

/* Length of the quoted-string at the start of s (which starts with '"'),
 * quotes included; 0 if unterminated or holding a bare CR/LF that is not a
 * fold. quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F). */
static inline size_t sip_quoted_len(struct tstr s)
{
	size_t i = 1;

	while (i < s.len) {
		unsigned char c = (unsigned char)s.p[i];

		if (c == '"')
			return i + 1;
		if (c == '\\') {
			if (i + 1 >= s.len)
				return 0;
			c = (unsigned char)s.p[i + 1];
			if (c == '\r' || c == '\n' || c > 0x7f)
				return 0;
			i += 2;
			continue;
		}
		i++;
	}
	return 0;
}

/* Decimal number with overflow check against max. Returns 0 or -ERANGE /
 * -EBADMSG. */
int sip_ulong_decode(struct tstr s, unsigned long max, unsigned long *out);
