/* RFC 3325 identity per trunk and Max-Forwards <-> hop counter. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "interwork/iw_trust.h"
#include "sigtran/isup_msg.h"
#include "sigtran/isup_proto.h"
#include "sip/sip_hdr.h"
#include "sip/sip_msg.h"
#include "sip/sip_trunk.h"

bool iw_identity_trusted(const struct sip_trunk *t)
{
	return t && t->trust_identity;
}

void iw_identity_in(const struct sip_trunk *t, const struct sip_msg *invite,
		    struct iw_identity_in *out)
{
	struct sip_nameaddr na;

	*out = (struct iw_identity_in){.src = IW_ID_NONE};
	/* RFC 3323 4.2: the user asks that its identity be withheld */
	out->restricted = sip_msg_has_token(invite, SIP_HDR_PRIVACY, "id") ||
			  sip_msg_has_token(invite, SIP_HDR_PRIVACY, "header") ||
			  sip_msg_has_token(invite, SIP_HDR_PRIVACY, "user");
	if (iw_identity_trusted(t) && sip_msg_pai(invite, 0, &na) == 0) {
		out->src = IW_ID_PAI;
		out->uri = na.uri;
		out->network_provided = true;
		return;
	}
	if (!iw_identity_trusted(t) && t && t->default_calling) {
		out->src = IW_ID_DEFAULT;
		out->number = t->default_calling;
		out->network_provided = true; /* the number is ours, not the caller's */
		return;
	}
	if (sip_msg_from(invite, &na) == 0) {
		out->src = IW_ID_FROM;
		out->uri = na.uri;
	}
}

void iw_identity_out(const struct sip_trunk *t, const char *calling, bool restricted,
		     const char *local, char *from, size_t from_size, char *hdrs, size_t hdrs_size)
{
	hdrs[0] = '\0';
	if (!calling[0]) {
		snprintf(from, from_size, "sip:unknown@%s", local);
		return;
	}
	if (restricted) {
		snprintf(from, from_size, "sip:anonymous@anonymous.invalid");
		/* RFC 3325 9.1: outside the trust domain the withheld
		 * identity is not sent at all */
		if (iw_identity_trusted(t))
			snprintf(hdrs, hdrs_size,
				 "P-Asserted-Identity: <sip:+%s@%s;user=phone>\r\nPrivacy: id\r\n",
				 calling, local);
		else
			snprintf(hdrs, hdrs_size, "Privacy: id\r\n");
		return;
	}
	snprintf(from, from_size, "sip:+%s@%s;user=phone", calling, local);
	snprintf(hdrs, hdrs_size, "P-Asserted-Identity: <sip:+%s@%s;user=phone>\r\n", calling,
		 local);
}

int iw_hops_sip_to_isup(const struct sip_msg *invite, uint8_t *hop_counter)
{
	uint32_t mf;

	if (sip_msg_max_forwards(invite, &mf) < 0)
		mf = IW_HOPS_MAX + 1;
	/* we are one hop: what is left after us goes on, capped to 5 bits */
	if (mf <= 1)
		return -ELOOP;
	mf -= 1;
	*hop_counter = (uint8_t)(mf > IW_HOPS_MAX ? IW_HOPS_MAX : mf);
	return 0;
}

int iw_hops_isup_to_sip(const struct isup_msg *iam, unsigned *max_forwards)
{
	uint8_t hc;

	if (isup_msg_u8(iam, ISUP_PAR_HOP_COUNTER, &hc) < 0) {
		*max_forwards = 70;
		return 0;
	}
	hc &= 0x1f;
	/* Q.764 2.14.2: each exchange decrements; at 0 the call is not
	 * routed further */
	if (hc <= 1)
		return -ELOOP;
	*max_forwards = hc - 1u;
	return 0;
}
