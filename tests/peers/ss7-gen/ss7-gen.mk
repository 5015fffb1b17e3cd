# libss7 as an independent ISUP encoder: it sends a fixed set of ISUP
# messages on a link whose far end this program plays, and prints them.
PEER_BIN += $(BUILD)/peers/ss7-gen
$(BUILD)/peers/ss7-gen: tests/peers/ss7-gen/ss7_gen.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -o $@ $< -lss7
