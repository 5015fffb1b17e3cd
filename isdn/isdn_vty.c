/* VTY of the PRI spans: "show pri spans", "pri restart", "pri test-call". */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "isdn/isdn_pri.h"

static void show_one(struct isdn_span *s, void *priv)
{
	struct vty *vty = priv;
	struct isdn_span_info si;
	unsigned n[_NUM_ISDN_CH] = {0};
	char map[ISDN_MAX_CHAN + 1];

	if (isdn_span_info(s, &si) < 0)
		return;
	for (unsigned i = 0; i < ISDN_MAX_CHAN; i++) {
		n[si.ch[i]]++;
		map[i] = si.ch[i] == ISDN_CH_IDLE	  ? '.'
			 : si.ch[i] == ISDN_CH_BUSY	  ? 'B'
			 : si.ch[i] == ISDN_CH_RESTARTING ? 'R'
			 : si.ch[i] == ISDN_CH_OOS	  ? 'O'
							  : '-';
	}
	map[ISDN_MAX_CHAN] = 0;
	vty_out(vty,
		"span %u: %s PRI, %s side, %s; D channel TS%u: Q.921 %s (up %" PRIu64
		" times, down %" PRIu64 " times)%s",
		si.id, si.t1 ? "T1" : "E1", si.network ? "network" : "user",
		isdn_switch_name(si.sw), si.dchan_ts, si.up ? "up" : "down", si.up_count,
		si.down_count, VTY_NEWLINE);
	vty_out(vty, "  channels: idle %u busy %u restarting %u out of service %u  [%s]%s",
		n[ISDN_CH_IDLE], n[ISDN_CH_BUSY], n[ISDN_CH_RESTARTING], n[ISDN_CH_OOS], map + 1,
		VTY_NEWLINE);
	vty_out(vty,
		"  frames rx %" PRIu64 " tx %" PRIu64 "; calls in %" PRIu64 " out %" PRIu64
		" glare %" PRIu64 "; RESTART sent %" PRIu64 " acknowledged %" PRIu64
		" received %" PRIu64 "%s",
		si.rx_frames, si.tx_frames, si.calls_in, si.calls_out, si.glares, si.restarts_sent,
		si.restart_acks, si.restarts_rcvd, VTY_NEWLINE);
	if (si.service_msgs)
		vty_out(vty,
			"  SERVICE sent %" PRIu64 " acknowledged %" PRIu64 " received %" PRIu64
			"%s",
			si.services_sent, si.service_acks, si.services_rcvd, VTY_NEWLINE);
}

DEFUN(show_pri_spans, show_pri_spans_cmd, "show pri spans",
      SHOW_STR "ISDN primary rate\nSpans with a D channel: Q.921 state, B channels\n")
{
	isdn_span_foreach(show_one, vty);
	return CMD_SUCCESS;
}

static struct isdn_span *span_arg(struct vty *vty, const char *arg)
{
	struct isdn_span *s = isdn_span_find((unsigned)atoi(arg));

	if (!s)
		vty_out(vty, "%% no PRI span %s%s", arg, VTY_NEWLINE);
	return s;
}

static int restart(struct vty *vty, const char *span, unsigned ch)
{
	struct isdn_span *s = span_arg(vty, span);
	int rc;

	if (!s)
		return CMD_WARNING;
	rc = isdn_span_restart(s, ch);
	if (rc == -ENOTCONN)
		vty_out(vty, "%% span %s: D channel down%s", span, VTY_NEWLINE);
	else if (rc == -EINVAL)
		vty_out(vty, "%% span %s: channel %u is no B channel%s", span, ch, VTY_NEWLINE);
	else if (rc < 0)
		vty_out(vty, "%% span %s: RESTART failed%s", span, VTY_NEWLINE);
	return rc < 0 ? CMD_WARNING : CMD_SUCCESS;
}

DEFUN(pri_restart_span, pri_restart_span_cmd, "pri restart span <0-1023>",
      "ISDN primary rate\nRESTART (Q.931 5.5): every B channel of the span, one by one\n"
      "A span\nSpan number\n")
{
	return restart(vty, argv[0], 0);
}

DEFUN(pri_restart_chan, pri_restart_chan_cmd, "pri restart span <0-1023> channel <1-31>",
      "ISDN primary rate\nRESTART (Q.931 5.5)\nA span\nSpan number\nOne B channel (its call "
      "is cleared)\nChannel (= timeslot)\n")
{
	return restart(vty, argv[0], (unsigned)atoi(argv[1]));
}

/* SERVICE (maintenance, NI-2 / 4ESS / 5ESS): a B channel in or out of
 * service toward the far end. */
DEFUN(pri_service, pri_service_cmd,
      "pri service span <0-1023> channel <1-31> (in-service|maintenance|out-of-service)",
      "ISDN primary rate\nSERVICE message (maintenance; NI-2, 4ESS, 5ESS)\nA span\nSpan number\n"
      "B channel\nChannel (= timeslot)\nIn service\nMaintenance\nOut of service\n")
{
	struct isdn_span *s = span_arg(vty, argv[0]);
	unsigned st = argv[2][0] == 'i' ? 0 : argv[2][0] == 'm' ? 1 : 2;
	int rc;

	if (!s)
		return CMD_WARNING;
	rc = isdn_span_service(s, (unsigned)atoi(argv[1]), st);
	if (rc == -ENOTSUP)
		vty_out(vty, "%% span %s: its switch type has no SERVICE messages%s", argv[0],
			VTY_NEWLINE);
	else if (rc == -ENOTCONN)
		vty_out(vty, "%% span %s: D channel down%s", argv[0], VTY_NEWLINE);
	else if (rc == -EINVAL)
		vty_out(vty, "%% span %s: channel %s is no B channel%s", argv[0], argv[1],
			VTY_NEWLINE);
	else if (rc < 0)
		vty_out(vty, "%% span %s: SERVICE failed%s", argv[0], VTY_NEWLINE);
	return rc < 0 ? CMD_WARNING : CMD_SUCCESS;
}

/* A maintenance call toward the far end without a SIP side: SETUP with
 * the numbers; the far end answers or refuses and clears it, the log
 * and "show pri spans" show the outcome. */
DEFUN(pri_test_call, pri_test_call_cmd, "pri test-call span <0-1023> called NUMBER calling NUMBER",
      "ISDN primary rate\nPlace a SETUP with no SIP leg (maintenance)\nA span\nSpan number\n"
      "Called number\nDigits\nCalling number\nDigits\n")
{
	struct isdn_span *s = span_arg(vty, argv[0]);
	uint8_t cause = 0;
	struct isdn_call *c;

	if (!s)
		return CMD_WARNING;
	c = isdn_call_place(s, 0, argv[1], 0x21 /* national, E.164 */, argv[2], 0x21, 0, &cause);
	if (!c) {
		vty_out(vty, "%% span %s: no SETUP, cause %u%s", argv[0], cause, VTY_NEWLINE);
		return CMD_WARNING;
	}
	vty_out(vty, "SETUP sent on span %s channel %u%s", argv[0], isdn_call_channel(c),
		VTY_NEWLINE);
	return CMD_SUCCESS;
}

/* Clear the call on a B channel (maintenance): DISCONNECT with the cause
 * toward the span, and the call's owner (the SIP side) is released with
 * the same cause. */
DEFUN(pri_release, pri_release_cmd, "pri release span <0-1023> channel <1-31> cause <1-127>",
      "ISDN primary rate\nClear the call on a B channel (DISCONNECT)\nA span\nSpan number\n"
      "B channel\nChannel (= timeslot)\nQ.850 cause\nCause value\n")
{
	struct isdn_span *s = span_arg(vty, argv[0]);
	struct isdn_call *c;

	if (!s)
		return CMD_WARNING;
	c = isdn_span_call(s, (unsigned)atoi(argv[1]));
	if (!c) {
		vty_out(vty, "%% span %s channel %s: no call%s", argv[0], argv[1], VTY_NEWLINE);
		return CMD_WARNING;
	}
	isdn_call_clear(c, (uint8_t)atoi(argv[2]));
	return CMD_SUCCESS;
}

void isdn_vty_init(void)
{
	osmo_tdefs_reset(isdn_tdefs); /* "timer pri T302 N" changes it */
	install_element_ve(&show_pri_spans_cmd);
	install_element(ENABLE_NODE, &pri_restart_span_cmd);
	install_element(ENABLE_NODE, &pri_restart_chan_cmd);
	install_element(ENABLE_NODE, &pri_test_call_cmd);
	install_element(ENABLE_NODE, &pri_release_cmd);
	install_element(ENABLE_NODE, &pri_service_cmd);
}
