# E1/T1 span emulator on a CESoPSN pseudowire (its own packet code; spandsp
# for DTMF and G.711).
PEER_BIN += $(BUILD)/peers/e1-emu
$(BUILD)/peers/e1-emu: tests/peers/e1-emu/e1_emu.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -o $@ $< $(shell pkg-config --cflags --libs spandsp) -lm
