/* Definitions for mini.h. It never names a Rust callback: callbacks reach
 * it as function pointers, so each `pass/` binary links on its own. */
#include "mini.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct mini_counter {
    int value;
};

int mini_add(int a, int b) { return a + b; }

long mini_sum(const int *values, mini_len n) {
    long sum = 0;
    for (mini_len i = 0; i < n; i++) sum += values[i];
    return sum;
}

int mini_count(char *const *argv) {
    int n = 0;
    while (argv[n] != NULL) n++;
    return n;
}

bool mini_is_vowel(char c) { return c != 0 && strchr("aeiouAEIOU", c) != NULL; }

int mini_apply(int (*f)(int), int x) { return f ? f(x) : -1; }

int mini_call_twice(int (*f)(int), int x) { return f(f(x)); }

int mini_apply_picked(int (*(*pick)(void))(int), int x) {
    int (*f)(int) = pick();
    return f ? f(x) : -1;
}

void mini_set_errno(int e) { errno = e; }

mini_len mini_with_flags(mini_len n, mini_flags flags) { return n | (mini_len)flags; }

mini_counter *mini_counter_new(int start) {
    mini_counter *c = malloc(sizeof *c);
    if (c) c->value = start;
    return c;
}

int mini_counter_bump(mini_counter *c) { return ++c->value; }

void mini_counter_free(mini_counter *c) { free(c); }

int match(const char *a, const char *b) { return strcmp(a, b) == 0; }

/* pass/structs_by_value.rs: a struct by value, both ways. */
struct mini_pair {
    int a;
    double b;
};

struct mini_pair mini_swap(struct mini_pair p) {
    struct mini_pair r = {-p.a, p.b + 1.0};
    return r;
}
