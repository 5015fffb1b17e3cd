/* REFER (RFC 3515) on the SIP legs: the trunk's policy command. The
 * request and its NOTIFYs are the leg's (sip_ua.h: the refer op,
 * sip_leg_refer_notify). */
#pragma once

struct vty;
struct sip_trunk;

/* "refer (accept|reject)" in the trunk node, and its line in the config. */
void sip_refer_vty_init(void);
void sip_refer_vty_write(struct vty *vty, const struct sip_trunk *t);
