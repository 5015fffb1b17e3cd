/* Private to core/xdp.c and core/xsk.c: the interface with tandem's XDP
 * program, shared by the loops' xsk sockets. */
#pragma once

#include <net/if.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/if_ether.h>

#include "core/xdp.h"

/* must match struct steer_key in core/bpf/xdp_steer.bpf.c */
struct xdp_steer_key {
	uint32_t addr; /* network order */
	uint16_t port; /* network order */
	uint16_t pad;
};

#define XDP_MAX_ADDRS 16

struct loop_xdp {
	struct loop_xdp_cfg cfg;
	char ifname[IF_NAMESIZE];
	int ifindex;
	uint32_t xdp_flags; /* as attached */
	unsigned rxq;	    /* the interface's receive queues */
	struct bpf_object *obj;
	int xsks_fd, steer_fd;
	uint8_t mac[ETH_ALEN];
	uint32_t addr[XDP_MAX_ADDRS]; /* the interface's IPv4 addresses at start (network order) */
	unsigned naddr;
	/* veth hands over a locally sent datagram with its UDP checksum
	 * still to be completed (checksum offload); such frames cannot be
	 * checked, and did not cross a wire */
	bool partial_csum;
};

/* why = the formatted reason (core/xdp.c) */
void loop_xdp_why(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
