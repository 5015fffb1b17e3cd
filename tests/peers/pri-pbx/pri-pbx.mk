# ISDN PRI PBX / carrier emulator on a CESoPSN pseudowire: libpri in the
# role opposite to tandem's, spandsp HDLC on the D channel timeslot.
# Without libpri-dev it is not built (the PRI tests SKIP with the reason).
ifneq ($(wildcard /usr/include/libpri.h),)
PEER_BIN += $(BUILD)/peers/pri-pbx
endif
$(BUILD)/peers/pri-pbx: tests/peers/pri-pbx/pri_pbx.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -o $@ $< $(shell pkg-config --cflags --libs spandsp) -lpri -lm
