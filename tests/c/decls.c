#include <stdlib.h>
#include "decls.h"
#include "coffi_export.h"

struct tally {
    long value;
};

tally *tally_new(long start) {
    tally *t = malloc(sizeof *t);
    if (t)
        t->value = start;
    return t;
}

long tally_add(tally *t, long by) {
    t->value += by;
    return t->value;
}

void tally_free(tally *t) {
    free(t);
}

enum shade shade_of(int x) {
    return x > 100 ? SHADE_DARK : SHADE_LIGHT;
}

int tally_visit(const tally *t, tally_visitor visit, void *data) {
    if (!visit)
        return -1;
    return visit(data, t->value);
}

/* Calls the exported callback through the prototype coffi_export.h spells
   from the Rust aliases (`long decls_scale(long, unsigned int)`). */
long tally_scaled(const tally *t) {
    return decls_scale(t->value, 3u);
}

/* Two Rust declarations of `decls_word` exist, under cfgs that exclude
   each other and that the build script evaluates: one shim. */
long decls_word(void) {
    return 0x1234567890L;
}

/* Two Rust declarations of `decls_long` exist, under cfgs that exclude
   each other and that the build script cannot evaluate: both shims are
   compiled (the second under another C name bound to this symbol), and the
   Rust side calls the one its cfg keeps. */
long decls_long(void) {
    return -0x1234567890L;
}
