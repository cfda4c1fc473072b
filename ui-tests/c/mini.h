/* A small C library for the `pass/` cases of coffi's UI suite. */
#ifndef MINI_H
#define MINI_H

#include <stdbool.h>
#include <stddef.h>

/** A length. */
typedef size_t mini_len;
/** A flag word. */
typedef int mini_flags;
/** An opaque counter. */
typedef struct mini_counter mini_counter;

/** Adds `a` and `b`. */
int mini_add(int a, int b);
/** Sums the `n` values at `values`. */
long mini_sum(const int *values, mini_len n);
/** Counts the strings of `argv` up to its terminating NULL. */
int mini_count(char *const *argv);
/** Whether `c` is an ASCII vowel. */
__attribute__((warn_unused_result)) bool mini_is_vowel(char c);
/** Calls `f(x)`, or returns -1 when `f` is NULL. */
int mini_apply(int (*f)(int), int x);
/** Calls `f(f(x))`. */
int mini_call_twice(int (*f)(int), int x);
/** Calls the function `pick` returns, with `x`. */
int mini_apply_picked(int (*(*pick)(void))(int), int x);
/** Sets errno to `e`. */
void mini_set_errno(int e);
/** `n` with the bits of `flags` set. */
mini_len mini_with_flags(mini_len n, mini_flags flags);
/** A new counter. */
mini_counter *mini_counter_new(int start);
/** Adds one, returns the new value. */
int mini_counter_bump(mini_counter *c);
/** Frees a counter. */
void mini_counter_free(mini_counter *c);
/** Named with a Rust keyword: bindgen calls it `match_`. */
int match(const char *a, const char *b);

#endif
