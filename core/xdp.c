/* AF_XDP: the interface and tandem's XDP program (see core/xdp.h); the
 * loops' sockets on it are core/xsk.c. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>

#include "core/log.h"
#include "core/loop_int.h"
#include "core/xdp.h"

#ifndef TANDEM_XDP

bool loop_xdp_built(void)
{
	return false;
}

struct loop_xdp *loop_xdp_open(void *ctx, const struct loop_xdp_cfg *cfg, char *why, size_t whylen)
{
	(void)ctx;
	(void)cfg;
	snprintf(why, whylen, "built without AF_XDP (libxdp-dev, libbpf-dev or clang missing)");
	return NULL;
}

void loop_xdp_close(struct loop_xdp *x)
{
	(void)x;
}

const char *loop_xdp_mode_name(const struct loop_xdp *x)
{
	(void)x;
	return "none";
}

unsigned loop_xdp_queues(const struct loop_xdp *x)
{
	(void)x;
	return 0;
}

#else /* TANDEM_XDP */

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <linux/sockios.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/xsk.h>

#include "core/xdp_int.h"

/* The program, compiled by clang's BPF target (Makefile) and embedded. */
static const unsigned char steer_obj[] = {
#include "xdp_steer.bpf.inc"
};

bool loop_xdp_built(void)
{
	return true;
}
void loop_xdp_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char buf[256];

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	LOGP(DLOOP, LOGL_INFO, "libbpf: %s", buf);
	return 0;
}

/* The interface's receive queues: ethtool's channels (sysfs shows the
 * namespace that mounted it, not necessarily ours). */
static unsigned count_rx_queues(const char *ifname)
{
	struct ethtool_channels ch = {.cmd = ETHTOOL_GCHANNELS};
	struct ifreq ifr;
	unsigned n = 1;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return 1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&ch;
	if (ioctl(fd, SIOCETHTOOL, &ifr) == 0 && ch.rx_count + ch.combined_count > 0)
		n = ch.rx_count + ch.combined_count;
	close(fd);
	return n;
}

static int iface_info(struct loop_xdp *x, char *why, size_t whylen)
{
	struct ifreq ifr;
	struct ifaddrs *ifa, *i;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

	if (fd < 0) {
		loop_xdp_why(why, whylen, "socket: %s", strerror(errno));
		return -errno;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", x->ifname);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		rc = -errno;
		loop_xdp_why(why, whylen, "interface %s: %s", x->ifname, strerror(errno));
		goto out;
	}
	if (ifr.ifr_flags & IFF_LOOPBACK) {
		rc = -EOPNOTSUPP;
		loop_xdp_why(why, whylen,
			     "%s is a loopback interface (AF_XDP needs an Ethernet one)",
			     x->ifname);
		goto out;
	}
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0 ||
	    ifr.ifr_hwaddr.sa_family != 1 /* ARPHRD_ETHER */) {
		rc = -EOPNOTSUPP;
		loop_xdp_why(why, whylen, "%s is not an Ethernet interface", x->ifname);
		goto out;
	}
	memcpy(x->mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	{
		struct ethtool_drvinfo di = {.cmd = ETHTOOL_GDRVINFO};

		ifr.ifr_data = (void *)&di;
		if (ioctl(fd, SIOCETHTOOL, &ifr) == 0 && !strcmp(di.driver, "veth"))
			x->partial_csum = true;
	}
	if (getifaddrs(&ifa) == 0) {
		for (i = ifa; i; i = i->ifa_next)
			if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
			    !strcmp(i->ifa_name, x->ifname) && x->naddr < XDP_MAX_ADDRS)
				x->addr[x->naddr++] =
					((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr;
		freeifaddrs(ifa);
	}
	if (!x->naddr) {
		rc = -EADDRNOTAVAIL;
		loop_xdp_why(why, whylen, "%s has no IPv4 address", x->ifname);
	}
out:
	close(fd);
	return rc;
}

static int xdp_attach(struct loop_xdp *x, int prog_fd, char *why, size_t whylen)
{
	uint32_t base = XDP_FLAGS_UPDATE_IF_NOEXIST;
	int rc;

	if (x->cfg.mode != LOOP_XDP_MODE_GENERIC) {
		rc = bpf_xdp_attach(x->ifindex, prog_fd, base | XDP_FLAGS_DRV_MODE, NULL);
		if (rc == 0) {
			x->xdp_flags = base | XDP_FLAGS_DRV_MODE;
			return 0;
		}
		if (x->cfg.mode == LOOP_XDP_MODE_NATIVE || rc == -EBUSY || rc == -EEXIST) {
			loop_xdp_why(why, whylen, "attaching the XDP program (native) to %s: %s%s",
				     x->ifname, strerror(-rc),
				     rc == -EBUSY || rc == -EEXIST
					     ? " (another XDP program is attached)"
					     : "");
			return rc;
		}
		LOGP(DLOOP, LOGL_NOTICE,
		     "xdp %s: native mode refused (%s); trying generic (skb) mode\n", x->ifname,
		     strerror(-rc));
	}
	rc = bpf_xdp_attach(x->ifindex, prog_fd, base | XDP_FLAGS_SKB_MODE, NULL);
	if (rc < 0) {
		loop_xdp_why(why, whylen, "attaching the XDP program (generic) to %s: %s",
			     x->ifname, strerror(-rc));
		return rc;
	}
	x->xdp_flags = base | XDP_FLAGS_SKB_MODE;
	return 0;
}

static int xdp_destructor(struct loop_xdp *x)
{
	if (x->xdp_flags)
		bpf_xdp_detach(x->ifindex, x->xdp_flags & ~XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	if (x->obj)
		bpf_object__close(x->obj);
	return 0;
}

struct loop_xdp *loop_xdp_open(void *ctx, const struct loop_xdp_cfg *cfg, char *why, size_t whylen)
{
	struct loop_xdp *x = talloc_zero(ctx, struct loop_xdp);
	struct bpf_program *prog;
	int rc;

	if (!x) {
		loop_xdp_why(why, whylen, "out of memory");
		return NULL;
	}
	talloc_set_destructor(x, xdp_destructor);
	x->cfg = *cfg;
	snprintf(x->ifname, sizeof(x->ifname), "%s", cfg->ifname);
	x->cfg.ifname = x->ifname;
	x->ifindex = (int)if_nametoindex(x->ifname);
	if (!x->ifindex) {
		loop_xdp_why(why, whylen, "no interface %s", x->ifname);
		goto fail;
	}
	if (iface_info(x, why, whylen) < 0)
		goto fail;
	x->rxq = count_rx_queues(x->ifname);
	libbpf_set_print(libbpf_log);
	x->obj = bpf_object__open_mem(steer_obj, sizeof(steer_obj), NULL);
	if (!x->obj) {
		loop_xdp_why(why, whylen, "opening the XDP program: %s", strerror(errno));
		goto fail;
	}
	rc = bpf_object__load(x->obj);
	if (rc < 0) {
		loop_xdp_why(why, whylen, "loading the XDP program: %s%s", strerror(-rc),
			     rc == -EPERM ? " (needs CAP_BPF and CAP_NET_ADMIN)" : "");
		goto fail;
	}
	prog = bpf_object__find_program_by_name(x->obj, "xdp_steer");
	x->xsks_fd = bpf_object__find_map_fd_by_name(x->obj, "xsks");
	x->steer_fd = bpf_object__find_map_fd_by_name(x->obj, "steer");
	if (!prog || x->xsks_fd < 0 || x->steer_fd < 0) {
		loop_xdp_why(why, whylen, "the XDP program lacks its maps");
		goto fail;
	}
	if (xdp_attach(x, bpf_program__fd(prog), why, whylen) < 0)
		goto fail;
	LOGP(DLOOP, LOGL_NOTICE, "xdp %s: program attached in %s mode, %u receive queue(s)\n",
	     x->ifname, loop_xdp_mode_name(x), x->rxq);
	return x;
fail:
	talloc_free(x);
	return NULL;
}

void loop_xdp_close(struct loop_xdp *x)
{
	talloc_free(x);
}

const char *loop_xdp_mode_name(const struct loop_xdp *x)
{
	return x->xdp_flags & XDP_FLAGS_DRV_MODE ? "native" : "generic";
}

unsigned loop_xdp_queues(const struct loop_xdp *x)
{
	return x->rxq;
}

#endif /* TANDEM_XDP */
