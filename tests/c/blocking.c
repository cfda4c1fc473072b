/* Blocking foreign calls: C that sleeps, and C that calls back while it
 * runs on one of the runtime's helper threads. */
#include <pthread.h>
#include <stdint.h>
#include <unistd.h>

int slow_sleep_ms(int ms) {
    usleep((useconds_t)ms * 1000u);
    return ms;
}

long call_home(int n, int (*cb)(int), uint64_t *c_thread) {
    long sum = 0;
    *c_thread = (uint64_t)pthread_self();
    for (int i = 0; i < n; i++) {
        sum += cb(i);
    }
    return sum;
}

int exec_rows(int n, int (*row)(int), int *answers) {
    /* Like sqlite3_exec: the first non-zero answer aborts the loop. */
    for (int i = 0; i < n; i++) {
        answers[i] = row(i);
        if (answers[i] != 0) {
            return answers[i];
        }
    }
    return 0;
}

void all_rows(int n, int (*row)(int), int *answers) {
    for (int i = 0; i < n; i++) {
        answers[i] = row(i);
    }
}
