/* Functions the benchmarks call. */
#include "coffi_export.h"

void empty(void) {}

int add(int a, int b) {
    return a + b;
}

int call_empty_cb(void) {
    return empty_cb();
}
