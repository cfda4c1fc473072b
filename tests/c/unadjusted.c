/* Hand-written copies of the generated shims of returnAfterGrow and
 * returnAfterGrowFromGo WITHOUT the stack-top delta: they store the
 * result through the frame pointer they were given. Strict mode must kill a
 * process that uses them while the stack moves. */
#include <stdint.h>

struct int_frame {
    int r;
};

int returnAfterGrow(void);
int returnAfterGrowFromGo(void);

void unadjusted_returnAfterGrow(void *a, const volatile uintptr_t *top) {
    (void)top;
    struct int_frame *f = a;
    int r = returnAfterGrow();
    f->r = r;
}

void unadjusted_returnAfterGrowFromGo(void *a, const volatile uintptr_t *top) {
    (void)top;
    struct int_frame *f = a;
    int r = returnAfterGrowFromGo();
    f->r = r;
}
