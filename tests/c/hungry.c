/* Stack-hungry C: a 64 KiB scratch buffer plus libc's long double
 * formatting. From a 16 KiB coroutine stack it only works through coffi. */
#include <stdio.h>
#include <string.h>
#include <stddef.h>

int render_report(char *out, size_t len, double x) {
    char scratch[64 * 1024];
    int n = snprintf(scratch, sizeof scratch, "%.3Lf|%.3Lf|%.3Lf|%.3Lf",
                     (long double)x, (long double)x * 2, (long double)x * 3,
                     (long double)x * 4);
    if (n < 0 || (size_t)n >= len)
        return -1;
    memcpy(out, scratch, (size_t)n + 1);
    return n;
}
