#include <stdlib.h>
#include "counter.h"

struct counter {
    counter_value value;
};

counter *counter_new(counter_value start) {
    counter *c = malloc(sizeof *c);
    if (c)
        c->value = start;
    return c;
}

counter_value counter_add(counter *c, counter_value by) {
    c->value += by;
    return c->value;
}

void counter_free(counter *c) {
    free(c);
}
