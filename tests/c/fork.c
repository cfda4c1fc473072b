/* fork inside C under a foreign call: the child writes the caller's buffer
 * (a coroutine local) and exits; the parent returns the child's exit code. */
#include <stddef.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "coffi_export.h"

int fork_and_scribble(unsigned char *buf, size_t len) {
    /* Move the stack first when called from a small coroutine. */
    int moved = fork_prelude_cb();
    pid_t pid = fork();
    if (pid < 0) {
        return -1;
    }
    if (pid == 0) {
        memset(buf, 0, len);
        _exit(buf[len - 1] == 0 && moved == 1 ? 7 : 1);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
        return -2;
    }
    return WEXITSTATUS(status);
}
