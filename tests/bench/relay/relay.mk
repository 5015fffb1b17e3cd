# The RTP relay load generator for tests/bench/relay.sh (tandem in-process
# or a relay running elsewhere, such as rtpengine). Not named bench_* so
# that tests/bench.sh does not run it bare.
BENCH_EXTRA += $(BUILD)/bench/relay-load
$(BUILD)/bench/relay-load: tests/bench/relay/relay_load.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) $(CPPFLAGS_ALL) -o $@ $< $(LIB_OBJ) $(PKG_LIBS)
