/* REFER (RFC 3515) on the SIP legs: the trunk's policy command. The
 * request and its NOTIFYs are the leg's (sip_ua.h: the refer op,
 * sip_leg_refer_notify). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/tstr.h"

struct vty;
struct sip_trunk;

/* RFC 3891 3: the Replaces header (callid;to-tag=..;from-tag=..[;early-only])
 * as it travels %-escaped in a Refer-To URI's headers (RFC 3261 19.1.1:
 * "?Replaces=abc%40h%3Bto-tag%3D1%3Bfrom-tag%3D2"). The views point into
 * buf, which holds the unescaped value. */
struct sip_replaces {
	struct tstr call_id, to_tag, from_tag;
	bool early_only;
};
/* Find Replaces among a URI's headers ("name=value&..."): 0 and *r,
 * -ENOENT when there is none, -EBADMSG when it is malformed (a bad escape,
 * no Call-ID, a missing to-tag or from-tag, two Replaces), -ENOSPC. Pure. */
int sip_replaces_decode(struct tstr uri_headers, struct sip_replaces *r, char *buf, size_t size);

/* "refer (accept|reject)" in the trunk node, and its line in the config. */
void sip_refer_vty_init(void);
void sip_refer_vty_write(struct vty *vty, const struct sip_trunk *t);
