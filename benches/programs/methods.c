/* 50M method calls on a user box counter: the C baseline for methods.nyash. The "box" is a
 * struct and its methods are functions taking it by pointer (the compiler may inline
 * them: that is the physical limit the Nyash backends are measured against). */
#include <stdio.h>

typedef struct {
    long count;
    long sum;
} Counter;

static void counter_add(Counter *c, long x) {
    c->count = c->count + 1;
    c->sum = c->sum + x;
    if (c->sum > 1000000000) {
        c->sum = c->sum - 1000000000;
    }
}

static long counter_count(Counter *c) {
    return c->count;
}

int main(void) {
    volatile long calls = 25000000;
    long n = calls;
    Counter c = {0, 0};
    long i = 0;
    while (i < n) {
        counter_add(&c, i);
        if (counter_count(&c) < 0) {
            break;
        }
        i = i + 1;
    }
    printf("%ld %ld\n", c.count, c.sum);
    return 0;
}
