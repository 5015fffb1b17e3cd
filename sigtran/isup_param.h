/* Typed ISUP parameter codecs (Q.763 section 3, T1.113): numbers, cause,
 * and the indicators call control reads. Pure. Each decoder returns 0 or
 * -EBADMSG and fills *out only on success; each encoder returns the length
 * written or -ENOSPC / -EINVAL. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ISUP_NUMBER_MAX_DIGITS 40

/* Called, calling, connected, redirecting, original called, location,
 * generic and subsequent numbers: one struct, fields as the code uses them. */
struct isup_number {
	uint8_t noa;	   /* nature of address indicator (Q.763 3.9 / 3.10) */
	uint8_t npi;	   /* numbering plan indicator */
	uint8_t inn;	   /* called: internal network number indicator */
	uint8_t ni;	   /* calling/generic: number incomplete indicator */
	uint8_t apri;	   /* address presentation restricted indicator */
	uint8_t screening; /* screening indicator */
	uint8_t nqi;	   /* generic number: number qualifier indicator */
	bool st;	   /* the digits ended with ST (hex F), not included in digits */
	char digits[ISUP_NUMBER_MAX_DIGITS + 1]; /* '0'-'9', 'A'-'E' as '*', '#'... see Q.763 */
};

/* Q.763 3.9 f digit coding, as this codec writes it in digits[]: 0-9 as
 * '0'-'9', code 11 (hex B) as '*', code 12 (hex C) as '#', the spare values
 * A, D, E as 'A', 'D', 'E'; hex F is ST: it may only end the number and is
 * reported through st. The encoder also takes 'B', 'C' and lower case. */

/* code is the ISUP_PAR_* the number came in: it decides the first octets'
 * layout (subsequent number has no NOA octet; generic number has an NQI). */
/* Which fields a number parameter of this code carries (ISUP_NUM_F_*), or
 * -1 when the code is not a number parameter. */
enum {
	ISUP_NUM_F_INN = 1 << 0,    /* octet 2 bit 8: INN */
	ISUP_NUM_F_NI = 1 << 1,	    /* octet 2 bit 8: NI */
	ISUP_NUM_F_APRI = 1 << 2,   /* octet 2 bits 4-3 */
	ISUP_NUM_F_SI = 1 << 3,	    /* octet 2 bits 2-1: screening */
	ISUP_NUM_F_NQI = 1 << 4,    /* a number qualifier octet comes first */
	ISUP_NUM_F_NO_NOA = 1 << 5, /* subsequent number: odd/even octet, then digits */
};
int isup_number_fields(uint8_t code);
int isup_number_decode(uint8_t code, const uint8_t *p, size_t len, struct isup_number *out);
int isup_number_encode(uint8_t code, const struct isup_number *n, uint8_t *buf, size_t size);

/* Cause indicators (Q.763 3.12, Q.850). */
struct isup_cause {
	uint8_t coding_standard; /* 0 ITU-T, 2 national (ANSI uses 2 for its own values) */
	uint8_t location;	 /* Q.850 location */
	uint8_t value;		 /* Q.850 cause value (7 bits) */
	uint8_t diag_len;
	uint8_t diag[32];
	bool rec_present; /* Q.850 octet 3a (recommendation) was there */
	uint8_t rec;	  /* its value (7 bits) */
};
int isup_cause_decode(const uint8_t *p, size_t len, struct isup_cause *out);
int isup_cause_encode(const struct isup_cause *c, uint8_t *buf, size_t size);

/* Backward call indicators (Q.763 3.5), the fields call control uses. */
struct isup_bci {
	uint8_t charge;		  /* bits BA: 0 no indication, 1 no charge, 2 charge */
	uint8_t called_status;	  /* bits DC: 1 subscriber free */
	uint8_t called_category;  /* bits FE */
	uint8_t e2e_method;	  /* bits HG */
	bool interworking;	  /* bit I */
	bool e2e_info;		  /* bit J */
	bool isup_all_the_way;	  /* bit K */
	bool holding;		  /* bit L */
	bool isdn_access;	  /* bit M */
	bool echo_control_device; /* bit N */
	uint8_t sccp_method;	  /* bits PO */
};
int isup_bci_decode(const uint8_t *p, size_t len, struct isup_bci *out);
int isup_bci_encode(const struct isup_bci *b, uint8_t *buf, size_t size); /* 2 octets */

/* Range and status (Q.763 3.43): range is the octet value (CICs covered =
 * range + 1); status bits, one per CIC, LSB first. status_len 0 when absent
 * (GRS, CQM). */
struct isup_range_status {
	uint8_t range;
	uint8_t status_len;
	uint8_t status[32];
};
int isup_range_status_decode(const uint8_t *p, size_t len, struct isup_range_status *out);
int isup_range_status_encode(const struct isup_range_status *rs, uint8_t *buf, size_t size);
