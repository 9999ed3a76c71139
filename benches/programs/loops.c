/* Integer loop with arithmetic and `%` branches: the C baseline for loops.nyash.
 * 30M iterations; the accumulator is folded back below 10^9 so every language (LuaJIT's
 * doubles included) computes it exactly. `volatile` keeps the trip count opaque. */
#include <stdio.h>

int main(void) {
    volatile long limit = 30000000;
    long n = limit;
    long acc = 0;
    long i = 0;
    while (i < n) {
        long r = i % 7;
        if (r == 0) {
            acc = acc + i / 7;
        } else if (r < 3) {
            acc = acc + i * 3;
        } else {
            acc = acc + (i % 13) * r;
        }
        if (acc > 1000000000) {
            acc = acc % 1000003;
        }
        i = i + 1;
    }
    printf("%ld\n", acc);
    return 0;
}
