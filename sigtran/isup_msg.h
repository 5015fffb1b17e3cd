/* ISUP message coding (ITU-T Q.763, ANSI T1.113): a zero-copy structural
 * decoder (message type, CIC, each parameter as a view into the input, in
 * wire order) and an encoder that lays parameters out by the message's
 * format (mandatory fixed, mandatory variable with pointers, optional part).
 * Typed parameter codecs (numbers, cause, indicators) are in isup_param.h.
 * Pure: no I/O, no globals. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sigtran/isup_proto.h"

enum isup_variant {
	ISUP_VAR_ITU,  /* Q.763: 12-bit CIC in two octets */
	ISUP_VAR_ANSI, /* T1.113: 14-bit CIC in two octets */
};

#define ISUP_MAX_PARAMS 48

/* Where a parameter sits in the message (Q.763 1.3). */
enum isup_part {
	ISUP_PART_FIXED, /* mandatory fixed: no code, no length on the wire */
	ISUP_PART_VAR,	 /* mandatory variable: pointer, length, value */
	ISUP_PART_OPT,	 /* optional: code, length, value */
};

struct isup_param {
	uint8_t code; /* ISUP_PAR_*; fixed and variable ones get their code from the format */
	uint8_t part; /* enum isup_part */
	uint8_t len;
	const uint8_t *val;
};

struct isup_msg {
	uint16_t cic;
	uint8_t type; /* ISUP_MT_* */
	unsigned nparams;
	struct isup_param p[ISUP_MAX_PARAMS];
};

/* Why a decode failed, for the Q.764 2.9.5 / 2.10.5 reaction. */
enum isup_decode_err {
	ISUP_DEC_OK,
	ISUP_DEC_TRUNCATED,	    /* shorter than its format: discard */
	ISUP_DEC_BAD_POINTER,	    /* a pointer or length leads outside the message: discard */
	ISUP_DEC_UNKNOWN_TYPE,	    /* unrecognised message type: Q.764 2.9.5.1 (CFN cause 97) */
	ISUP_DEC_MISSING_MANDATORY, /* e.g. zero-length mandatory variable: discard / CFN cause 99
				     */
	/* more than ISUP_MAX_PARAMS parameters: discard */
	ISUP_DEC_TOO_MANY_PARAMS,
};

/* Decode the ISUP message in buf (from the CIC on). 0 on success; -EBADMSG
 * (malformed) or -ENOTSUP (unknown message type: out->cic and out->type are
 * still set so the caller can answer with CFN) with *err set. Parameters are
 * views into buf. Never reads outside buf. */
int isup_msg_decode(enum isup_variant v, const uint8_t *buf, size_t len, struct isup_msg *out,
		    enum isup_decode_err *err);

/* Encoder: init, add parameters in any order (fixed and variable ones by
 * code; the format says where each goes), encode. The values are not copied:
 * they must live until isup_msg_encode() returns. */
void isup_msg_init(struct isup_msg *m, uint8_t type, uint16_t cic);
/* -ENOSPC when the message already holds ISUP_MAX_PARAMS. The part is looked
 * up from the message format (a code the format does not name is optional).
 * The variant is not known here: the part recorded follows the ITU format
 * (ANSI's for ANSI-only types); isup_msg_encode() places each parameter by
 * the variant's format. -EINVAL for a value longer than 255 octets. */
int isup_msg_add(struct isup_msg *m, uint8_t code, const void *val, size_t len);
/* Length written, or -ENOSPC, -EINVAL (a mandatory parameter is missing or
 * a fixed one has the wrong length). */
int isup_msg_encode(enum isup_variant v, const struct isup_msg *m, uint8_t *buf, size_t size);

/* First parameter with this code, or NULL. */
const struct isup_param *isup_msg_param(const struct isup_msg *m, uint8_t code);
/* One-octet fixed/optional parameter value; -ENOENT absent, -EBADMSG wrong length. */
int isup_msg_u8(const struct isup_msg *m, uint8_t code, uint8_t *v);

/* Q.763 acronym ("IAM") or NULL; parameter name in snake_case or NULL. */
const char *isup_msg_type_name(uint8_t type);
int isup_msg_type_from_name(const char *name); /* -1 when unknown */
const char *isup_param_name(uint8_t code);
int isup_param_from_name(const char *name); /* -1 when unknown */
/* Where the variant's format puts this parameter in this message type. */
enum isup_part isup_msg_part(enum isup_variant v, uint8_t type, uint8_t code);
/* Short text for a decode error, for logs and tandem-tool. */
const char *isup_decode_err_str(enum isup_decode_err err);
/* Does the variant know this message type? */
bool isup_msg_type_known(enum isup_variant v, uint8_t type);

/* Q.764 2.9.5.3: what an exchange does with a parameter it does not
 * recognise, from the instruction indicators (Q.763 3.41) the parameter
 * compatibility information of the same message gives for it. */
enum isup_compat {
	ISUP_COMPAT_PASS_ON,	   /* carried on unchanged */
	ISUP_COMPAT_DISCARD_PARAM, /* dropped, the message goes on */
	ISUP_COMPAT_DISCARD_MSG,   /* the whole message is dropped */
	ISUP_COMPAT_RELEASE,	   /* the call is released, cause 99 */
};

/* Is this a parameter code tandem knows (isup_param_name() has it)? */
bool isup_param_known(uint8_t code);
/* The first instruction indicators octet (Q.763 3.41 bits H-A) for code in
 * m's parameter compatibility information: 0, -ENOENT (no PCI or no entry
 * for code), -EBADMSG (the PCI ends inside an entry). */
int isup_pci_find(const struct isup_msg *m, uint8_t code, uint8_t *ii);
/* The decision for an unrecognised parameter at an exchange that can
 * carry it on (pass_on: the next exchange gets the ISUP message) or not
 * (the onward side cannot express it, or tandem's bound on carried
 * octets is reached). Without an instruction (no PCI entry, or a malformed
 * PCI) the parameter passes on where it can and is dropped where it
 * cannot. With one: transit interpretation (bit A 0) passes on where it
 * can; end node interpretation (bit A 1) follows bits B (release call),
 * D (discard message), E (discard parameter) in that order, and passes on
 * when none is set; where passing on is not possible bits G F decide
 * (00 and the reserved 11 release, 01 discard message, 10 discard
 * parameter). *notify (may be NULL) is bit C: the sender asked to be
 * told (CFN, Q.764 2.9.5.3). */
enum isup_compat isup_param_compat(const struct isup_msg *m, uint8_t code, bool pass_on,
				   bool *notify);
const char *isup_compat_name(enum isup_compat c);
