// SPDX-License-Identifier: GPL-2.0
/* tandem's XDP program (core/xdp.c loads it): an IPv4 UDP datagram whose
 * destination address and port belong to a socket a worker put on AF_XDP
 * (the "steer" map, filled as sockets come and go) goes to that worker's
 * xsk when it arrived on the worker's receive queue. Everything else --
 * ARP, ICMP, IPv6, SIP and other UDP, IP options, fragments, a datagram
 * on another queue -- passes to the kernel, where the socket still is. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

/* must match struct xdp_steer_key in core/xdp.c */
struct steer_key {
	__u32 addr; /* network order */
	__u16 port; /* network order */
	__u16 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

/* (address, port) -> receive queue of the owning worker's xsk */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct steer_key);
	__type(value, __u32);
} steer SEC(".maps");

/* per CPU: 0 redirected, 1 passed (a queue mismatch is counted as 2) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

static __always_inline void count(__u32 k)
{
	__u64 *v = bpf_map_lookup_elem(&counts, &k);

	if (v)
		*v += 1;
}

SEC("xdp")
int xdp_steer(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct steer_key k = {};
	struct iphdr *ip;
	struct udphdr *udp;
	__u32 *q;

	if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		goto pass;
	ip = (void *)(eth + 1);
	/* options (ihl > 5) and fragments (MF or an offset) are the kernel's */
	if ((void *)(ip + 1) > end || ip->ihl != 5 || ip->protocol != IPPROTO_UDP ||
	    (ip->frag_off & bpf_htons(0x3fff)))
		goto pass;
	udp = (void *)(ip + 1);
	if ((void *)(udp + 1) > end)
		goto pass;
	k.addr = ip->daddr;
	k.port = udp->dest;
	q = bpf_map_lookup_elem(&steer, &k);
	if (!q)
		goto pass;
	if (*q != ctx->rx_queue_index) {
		count(2);
		return XDP_PASS;
	}
	count(0);
	/* no xsk on the queue (yet, or any more): the kernel socket gets it */
	return bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
pass:
	count(1);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
