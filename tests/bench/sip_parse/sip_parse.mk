BENCH_LIBS_bench_sip_parse := -losip2 -losipparser2
