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

decls_version decls_version_info(void) {
    decls_version v = {2, 7, 1};
    return v;
}

decls_pair decls_pair_make(int first) {
    decls_pair p = {first, 2L * first};
    return p;
}

decls_outside decls_outside_make(int a) {
    decls_outside o = {a, -a};
    return o;
}

/* Structs by value without a header: the shims declare these prototypes
   from the Rust structs (src/ffi/decls.rs); `struct Vec2` comes from
   coffi_export.h, which defines it for the callback `decls_rotate`. */
struct Segment {
    struct Vec2 ends[2];
    int id;
};

struct Sample {
    unsigned char tag;
    long long value;
    unsigned char bytes[3];
};

struct Vec2 vec2_add(struct Vec2 a, struct Vec2 b) {
    struct Vec2 r = {a.x + b.x, a.y + b.y};
    return r;
}

double segment_length2(struct Segment s) {
    double dx = s.ends[1].x - s.ends[0].x, dy = s.ends[1].y - s.ends[0].y;
    return dx * dx + dy * dy + s.id;
}

struct Segment segment_shift(struct Segment s, struct Vec2 by) {
    for (int i = 0; i < 2; i++)
        s.ends[i] = vec2_add(s.ends[i], by);
    s.id += 1;
    return s;
}

struct Sample sample_next(struct Sample s) {
    s.tag += 1;
    s.value *= -2;
    for (int i = 0; i < 3; i++)
        s.bytes[i] = (unsigned char)(s.bytes[i] + i + 1);
    return s;
}

/* Returns the callback's struct, with a C frame live across it. */
struct Vec2 vec2_rotate_via_callback(struct Vec2 p) {
    struct Vec2 r = decls_rotate(p);
    r.x += 0.5;
    return r;
}
