/* Rust -> C -> Rust -> C -> ... : each C level calls back into Rust. */
#include "coffi_export.h"

int nest_c(int level) {
    int inner = nest_rust(level);
    return inner * 2 + level;
}

int add_ints(int a, int b) {
    return a + b;
}

int call_panicky(int x) {
    int r = panicky_cb(x);
    return r + 1;
}

int call_backtrace_cb(void) {
    return backtrace_cb();
}
