/* A struct-pointer API, used through #[foreign_call(header = "c/counter.h")]. */
#ifndef COFFI_TESTS_COUNTER_H
#define COFFI_TESTS_COUNTER_H

typedef struct counter counter;
typedef long counter_value;

counter *counter_new(counter_value start);
counter_value counter_add(counter *c, counter_value by);
void counter_free(counter *c);

#endif
