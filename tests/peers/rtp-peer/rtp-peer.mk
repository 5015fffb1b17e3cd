# A small RTP endpoint (own packet code; spandsp for G.711 and DTMF).
PEER_BIN += $(BUILD)/peers/rtp-peer
$(BUILD)/peers/rtp-peer: tests/peers/rtp-peer/rtp_peer.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -o $@ $< $(shell pkg-config --cflags --libs spandsp) -lm
