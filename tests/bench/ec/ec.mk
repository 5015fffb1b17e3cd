BENCH_LIBS_bench_ec := -lspeexdsp
