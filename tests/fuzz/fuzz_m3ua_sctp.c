/* Fuzz what kernel SCTP hands M3UA (sigtran/m3ua_sctp): control data as a
 * peer's association could make the kernel fill it (cut or lying cmsg
 * lengths), and the received-record check: never crash, never over-read.
 * The first byte picks the record's flags and PPID. */
#include <netinet/sctp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sigtran/m3ua_sctp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *control;
	uint16_t stream;
	uint32_t ppid;

	if (size < 1)
		return 0;
	/* a control buffer of exactly the received length (malloc aligns it for
	 * struct cmsghdr), so that reading past it is caught */
	control = malloc(size - 1 ? size - 1 : 1);
	if (!control)
		return 0;
	memcpy(control, data + 1, size - 1);
	(void)m3ua_sctp_cmsg_parse(control, size - 1, &stream, &ppid);
	free(control);
	(void)m3ua_sctp_rx_check(data + 1, size - 1,
				 (data[0] & 1 ? MSG_EOR : 0) | (data[0] & 2 ? MSG_NOTIFICATION : 0),
				 data[0] >> 4);
	return 0;
}
