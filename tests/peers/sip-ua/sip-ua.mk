# A small SIP UA on tandem's sip/ layer, for the sipp integration tests.
PEER_BIN += $(BUILD)/peers/sip-ua
$(BUILD)/peers/sip-ua: tests/peers/sip-ua/sip_ua_peer.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) $(CPPFLAGS_ALL) -o $@ $< $(LIB_OBJ) $(PKG_LIBS)
