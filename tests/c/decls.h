/* Declarations as a C library writes them: an enum type without a typedef,
   an opaque handle, a callback type. The Rust side (src/ffi/decls.rs)
   names them through `type` aliases, as bindgen does. */
#ifndef COFFI_TESTS_DECLS_H
#define COFFI_TESTS_DECLS_H

enum shade { SHADE_LIGHT = 1, SHADE_DARK = 7 };

typedef struct tally tally;
typedef int (*tally_visitor)(void *data, long value);

tally *tally_new(long start);
long tally_add(tally *t, long by);
void tally_free(tally *t);
enum shade shade_of(int x);
int tally_visit(const tally *t, tally_visitor visit, void *data);
long tally_scaled(const tally *t);

/* A struct by value through the header's typedef (like expat's
   XML_ExpatVersionInfo). */
typedef struct {
    int major;
    int minor;
    int micro;
} decls_version;
decls_version decls_version_info(void);

/* The Rust side declares this struct with its fields in the other order
   (the same size and alignment): the run-time layout check must catch it. */
typedef struct {
    int first;
    long second;
} decls_pair;
decls_pair decls_pair_make(int first);

/* A struct the Rust side defines outside the bridged files (src/lib.rs):
   the build script cannot see its fields, so the run-time check compares
   sizes only. */
typedef struct {
    int a;
    int b;
} decls_outside;
decls_outside decls_outside_make(int a);

#endif
