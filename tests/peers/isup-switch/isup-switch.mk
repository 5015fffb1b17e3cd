# isup-switch: an independent ISUP switch (libss7, ITU and ANSI) behind its own
# small M3UA SG over TCP, for tandem's ISUP tests.
ISW_SRC := $(wildcard tests/peers/isup-switch/*.c)
PEER_BIN += $(BUILD)/peers/isup-switch
$(BUILD)/peers/isup-switch: $(ISW_SRC) tests/peers/isup-switch/isw.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -o $@ $(ISW_SRC) -lss7
