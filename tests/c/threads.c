/* A thread created by C calls a Rust callback. */
#include <pthread.h>
#include <stdint.h>
#include "coffi_export.h"

struct job {
    int in;
    int out;
};

static void *worker(void *arg) {
    struct job *job = arg;
    job->out = thread_cb(job->in);
    return 0;
}

int call_back_on_new_thread(int x) {
    pthread_t thread;
    struct job job = { x, -1 };
    if (pthread_create(&thread, 0, worker, &job) != 0)
        return -2;
    pthread_join(thread, 0);
    return job.out;
}
