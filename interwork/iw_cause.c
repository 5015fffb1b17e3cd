/* Q.850 cause <-> SIP status (RFC 3398 7.2.4.1, 8.2.6.1), Reason header
 * (RFC 3326). The tables are also written out, with their sources, in
 * tests/vectors/interwork/rfc3398_*.txt, which the unit tests check against. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "interwork/iw_cause.h"
#include "sip/sip_msg.h"

/* RFC 3398 7.2.4.1; 0 where the table has no row. 25 (exchange routing
 * error) is Q.1912.5's: the hop counter spent is Max-Forwards spent, 483. */
static const uint16_t isup2sip[128] = {
	[ISUP_CAUSE_UNALLOCATED_NUMBER] = 404,
	[ISUP_CAUSE_NO_ROUTE_TRANSIT_NET] = 404,
	[ISUP_CAUSE_NO_ROUTE_DESTINATION] = 404,
	[ISUP_CAUSE_USER_BUSY] = 486,
	[ISUP_CAUSE_NO_USER_RESPONDING] = 408,
	[ISUP_CAUSE_NO_ANSWER] = 480,
	[ISUP_CAUSE_SUBSCRIBER_ABSENT] = 480,
	[ISUP_CAUSE_CALL_REJECTED] = 403,
	[ISUP_CAUSE_NUMBER_CHANGED] = 410,
	[ISUP_CAUSE_REDIRECTION] = 410,
	[ISUP_CAUSE_EXCHANGE_ROUTING_ERROR] = 483,
	[ISUP_CAUSE_NONSELECTED_USER_CLEARING] = 404,
	[ISUP_CAUSE_DESTINATION_OUT_OF_ORDER] = 502,
	[ISUP_CAUSE_INVALID_NUMBER_FORMAT] = 484,
	[ISUP_CAUSE_FACILITY_REJECTED] = 501,
	[ISUP_CAUSE_NORMAL_UNSPECIFIED] = 480,
	[ISUP_CAUSE_NO_CIRCUIT_AVAILABLE] = 503,
	[ISUP_CAUSE_NETWORK_OUT_OF_ORDER] = 503,
	[ISUP_CAUSE_TEMPORARY_FAILURE] = 503,
	[ISUP_CAUSE_SWITCHING_EQUIPMENT_CONGESTION] = 503,
	[ISUP_CAUSE_RESOURCE_UNAVAILABLE] = 503,
	[ISUP_CAUSE_INCOMING_BARRED_CUG] = 403,
	[ISUP_CAUSE_BEARER_NOT_AUTHORIZED] = 403,
	[ISUP_CAUSE_BEARER_NOT_AVAILABLE] = 503,
	[ISUP_CAUSE_BEARER_NOT_IMPLEMENTED] = 488,
	[ISUP_CAUSE_RESTRICTED_DIGITAL_ONLY] = 488,
	[ISUP_CAUSE_SERVICE_NOT_IMPLEMENTED] = 501,
	[ISUP_CAUSE_USER_NOT_MEMBER_CUG] = 403,
	[ISUP_CAUSE_INCOMPATIBLE_DESTINATION] = 503,
	[ISUP_CAUSE_RECOVERY_ON_TIMER_EXPIRY] = 504,
	[ISUP_CAUSE_PROTOCOL_ERROR] = 500,
	[ISUP_CAUSE_INTERWORKING] = 500,
};

/* Unlisted causes take the response of their Q.850 class's "unspecified"
 * cause (Q.850 2.2.7.1: classes of 16 values): 31, 47, 63, 79, 95, 111,
 * 127. 63 and 95 have no row in RFC 3398, so they are chosen here: 63
 * (service or option not available) like 58, 503; 95 (invalid message)
 * like 111, 500. */
static int class_default(uint8_t cause)
{
	switch (cause >> 4) {
	case 0:
	case 1:
		return 480;
	case 2:
	case 3:
		return 503;
	case 4:
		return 501;
	default:
		return 500;
	}
}

int iw_cause_isup_to_sip_loc(uint8_t cause, uint8_t location)
{
	if (cause == 0 || cause > 127)
		return -EINVAL;
	/* RFC 3398 7.2.4.1 note (+): a rejection by the user is final
	 * everywhere, so 6xx. */
	if (cause == ISUP_CAUSE_CALL_REJECTED && location == ISUP_LOC_USER)
		return 603;
	if (isup2sip[cause])
		return isup2sip[cause];
	return class_default(cause);
}

int iw_cause_isup_to_sip(uint8_t cause)
{
	return iw_cause_isup_to_sip_loc(cause, 0xff);
}

struct sip2isup {
	uint16_t status;
	uint8_t cause;
};

/* RFC 3398 8.2.6.1, sorted by status. 487 has "no mapping" there (it
 * answers the gateway's own CANCEL, sent after the REL) and so takes the
 * default, 31. 488 and 606 are mapped "by Warning header"; the Warning
 * codes that go with them (RFC 3261 20.43, 3xx) all name session
 * description problems, which 65 bearer capability not implemented says
 * in ISUP terms. */
static const struct sip2isup sip2isup[] = {
	{400, ISUP_CAUSE_TEMPORARY_FAILURE},
	{401, ISUP_CAUSE_CALL_REJECTED},
	{402, ISUP_CAUSE_CALL_REJECTED},
	{403, ISUP_CAUSE_CALL_REJECTED},
	{404, ISUP_CAUSE_UNALLOCATED_NUMBER},
	{405, ISUP_CAUSE_SERVICE_NOT_AVAILABLE},
	{406, ISUP_CAUSE_SERVICE_NOT_IMPLEMENTED},
	{407, ISUP_CAUSE_CALL_REJECTED},
	{408, ISUP_CAUSE_RECOVERY_ON_TIMER_EXPIRY},
	{410, ISUP_CAUSE_NUMBER_CHANGED},
	{413, ISUP_CAUSE_INTERWORKING},
	{414, ISUP_CAUSE_INTERWORKING},
	{415, ISUP_CAUSE_SERVICE_NOT_IMPLEMENTED},
	{416, ISUP_CAUSE_INTERWORKING},
	{420, ISUP_CAUSE_INTERWORKING},
	{421, ISUP_CAUSE_INTERWORKING},
	{423, ISUP_CAUSE_INTERWORKING},
	{480, ISUP_CAUSE_NO_USER_RESPONDING},
	{481, ISUP_CAUSE_TEMPORARY_FAILURE},
	{482, ISUP_CAUSE_EXCHANGE_ROUTING_ERROR},
	{483, ISUP_CAUSE_EXCHANGE_ROUTING_ERROR},
	{484, ISUP_CAUSE_INVALID_NUMBER_FORMAT},
	{485, ISUP_CAUSE_UNALLOCATED_NUMBER},
	{486, ISUP_CAUSE_USER_BUSY},
	{487, ISUP_CAUSE_NORMAL_UNSPECIFIED},
	{488, ISUP_CAUSE_BEARER_NOT_IMPLEMENTED},
	{500, ISUP_CAUSE_TEMPORARY_FAILURE},
	{501, ISUP_CAUSE_SERVICE_NOT_IMPLEMENTED},
	{502, ISUP_CAUSE_NETWORK_OUT_OF_ORDER},
	{503, ISUP_CAUSE_TEMPORARY_FAILURE},
	{504, ISUP_CAUSE_RECOVERY_ON_TIMER_EXPIRY},
	{505, ISUP_CAUSE_INTERWORKING},
	{513, ISUP_CAUSE_INTERWORKING},
	{600, ISUP_CAUSE_USER_BUSY},
	{603, ISUP_CAUSE_CALL_REJECTED},
	{604, ISUP_CAUSE_UNALLOCATED_NUMBER},
	{606, ISUP_CAUSE_BEARER_NOT_IMPLEMENTED},
};

uint8_t iw_cause_sip_to_isup(int status)
{
	size_t lo = 0, hi = sizeof(sip2isup) / sizeof(sip2isup[0]);

	if (status < 300 || status > 699)
		return 0;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (sip2isup[mid].status == status)
			return sip2isup[mid].cause;
		if (sip2isup[mid].status < status)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* RFC 3398 8.2.6.1: statuses not listed map to 31. */
	return ISUP_CAUSE_NORMAL_UNSPECIFIED;
}

uint8_t iw_cause_sip_location(int status)
{
	/* RFC 3398 8.2.6.1: 6xx at location user, 4xx and 5xx at a network
	 * location, here the network beyond the interworking point. */
	return status >= 600 && status <= 699 ? ISUP_LOC_USER : ISUP_LOC_BEYOND_INTERWORKING;
}

uint8_t iw_cause_from_response(int status, const char *reason, size_t reason_len)
{
	return iw_cause_map_from_response(NULL, status, reason, reason_len);
}

/* Q.850 Table 1 names. */
static const char *const names[128] = {
	[1] = "Unallocated (unassigned) number",
	[2] = "No route to specified transit network",
	[3] = "No route to destination",
	[4] = "Send special information tone",
	[5] = "Misdialled trunk prefix",
	[6] = "Channel unacceptable",
	[7] = "Call awarded and being delivered in an established channel",
	[8] = "Preemption",
	[9] = "Preemption - circuit reserved for reuse",
	[14] = "QoR: ported number",
	[16] = "Normal call clearing",
	[17] = "User busy",
	[18] = "No user responding",
	[19] = "No answer from user (user alerted)",
	[20] = "Subscriber absent",
	[21] = "Call rejected",
	[22] = "Number changed",
	[23] = "Redirection to new destination",
	[25] = "Exchange routing error",
	[26] = "Non-selected user clearing",
	[27] = "Destination out of order",
	[28] = "Invalid number format (address incomplete)",
	[29] = "Facility rejected",
	[30] = "Response to STATUS ENQUIRY",
	[31] = "Normal, unspecified",
	[34] = "No circuit/channel available",
	[38] = "Network out of order",
	[39] = "Permanent frame mode connection out of service",
	[40] = "Permanent frame mode connection operational",
	[41] = "Temporary failure",
	[42] = "Switching equipment congestion",
	[43] = "Access information discarded",
	[44] = "Requested circuit/channel not available",
	[46] = "Precedence call blocked",
	[47] = "Resource unavailable, unspecified",
	[49] = "Quality of service not available",
	[50] = "Requested facility not subscribed",
	[53] = "Outgoing calls barred within CUG",
	[55] = "Incoming calls barred within CUG",
	[57] = "Bearer capability not authorized",
	[58] = "Bearer capability not presently available",
	[62] = "Inconsistency in designated outgoing access information and subscriber class",
	[63] = "Service or option not available, unspecified",
	[65] = "Bearer capability not implemented",
	[66] = "Channel type not implemented",
	[69] = "Requested facility not implemented",
	[70] = "Only restricted digital information bearer capability is available",
	[79] = "Service or option not implemented, unspecified",
	[81] = "Invalid call reference value",
	[82] = "Identified channel does not exist",
	[83] = "A suspended call exists, but this call identity does not",
	[84] = "Call identity in use",
	[85] = "No call suspended",
	[86] = "Call having the requested call identity has been cleared",
	[87] = "User not member of CUG",
	[88] = "Incompatible destination",
	[90] = "Non-existent CUG",
	[91] = "Invalid transit network selection",
	[95] = "Invalid message, unspecified",
	[96] = "Mandatory information element is missing",
	[97] = "Message type non-existent or not implemented",
	[98] = "Message not compatible with call state or message type non-existent or not "
	       "implemented",
	[99] = "Information element / parameter non-existent or not implemented",
	[100] = "Invalid information element contents",
	[101] = "Message not compatible with call state",
	[102] = "Recovery on timer expiry",
	[103] = "Parameter non-existent or not implemented, passed on",
	[110] = "Message with unrecognized parameter, discarded",
	[111] = "Protocol error, unspecified",
	[127] = "Interworking, unspecified",
};

const char *iw_cause_text(uint8_t cause)
{
	return cause < 128 ? names[cause] : NULL;
}

int iw_reason_format(char *buf, size_t size, uint8_t cause)
{
	const char *text = iw_cause_text(cause);
	int n;

	if (cause > 127)
		return -EINVAL;
	/* The names hold no '"' or '\\', so they go into the quoted-string
	 * (RFC 3261 25.1) as they are. */
	if (text)
		n = snprintf(buf, size, "Reason: Q.850;cause=%u;text=\"%s\"\r\n", cause, text);
	else
		n = snprintf(buf, size, "Reason: Q.850;cause=%u\r\n", cause);
	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	return n;
}

/* RFC 3326 2 / RFC 3261 25.1: token characters. */
static bool is_token(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("-.!%*_+`'~", c));
}

static void skip_lws(const char **p, const char *end)
{
	while (*p < end && (**p == ' ' || **p == '\t' || **p == '\r' || **p == '\n'))
		(*p)++;
}

static size_t take_token(const char **p, const char *end)
{
	const char *s = *p;

	while (*p < end && is_token(**p))
		(*p)++;
	return (size_t)(*p - s);
}

/* A quoted-string with quoted-pairs; 0 or -EBADMSG when unterminated. */
static int skip_quoted(const char **p, const char *end)
{
	for ((*p)++; *p < end; (*p)++) {
		if (**p == '\\') {
			if (++*p == end)
				break;
		} else if (**p == '"') {
			(*p)++;
			return 0;
		}
	}
	return -EBADMSG;
}

int iw_reason_parse(const char *p, size_t len, uint8_t *cause)
{
	const char *end = p + len;
	const char *name;
	size_t n;

	if (!p)
		return -ENOENT;
	skip_lws(&p, end);
	if ((size_t)(end - p) >= 7 && strncasecmp(p, "Reason:", 7) == 0)
		p += 7;
	for (;;) {
		bool q850;
		int found = -1;

		skip_lws(&p, end);
		name = p;
		n = take_token(&p, end);
		if (n == 0)
			return p == end ? -ENOENT : -EBADMSG;
		q850 = n == 5 && strncasecmp(name, "Q.850", 5) == 0;
		for (;;) {
			const char *pn;
			size_t pl;

			skip_lws(&p, end);
			if (p == end || *p == ',')
				break;
			if (*p != ';')
				return -EBADMSG;
			p++;
			skip_lws(&p, end);
			pn = p;
			pl = take_token(&p, end);
			if (pl == 0)
				return -EBADMSG;
			skip_lws(&p, end);
			if (p == end || *p != '=')
				continue;
			p++;
			skip_lws(&p, end);
			if (p < end && *p == '"') {
				if (skip_quoted(&p, end) < 0)
					return -EBADMSG;
				continue;
			}
			if (q850 && pl == 5 && strncasecmp(pn, "cause", 5) == 0) {
				unsigned v = 0;
				const char *d = p;

				/* cause = 1*DIGIT (RFC 3326 2); Q.850 values are 7 bits */
				while (p < end && *p >= '0' && *p <= '9' && v <= 127)
					v = v * 10 + (unsigned)(*p++ - '0');
				if (p == d || v > 127 || (p < end && is_token(*p)))
					return -EBADMSG;
				if (found < 0)
					found = (int)v;
				continue;
			}
			/* gen-value = token / host / quoted-string (RFC 3261 25.1) */
			pn = p;
			while (p < end && (*p == '[' || *p == ']' || *p == ':' || is_token(*p)))
				p++;
			if (p == pn)
				return -EBADMSG;
		}
		if (q850) {
			if (found < 0)
				return -EBADMSG;
			*cause = (uint8_t)found;
			return 0;
		}
		if (p == end)
			return -ENOENT;
		p++; /* ',' */
	}
}

void iw_cause_map_init(struct iw_cause_map *m)
{
	memset(m, 0, sizeof(*m));
}

/* A decimal field of 1..3 digits (no sign, no spaces) within lo..hi. */
static int field_num(const char *p, size_t n, int lo, int hi)
{
	int v = 0;

	if (n == 0 || n > 3)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v >= lo && v <= hi ? v : -1;
}

static int map_err(char *err, size_t errsize, const char *name, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int map_err(char *err, size_t errsize, const char *name, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (err && errsize) {
		n = snprintf(err, errsize, "%s:%u: ", name ? name : "table", line);
		if (n >= 0 && (size_t)n < errsize) {
			va_start(ap, fmt);
			vsnprintf(err + n, errsize - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return -EINVAL;
}

#define SIP_SLOTS (IW_CAUSE_MAP_STATUS_MAX - IW_CAUSE_MAP_STATUS_MIN + 1)

int iw_cause_map_parse(struct iw_cause_map *m, const char *text, size_t len, const char *name,
		       char *err, size_t errsize)
{
	/* line of each entry in this text, for "given twice" */
	unsigned seen_isup[128] = {0}, seen_sip[SIP_SLOTS] = {0};
	const char *p = text, *end = text + len;
	unsigned line = 0;

	if (err && errsize)
		err[0] = 0;
	if (!text && len)
		return map_err(err, errsize, name, 0, "no text");
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *f[4];
		size_t fl[4];
		unsigned nf = 0;
		int key, val;

		if (!eol)
			eol = end;
		line++;
		for (const char *q = p; q < eol; q++)
			if (*q == 0)
				return map_err(err, errsize, name, line, "NUL byte in the line");
		/* fields up to a '#' comment; '\r' of CRLF files is white space */
		for (const char *q = p; q < eol && *q != '#';) {
			if (*q == ' ' || *q == '\t' || *q == '\r') {
				q++;
				continue;
			}
			if (nf == 4)
				break;
			f[nf] = q;
			while (q < eol && *q != ' ' && *q != '\t' && *q != '\r' && *q != '#')
				q++;
			fl[nf] = (size_t)(q - f[nf]);
			nf++;
		}
		p = eol < end ? eol + 1 : end;
		if (nf == 0)
			continue;
		if (nf != 3)
			return map_err(err, errsize, name, line,
				       "want 3 fields (isup2sip CAUSE STATUS|- or sip2isup "
				       "STATUS CAUSE), found %s%u",
				       nf == 4 ? "more than " : "", nf == 4 ? 3 : nf);
		if (fl[0] == 8 && !memcmp(f[0], "isup2sip", 8)) {
			key = field_num(f[1], fl[1], 1, 127);
			if (key < 0)
				return map_err(err, errsize, name, line,
					       "ISUP cause '%.*s' is not a number in 1..127",
					       (int)(fl[1] > 32 ? 32 : fl[1]), f[1]);
			if (fl[2] == 1 && f[2][0] == '-')
				val = IW_CAUSE_MAP_NO_RESPONSE;
			else if ((val = field_num(f[2], fl[2], IW_CAUSE_MAP_STATUS_MIN,
						  IW_CAUSE_MAP_STATUS_MAX)) < 0)
				return map_err(err, errsize, name, line,
					       "SIP status '%.*s' is not a number in 300..699 "
					       "or '-' (no response)",
					       (int)(fl[2] > 32 ? 32 : fl[2]), f[2]);
			if (seen_isup[key])
				return map_err(err, errsize, name, line,
					       "isup2sip %d given twice (first on line %u)", key,
					       seen_isup[key]);
			seen_isup[key] = line;
			if (!m->isup2sip[key])
				m->entries++;
			m->isup2sip[key] = (int16_t)val;
		} else if (fl[0] == 8 && !memcmp(f[0], "sip2isup", 8)) {
			key = field_num(f[1], fl[1], IW_CAUSE_MAP_STATUS_MIN,
					IW_CAUSE_MAP_STATUS_MAX);
			if (key < 0)
				return map_err(err, errsize, name, line,
					       "SIP status '%.*s' is not a number in 300..699",
					       (int)(fl[1] > 32 ? 32 : fl[1]), f[1]);
			val = field_num(f[2], fl[2], 1, 127);
			if (val < 0)
				return map_err(err, errsize, name, line,
					       "ISUP cause '%.*s' is not a number in 1..127",
					       (int)(fl[2] > 32 ? 32 : fl[2]), f[2]);
			key -= IW_CAUSE_MAP_STATUS_MIN;
			if (seen_sip[key])
				return map_err(err, errsize, name, line,
					       "sip2isup %d given twice (first on line %u)",
					       key + IW_CAUSE_MAP_STATUS_MIN, seen_sip[key]);
			seen_sip[key] = line;
			if (!m->sip2isup[key])
				m->entries++;
			m->sip2isup[key] = (uint8_t)val;
		} else {
			return map_err(err, errsize, name, line,
				       "unknown direction '%.*s' (isup2sip or sip2isup)",
				       (int)(fl[0] > 32 ? 32 : fl[0]), f[0]);
		}
	}
	return 0;
}

#define MAP_FILE_MAX (1u << 20)

int iw_cause_map_load(struct iw_cause_map *m, const char *path, char *err, size_t errsize)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	FILE *f;
	int rc;

	iw_cause_map_init(m);
	f = fopen(path, "r");
	if (!f) {
		rc = -errno;
		if (err && errsize)
			snprintf(err, errsize, "%s: %s", path, strerror(-rc));
		return rc;
	}
	for (;;) {
		size_t n;

		if (len == cap) {
			char *nb;

			if (cap >= MAP_FILE_MAX) {
				rc = -EFBIG;
				goto out;
			}
			cap = cap ? cap * 2 : 4096;
			nb = realloc(buf, cap);
			if (!nb) {
				rc = -ENOMEM;
				goto out;
			}
			buf = nb;
		}
		errno = 0;
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		rc = errno ? -errno : -EIO;
		goto out;
	}
	rc = iw_cause_map_parse(m, buf, len, path, err, errsize);
	if (rc < 0)
		iw_cause_map_init(m);
	free(buf);
	fclose(f);
	return rc;
out:
	if (err && errsize)
		snprintf(err, errsize, "%s: %s", path,
			 rc == -EFBIG ? "larger than 1 MiB" : strerror(-rc));
	iw_cause_map_init(m);
	free(buf);
	fclose(f);
	return rc;
}

int iw_cause_map_isup_to_sip(const struct iw_cause_map *m, uint8_t cause, uint8_t location)
{
	if (cause == 0 || cause > 127)
		return -EINVAL;
	if (m && m->isup2sip[cause])
		return m->isup2sip[cause] == IW_CAUSE_MAP_NO_RESPONSE ? 0 : m->isup2sip[cause];
	/* RFC 3398 7.2.4.1 note (*): normal clearing has no response */
	if (cause == ISUP_CAUSE_NORMAL_CLEARING)
		return 0;
	return iw_cause_isup_to_sip_loc(cause, location);
}

int iw_cause_map_reject_status(const struct iw_cause_map *m, uint8_t cause, uint8_t location)
{
	int st = iw_cause_map_isup_to_sip(m, cause, location);

	return st >= 300 ? st : 480;
}

uint8_t iw_cause_map_sip_to_isup(const struct iw_cause_map *m, int status)
{
	if (status < IW_CAUSE_MAP_STATUS_MIN || status > IW_CAUSE_MAP_STATUS_MAX)
		return 0;
	if (m && m->sip2isup[status - IW_CAUSE_MAP_STATUS_MIN])
		return m->sip2isup[status - IW_CAUSE_MAP_STATUS_MIN];
	return iw_cause_sip_to_isup(status);
}

uint8_t iw_cause_map_from_response(const struct iw_cause_map *m, int status, const char *reason,
				   size_t reason_len)
{
	uint8_t c;

	if (reason && iw_reason_parse(reason, reason_len, &c) == 0 && c != 0)
		return c;
	return iw_cause_map_sip_to_isup(m, status);
}

uint8_t iw_cause_from_bye(const char *reason, size_t reason_len)
{
	uint8_t c;

	if (reason && iw_reason_parse(reason, reason_len, &c) == 0 && c != 0)
		return c;
	return ISUP_CAUSE_NORMAL_CLEARING;
}

uint8_t iw_reason_msg_cause(const struct sip_msg *m)
{
	const struct sip_hdr *h;
	uint8_t c;

	/* as within one line, the first Q.850 value decides, even when its
	 * cause is 0 (no cause); lines without one, or malformed, are passed */
	for (h = m ? sip_msg_hdr(m, SIP_HDR_REASON) : NULL; h; h = sip_msg_hdr_next(m, h))
		if (iw_reason_parse(h->value.p, h->value.len, &c) == 0)
			return c;
	return 0;
}

uint8_t iw_cause_map_from_msg(const struct iw_cause_map *m, int status, const struct sip_msg *rsp)
{
	uint8_t c = iw_reason_msg_cause(rsp);

	return c ? c : iw_cause_map_sip_to_isup(m, status);
}

uint8_t iw_cause_from_bye_msg(const struct sip_msg *bye)
{
	uint8_t c = iw_reason_msg_cause(bye);

	return c ? c : ISUP_CAUSE_NORMAL_CLEARING;
}

bool iw_cause_route_advance(uint8_t cause)
{
	switch (cause) {
	case ISUP_CAUSE_NO_CIRCUIT_AVAILABLE:
	case ISUP_CAUSE_NETWORK_OUT_OF_ORDER:
	case ISUP_CAUSE_TEMPORARY_FAILURE:
	case ISUP_CAUSE_SWITCHING_EQUIPMENT_CONGESTION:
	/* the far end could not give the circuit or channel it was asked for
	 * (a PRI SETUP that lost its exclusive channel, a CIC it cannot use):
	 * another circuit or route may well carry the call */
	case ISUP_CAUSE_REQUESTED_CIRCUIT_UNAVAILABLE:
	case ISUP_CAUSE_RESOURCE_UNAVAILABLE:
		return true;
	default:
		return false;
	}
}

bool iw_cause_sip_failover(int status)
{
	return status == 408 || status == 500 || status == 502 || status == 503 || status == 504;
}

const char *iw_cause_failure_tone(uint8_t cause)
{
	switch (cause) {
	case ISUP_CAUSE_USER_BUSY:
		return "busy";
	case ISUP_CAUSE_NO_CIRCUIT_AVAILABLE:
	case ISUP_CAUSE_NETWORK_OUT_OF_ORDER:
	case ISUP_CAUSE_TEMPORARY_FAILURE:
	case ISUP_CAUSE_SWITCHING_EQUIPMENT_CONGESTION:
	case ISUP_CAUSE_REQUESTED_CIRCUIT_UNAVAILABLE:
	case ISUP_CAUSE_RESOURCE_UNAVAILABLE:
		return "congestion";
	default:
		return NULL;
	}
}
