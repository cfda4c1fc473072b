/* The C side of the cgo benchmarks: the same functions as coffi's
 * tests/c/bench.c, tests/c/seed.c and tests/c/blocking.c, plus C loops that give the floor (a
 * direct C-to-C call) inside the Go process. */
#ifndef COFFI_CGO_BENCH_H
#define COFFI_CGO_BENCH_H

void empty(void);
int add(int a, int b);
int call_empty_cb(void);
int returnAfterGrow(void);
int slow_sleep_ms(int ms);
void loop_empty(long n);
int loop_add(long n);

#endif
