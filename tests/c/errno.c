#include <errno.h>

int fails_with_erange(int x) {
    errno = ERANGE;
    return x * 2;
}

int succeeds_quietly(int x) {
    return x + 1;
}

void void_sets_enoent(void) {
    errno = ENOENT;
}
