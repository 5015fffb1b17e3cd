/* Multipart MIME splitting (RFC 2046 5.1.1). */
#include <errno.h>
#include <string.h>

#include "sip/sip_hdr.h"
#include "sip/sip_lex.h"
#include "sip/sip_mime.h"

/* Next "--boundary" at a line start at or after from; NULL if none. */
static const char *find_delim(struct tstr body, size_t from, struct tstr boundary)
{
	while (from + 2 + boundary.len <= body.len) {
		const char *d = memmem(body.p + from, body.len - from, "--", 2);
		size_t at;

		if (!d)
			return NULL;
		at = (size_t)(d - body.p);
		if (at + 2 + boundary.len <= body.len &&
		    memcmp(d + 2, boundary.p, boundary.len) == 0 &&
		    (at == 0 || body.p[at - 1] == '\n'))
			return d;
		from = at + 1;
	}
	return NULL;
}

static int split_part(struct tstr raw, struct sip_mime_part *part)
{
	size_t i = 0;

	part->headers = part->content_type = TSTR_NULL;
	/* headers end at the first empty line; a part may have none */
	for (;;) {
		const char *lf = memchr(raw.p + i, '\n', raw.len - i);
		size_t line_end;

		if (!lf)
			return -EBADMSG;
		line_end = (size_t)(lf - raw.p);
		if (line_end == i || (line_end == i + 1 && raw.p[i] == '\r')) {
			part->headers = tstr_make(raw.p, i);
			part->body = tstr_make(lf + 1, raw.len - line_end - 1);
			break;
		}
		if (raw.p[i] != ' ' && raw.p[i] != '\t') {
			const char *colon = memchr(raw.p + i, ':', line_end - i);
			struct tstr name;

			if (!colon)
				return -EBADMSG;
			name = sip_trim(tstr_make(raw.p + i, (size_t)(colon - raw.p) - i));
			if (sip_hdr_kind_from_name(name) == SIP_HDR_CONTENT_TYPE)
				part->content_type = sip_trim(tstr_make(
					colon + 1, line_end - (size_t)(colon - raw.p) - 1));
		}
		i = line_end + 1;
	}
	return 0;
}

int sip_multipart_split(struct tstr body, struct tstr boundary, struct sip_mime_part *parts,
			unsigned max, unsigned *n)
{
	const char *d;
	unsigned count = 0;

	/* RFC 2046 5.1.1: boundary := 0*69<bchars> bcharsnospace */
	if (!boundary.len || boundary.len > 70)
		return -EBADMSG;
	d = find_delim(body, 0, boundary);
	if (!d)
		return -EBADMSG;
	for (;;) {
		size_t after = (size_t)(d - body.p) + 2 + boundary.len;
		const char *lf, *next;
		size_t start, end;

		if (after + 2 <= body.len && body.p[after] == '-' && body.p[after + 1] == '-')
			break; /* close delimiter */
		/* transport padding, then the line end of the delimiter line */
		lf = memchr(body.p + after, '\n', body.len - after);
		if (!lf)
			return -EBADMSG;
		start = (size_t)(lf - body.p) + 1;
		next = find_delim(body, start, boundary);
		if (!next)
			return -EBADMSG;
		/* the CRLF before the next delimiter belongs to it */
		end = (size_t)(next - body.p);
		if (end > start && body.p[end - 1] == '\n')
			end--;
		if (end > start && body.p[end - 1] == '\r')
			end--;
		if (count == max)
			return -ENOSPC;
		if (split_part(tstr_make(body.p + start, end - start), &parts[count]))
			return -EBADMSG;
		count++;
		d = next;
	}
	*n = count;
	return 0;
}

int sip_msg_multipart(const struct sip_msg *m, struct sip_mime_part *parts, unsigned max,
		      unsigned *n)
{
	struct sip_ctype ct;
	struct tstr boundary;

	if (sip_msg_content_type(m, &ct) || !tstr_casecmp_cstr(ct.type, "multipart"))
		return -ENOENT;
	if (!sip_param_find(ct.params, "boundary", &boundary))
		return -EBADMSG;
	return sip_multipart_split(m->body, boundary, parts, max, n);
}
