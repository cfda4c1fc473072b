/* C functions of the cgo benchmarks (see bench.h). The callbacks `empty_cb`
 * and `goReturnVal` are Go functions exported in callbacks.go. */
#include "bench.h"
#include "_cgo_export.h"
#include <unistd.h>

void empty(void) {}

int add(int a, int b) {
    return a + b;
}

int call_empty_cb(void) {
    return empty_cb();
}

int returnAfterGrow(void) {
    int sum = goReturnVal();
    return sum == 8256 ? 123456 : -sum;
}

int slow_sleep_ms(int ms) {
    usleep((useconds_t)ms * 1000u);
    return ms;
}

/* The floor: `n` direct calls through volatile function pointers, so the
 * compiler can neither inline nor drop them. */
static void (*volatile empty_ptr)(void) = empty;
static int (*volatile add_ptr)(int, int) = add;

void loop_empty(long n) {
    for (long i = 0; i < n; i++) {
        empty_ptr();
    }
}

int loop_add(long n) {
    int acc = 0;
    for (long i = 0; i < n; i++) {
        acc = add_ptr(acc, 1);
    }
    return acc;
}
