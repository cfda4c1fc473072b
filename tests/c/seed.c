/* The seed scenarios (after Go's issue 8771): C calls a Rust callback that
 * needs more stack than the coroutine has, so the coroutine stack moves while
 * C holds the return slot of the foreign call. */
#include "coffi_export.h"

int returnAfterGrow(void) {
    int sum = goReturnVal();
    return sum == 8256 ? 123456 : -sum;
}

int returnAfterGrowFromGo(void) {
    return goReturnVal();
}
