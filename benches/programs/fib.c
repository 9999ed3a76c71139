/* fib(35) by naive double recursion: the C baseline for benches/programs/fib.nyash.
 * Prints 9227465. `volatile` keeps the argument from being constant-folded, so the
 * compiler must really run the recursion (as the Nyash program does). */
#include <stdio.h>

static long fib(long n) {
    if (n < 2) {
        return n;
    }
    return fib(n - 1) + fib(n - 2);
}

int main(void) {
    volatile long n = 35;
    printf("%ld\n", fib(n));
    return 0;
}
