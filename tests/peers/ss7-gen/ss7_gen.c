/* ss7-gen itu|ansi: make libss7 (an independent ISUP implementation) send
 * IAM, REL, GRS and UCIC, and print each one as "ISUP <hex from the CIC on>".
 *
 * libss7 runs its MTP2 over a socketpair (SS7_TRANSPORT_DAHDIDCHAN: one
 * datagram = one signal unit: BSN/BIB, FSN/FIB, LI, SIO, SIF, 2 FCS octets).
 * This program plays the adjacent node just enough for the link to come up:
 * emergency alignment (LSSU SIE), FISUs acknowledging what it received
 * (Q.703), SLTA for its SLTM and an SLTM of its own (Q.707), and TRA
 * (Q.704). Bounded: exits 1 if the messages have not all come in 30 s. */
#include <libss7.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int ansi, peer_fd, aligned, sent_tra, nisup;
static unsigned char their_fsn = 127, their_fib = 1, our_fsn = 127;

static void su_send(const unsigned char *data, int len)
{
	unsigned char b[300];

	b[0] = (unsigned char)(their_fsn | their_fib << 7); /* BSN/BIB: acknowledge */
	b[1] = (unsigned char)(our_fsn | 0x80);
	b[2] = (unsigned char)(len < 63 ? len : 63);
	if (len)
		memcpy(b + 3, data, (size_t)len);
	b[3 + len] = b[4 + len] = 0;
	if (write(peer_fd, b, (size_t)len + 5) < 0)
		perror("ss7-gen: write");
}

static void msu_send(unsigned char sio, const unsigned char *sif, int len)
{
	unsigned char b[300];

	our_fsn = (our_fsn + 1) & 0x7f;
	b[0] = sio;
	memcpy(b + 1, sif, (size_t)len);
	su_send(b, len + 1);
}

static int label_len(void)
{
	return ansi ? 7 : 4;
}

/* The routing label of an answer: OPC and DPC swapped, same SLS. */
static void reply_label(const unsigned char *in, unsigned char *out)
{
	if (ansi) {
		memcpy(out, in + 3, 3);
		memcpy(out + 3, in, 3);
		out[6] = in[6];
	} else {
		unsigned l = in[0] | in[1] << 8 | in[2] << 16 | (unsigned)in[3] << 24;
		unsigned dpc = l & 0x3fff, opc = (l >> 14) & 0x3fff, sls = l >> 28;

		l = opc | dpc << 14 | sls << 28;
		out[0] = (unsigned char)l;
		out[1] = (unsigned char)(l >> 8);
		out[2] = (unsigned char)(l >> 16);
		out[3] = (unsigned char)(l >> 24);
	}
}

static void peer_rx(void)
{
	unsigned char b[300], out[300], sio, *sif;
	int n = (int)read(peer_fd, b, sizeof(b)), li, slen, si, ll = label_len(), i;

	if (n < 5)
		return;
	li = b[2] & 0x3f;
	if (li == 0) {
		aligned = 1; /* a FISU: its MTP2 is in service */
		return;
	}
	if (li <= 2)
		return; /* LSSU */
	their_fsn = b[1] & 0x7f;
	their_fib = b[1] >> 7;
	sio = b[3];
	sif = b + 4;
	slen = n - 4 - 2;
	si = sio & 0x0f;
	if ((si == 1 || si == 2) && slen > ll + 1 && sif[ll] == 0x11) {
		/* SLTM: answer SLTA with its test pattern */
		reply_label(sif, out);
		memcpy(out + ll, sif + ll, (size_t)(slen - ll));
		out[ll] = 0x21;
		msu_send(sio, out, slen);
		if (!sent_tra) {
			/* libss7 counts the link usable once it answered our SLTM */
			reply_label(sif, out);
			out[ll] = 0x11;
			out[ll + 1] = 4 << 4;
			memcpy(out + ll + 2, "\x01\x02\x03\x04", 4);
			msu_send(sio, out, ll + 6);
			reply_label(sif, out);
			out[ll] = 0x17; /* TRA */
			msu_send(sio & 0xf0, out, ll + 1);
			sent_tra = 1;
		}
	} else if (si == 5 && slen > ll) {
		printf("ISUP ");
		for (i = ll; i < slen; i++)
			printf("%02x", sif[i]);
		printf("\n");
		fflush(stdout);
		nisup++;
	}
}

static void msg_cb(struct ss7 *s, char *m)
{
	(void)s;
	(void)m;
}

static void err_cb(struct ss7 *s, char *m)
{
	(void)s;
	fprintf(stderr, "ss7-gen: libss7: %s", m);
}

static int hangup_cb(struct ss7 *s, int cic, unsigned int dpc, int cause, int h)
{
	(void)s, (void)cic, (void)dpc, (void)cause, (void)h;
	return 0;
}

static void call_null_cb(struct ss7 *s, struct isup_call *c, int lock)
{
	(void)s, (void)c, (void)lock;
}

static void nis_cb(struct ss7 *s, int cic, unsigned int dpc)
{
	(void)s, (void)cic, (void)dpc;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	unsigned opc, dpc;
	struct isup_call *c = NULL;
	struct ss7 *ss7;
	long start = now_ms(), up = -1, last_tx = 0, next_step = 0;
	int sv[2], step = 0;

	if (argc != 2 || (strcmp(argv[1], "itu") && strcmp(argv[1], "ansi"))) {
		fprintf(stderr, "usage: ss7-gen itu|ansi\n");
		return 2;
	}
	ansi = !strcmp(argv[1], "ansi");
	opc = ansi ? 0x010203 : 1;
	dpc = ansi ? 0x040506 : 2;
	/* libss7 calls these without checking them */
	ss7_set_message(msg_cb);
	ss7_set_error(err_cb);
	ss7_set_hangup(hangup_cb);
	ss7_set_call_null(call_null_cb);
	ss7_set_notinservice(nis_cb);
	if (socketpair(AF_LOCAL, SOCK_DGRAM, 0, sv)) {
		perror("ss7-gen: socketpair");
		return 1;
	}
	peer_fd = sv[1];
	ss7 = ss7_new(ansi ? SS7_ANSI : SS7_ITU);
	if (!ss7)
		return 1;
	ss7_set_network_ind(ss7, SS7_NI_NAT);
	ss7_set_pc(ss7, opc);
	ss7_add_link(ss7, SS7_TRANSPORT_DAHDIDCHAN, sv[0], 0, dpc);
	ss7_start(ss7);
	while (now_ms() - start < 30000) {
		struct pollfd p[2] = {{sv[0], (short)ss7_pollflags(ss7, sv[0]), 0},
				      {sv[1], POLLIN, 0}};
		ss7_event *e;

		poll(p, 2, 1);
		if (p[0].revents & POLLIN)
			ss7_read(ss7, sv[0]);
		if (p[0].revents & POLLOUT)
			ss7_write(ss7, sv[0]);
		if (p[1].revents & POLLIN)
			peer_rx();
		ss7_schedule_run(ss7);
		if (now_ms() - last_tx >= 5) {
			unsigned char sie = 2;

			/* SIE (emergency alignment) until it is in service, then FISUs */
			if (aligned)
				su_send(NULL, 0);
			else
				su_send(&sie, 1);
			last_tx = now_ms();
		}
		while ((e = ss7_check_event(ss7)))
			if (e->e == SS7_EVENT_UP && up < 0)
				up = now_ms();
		if (up < 0 || now_ms() < up + 2000 || now_ms() < next_step)
			continue;
		next_step = now_ms() + 200;
		switch (step++) {
		case 0:
			c = isup_new_call(ss7, 1, dpc, 1);
			isup_set_called(c, "1234567", SS7_NAI_NATIONAL, ss7);
			isup_set_calling(c, "7654321", SS7_NAI_NATIONAL, SS7_PRESENTATION_ALLOWED,
					 SS7_SCREENING_NETWORK_PROVIDED);
			isup_iam(ss7, c);
			break;
		case 1:
			isup_rel(ss7, c, 16);
			break;
		case 2:
			isup_grs(ss7, isup_new_call(ss7, 1, dpc, 0), 31);
			break;
		case 3:
			isup_ucic(ss7, 5, dpc);
			break;
		default:
			if (nisup >= 4)
				return 0;
		}
	}
	fprintf(stderr, "ss7-gen: timeout (link %s, %d ISUP messages)\n", up < 0 ? "down" : "up",
		nisup);
	return 1;
}
