# m3ua-sg: a small scripted M3UA SG over TCP (several ASPs, RKM accept or
# refuse, SSNM on command) for tandem's M3UA procedure tests.
PEER_BIN += $(BUILD)/peers/m3ua-sg
$(BUILD)/peers/m3ua-sg: tests/peers/m3ua-sg/m3ua_sg.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -o $@ $<
