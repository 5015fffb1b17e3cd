/* The trust boundary's call decisions: RFC 3325 identity per trunk and
 * loop prevention (Max-Forwards <-> ISUP hop counter). Pure: no I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tstr.h"

struct sip_msg;
struct sip_trunk;
struct isup_msg;

/* Where the calling number of a SIP -> ISUP call comes from. */
enum iw_id_src {
	IW_ID_NONE,    /* none usable */
	IW_ID_PAI,     /* a trusted trunk's P-Asserted-Identity: network provided */
	IW_ID_FROM,    /* the From: user provided, not verified */
	IW_ID_DEFAULT, /* the trunk's default-calling-number: network provided */
};

struct iw_identity_in {
	enum iw_id_src src;
	struct tstr uri;       /* PAI or From URI (IW_ID_PAI, IW_ID_FROM) */
	const char *number;    /* IW_ID_DEFAULT: E.164 digits */
	bool restricted;       /* presentation restricted */
	bool network_provided; /* Q.763 3.10 screening 3; else 0 (user provided, not verified) */
};

/* RFC 3325 5 / RFC 3398 8.2.1: a trusted trunk's PAI is the calling
 * number; from an untrusted trunk PAI is ignored and the From (or the
 * configured default number) is used, never network provided. Privacy: id,
 * header or user restricts presentation from either kind of trunk: a
 * request to hide a number is honoured from anyone, never one to show it. */
void iw_identity_in(const struct sip_trunk *t, const struct sip_msg *invite,
		    struct iw_identity_in *out);
/* May the trunk's ISUP body (SIP-I/SIP-T IAM) set the calling number? */
bool iw_identity_trusted(const struct sip_trunk *t);

/* ISUP -> SIP: From and the identity headers toward trunk t. calling: E.164
 * digits ("" none); local: our host for the URIs. RFC 3325 9.1 / RFC 3323:
 * a restricted number goes only in P-Asserted-Identity with Privacy: id,
 * and only to a trusted trunk; an untrusted one gets an anonymous From. */
void iw_identity_out(const struct sip_trunk *t, const char *calling, bool restricted,
		     const char *local, char *from, size_t from_size, char *hdrs, size_t hdrs_size);

/* Q.764 2.14 hop counter (Q.763 3.80, 5 bits). */
#define IW_HOPS_MAX 31
/* SIP -> ISUP: the IAM's hop counter from the INVITE's Max-Forwards
 * (less one for us, at most 31; 31 without Max-Forwards). -ELOOP when none
 * is left: answer 483 (cause 25). */
int iw_hops_sip_to_isup(const struct sip_msg *invite, uint8_t *hop_counter);
/* ISUP -> SIP: the INVITE's Max-Forwards from the IAM's hop counter (less
 * one for us; 70 without the parameter, RFC 3261 8.1.1.6). -ELOOP when the
 * counter is spent: release with cause 25 (Q.764 2.14.2). */
int iw_hops_isup_to_sip(const struct isup_msg *iam, unsigned *max_forwards);
