/* Typed ISUP parameters: address numbers (Q.763 3.9, 3.10 and the other
 * number parameters of clause 3; T1.113 charge number), cause indicators
 * (Q.763 3.12 -> Q.850 2.1), backward call indicators (3.5), range and
 * status (3.43). */
#include <errno.h>
#include <string.h>

#include "sigtran/isup_param.h"
#include "sigtran/isup_proto.h"

#define N_INN	 ISUP_NUM_F_INN
#define N_NI	 ISUP_NUM_F_NI
#define N_APRI	 ISUP_NUM_F_APRI
#define N_SI	 ISUP_NUM_F_SI
#define N_NQI	 ISUP_NUM_F_NQI
#define N_DIGITS ISUP_NUM_F_NO_NOA

int isup_number_fields(uint8_t code)
{
	switch (code) {
	case ISUP_PAR_CALLED_PARTY_NUMBER:
	case ISUP_PAR_REDIRECTION_NUMBER:
	case ISUP_PAR_CALLED_IN_NUMBER:
		return N_INN;
	case ISUP_PAR_CALLING_PARTY_NUMBER:
		return N_NI | N_APRI | N_SI;
	case ISUP_PAR_GENERIC_NUMBER:
		return N_NQI | N_NI | N_APRI | N_SI;
	case ISUP_PAR_CONNECTED_NUMBER:
	case ISUP_PAR_CALL_TRANSFER_NUMBER:
		return N_APRI | N_SI;
	case ISUP_PAR_LOCATION_NUMBER:
		return N_INN | N_APRI | N_SI;
	case ISUP_PAR_REDIRECTING_NUMBER:
	case ISUP_PAR_ORIGINAL_CALLED_NUMBER:
	case ISUP_PAR_ORIGINAL_CALLED_IN_NUMBER:
		return N_APRI;
	case ISUP_PAR_CHARGE_NUMBER:
		return 0; /* T1.113: NOA, then only the numbering plan */
	case ISUP_PAR_SUBSEQUENT_NUMBER:
		return N_DIGITS;
	default:
		return -1;
	}
}

static char digit_char(uint8_t nib)
{
	static const char map[] = "0123456789A*#DE";

	return map[nib];
}

static int digit_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	switch (c) {
	case '*':
	case 'B':
	case 'b':
		return 0xb;
	case '#':
	case 'C':
	case 'c':
		return 0xc;
	case 'A':
	case 'a':
		return 0xa;
	case 'D':
	case 'd':
		return 0xd;
	case 'E':
	case 'e':
		return 0xe;
	default:
		return -1;
	}
}

int isup_number_decode(uint8_t code, const uint8_t *p, size_t len, struct isup_number *out)
{
	int lay = isup_number_fields(code);
	struct isup_number n;
	size_t hdr, ndig, i, k = 0;
	bool odd;

	if (lay < 0)
		return -EBADMSG;
	memset(&n, 0, sizeof(n));
	hdr = (lay & N_NQI ? 1 : 0) + (lay & N_DIGITS ? 1 : 2);
	if (len < hdr)
		return -EBADMSG;
	if (lay & N_NQI) {
		n.nqi = p[0];
		p++;
		len--;
		hdr--;
	}
	odd = p[0] & 0x80;
	if (!(lay & N_DIGITS)) {
		n.noa = p[0] & 0x7f;
		n.npi = (p[1] >> 4) & 7;
		if (lay & N_INN)
			n.inn = p[1] >> 7;
		if (lay & N_NI)
			n.ni = p[1] >> 7;
		if (lay & N_APRI)
			n.apri = (p[1] >> 2) & 3;
		if (lay & N_SI)
			n.screening = p[1] & 3;
	}
	if (odd && len == hdr)
		return -EBADMSG; /* an odd number of no digits */
	ndig = (len - hdr) * 2 - (odd ? 1 : 0);
	for (i = 0; i < ndig; i++) {
		uint8_t b = p[hdr + i / 2];
		uint8_t nib = i % 2 ? b >> 4 : b & 0x0f;

		if (nib == 0xf) {
			/* Q.763 3.9 f: ST ends the number; nothing may follow it. */
			if (i != ndig - 1)
				return -EBADMSG;
			n.st = true;
			break;
		}
		if (k >= ISUP_NUMBER_MAX_DIGITS)
			return -EBADMSG;
		n.digits[k++] = digit_char(nib);
	}
	n.digits[k] = '\0';
	*out = n;
	return 0;
}

int isup_number_encode(uint8_t code, const struct isup_number *n, uint8_t *buf, size_t size)
{
	int lay = isup_number_fields(code);
	size_t nd, ndig, hdr, total, i, o = 0;

	if (lay < 0)
		return -EINVAL;
	nd = strnlen(n->digits, ISUP_NUMBER_MAX_DIGITS + 1);
	if (nd > ISUP_NUMBER_MAX_DIGITS)
		return -EINVAL;
	ndig = nd + (n->st ? 1 : 0);
	hdr = (lay & N_NQI ? 1 : 0) + (lay & N_DIGITS ? 1 : 2);
	total = hdr + (ndig + 1) / 2;
	if (total > size)
		return -ENOSPC;
	if (lay & N_NQI)
		buf[o++] = n->nqi;
	if (lay & N_DIGITS) {
		buf[o++] = ndig % 2 ? 0x80 : 0;
	} else {
		uint8_t b2 = (uint8_t)((n->npi & 7) << 4);

		if (n->noa > 0x7f)
			return -EINVAL;
		buf[o++] = (uint8_t)((ndig % 2 ? 0x80 : 0) | n->noa);
		if (lay & N_INN)
			b2 |= (uint8_t)((n->inn & 1) << 7);
		if (lay & N_NI)
			b2 |= (uint8_t)((n->ni & 1) << 7);
		if (lay & N_APRI)
			b2 |= (uint8_t)((n->apri & 3) << 2);
		if (lay & N_SI)
			b2 |= n->screening & 3;
		buf[o++] = b2;
	}
	memset(buf + o, 0, (ndig + 1) / 2); /* odd count: the filler is 0000 */
	for (i = 0; i < ndig; i++) {
		int nib = i < nd ? digit_nibble(n->digits[i]) : 0xf;

		if (nib < 0)
			return -EINVAL;
		buf[o + i / 2] |= (uint8_t)(i % 2 ? nib << 4 : nib);
	}
	return (int)total;
}

int isup_cause_decode(const uint8_t *p, size_t len, struct isup_cause *out)
{
	struct isup_cause c;
	size_t i = 1;

	if (len < 2)
		return -EBADMSG;
	memset(&c, 0, sizeof(c));
	c.coding_standard = (p[0] >> 5) & 3;
	c.location = p[0] & 0x0f;
	/* Q.850 2.2.1: extension bit 0 means octet 3a (recommendation) follows. */
	if (!(p[0] & 0x80)) {
		if (!(p[1] & 0x80))
			return -EBADMSG; /* Q.850 defines no octet 3b */
		c.rec_present = true;
		c.rec = p[1] & 0x7f;
		i = 2;
	}
	if (i >= len)
		return -EBADMSG;
	c.value = p[i] & 0x7f;
	i++;
	if (len - i > sizeof(c.diag))
		return -EBADMSG;
	c.diag_len = (uint8_t)(len - i);
	memcpy(c.diag, p + i, c.diag_len);
	*out = c;
	return 0;
}

int isup_cause_encode(const struct isup_cause *c, uint8_t *buf, size_t size)
{
	size_t n = 0, total = 2 + (c->rec_present ? 1 : 0) + c->diag_len;

	if (c->coding_standard > 3 || c->location > 15 || c->value > 127 ||
	    c->diag_len > sizeof(c->diag))
		return -EINVAL;
	if (total > size)
		return -ENOSPC;
	buf[n++] = (uint8_t)((c->rec_present ? 0 : 0x80) | c->coding_standard << 5 | c->location);
	if (c->rec_present)
		buf[n++] = 0x80 | (c->rec & 0x7f);
	buf[n++] = 0x80 | c->value;
	memcpy(buf + n, c->diag, c->diag_len);
	return (int)total;
}

int isup_bci_decode(const uint8_t *p, size_t len, struct isup_bci *out)
{
	if (len != 2)
		return -EBADMSG;
	out->charge = p[0] & 3;
	out->called_status = (p[0] >> 2) & 3;
	out->called_category = (p[0] >> 4) & 3;
	out->e2e_method = (p[0] >> 6) & 3;
	out->interworking = p[1] & 0x01;
	out->e2e_info = p[1] & 0x02;
	out->isup_all_the_way = p[1] & 0x04;
	out->holding = p[1] & 0x08;
	out->isdn_access = p[1] & 0x10;
	out->echo_control_device = p[1] & 0x20;
	out->sccp_method = (p[1] >> 6) & 3;
	return 0;
}

int isup_bci_encode(const struct isup_bci *b, uint8_t *buf, size_t size)
{
	if (b->charge > 3 || b->called_status > 3 || b->called_category > 3 || b->e2e_method > 3 ||
	    b->sccp_method > 3)
		return -EINVAL;
	if (size < 2)
		return -ENOSPC;
	buf[0] = (uint8_t)(b->charge | b->called_status << 2 | b->called_category << 4 |
			   b->e2e_method << 6);
	buf[1] = (uint8_t)((b->interworking ? 0x01 : 0) | (b->e2e_info ? 0x02 : 0) |
			   (b->isup_all_the_way ? 0x04 : 0) | (b->holding ? 0x08 : 0) |
			   (b->isdn_access ? 0x10 : 0) | (b->echo_control_device ? 0x20 : 0) |
			   b->sccp_method << 6);
	return 2;
}

/* Q.763 3.43: one status bit per circuit in the range, range + 1 circuits. */
static size_t status_octets(uint8_t range)
{
	return ((size_t)range + 1 + 7) / 8;
}

int isup_range_status_decode(const uint8_t *p, size_t len, struct isup_range_status *out)
{
	if (len < 1)
		return -EBADMSG;
	if (len > 1 && len - 1 != status_octets(p[0]))
		return -EBADMSG;
	out->range = p[0];
	out->status_len = (uint8_t)(len - 1);
	memcpy(out->status, p + 1, len - 1);
	return 0;
}

int isup_range_status_encode(const struct isup_range_status *rs, uint8_t *buf, size_t size)
{
	if (rs->status_len && rs->status_len != status_octets(rs->range))
		return -EINVAL;
	if (size < 1 + (size_t)rs->status_len)
		return -ENOSPC;
	buf[0] = rs->range;
	memcpy(buf + 1, rs->status, rs->status_len);
	return 1 + rs->status_len;
}
