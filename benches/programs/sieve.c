/* Sieve of Eratosthenes up to 8M, twice: the C baseline for sieve.nyash (a byte array where
 * the Nyash version uses an ArrayBox of Bools). Prints the prime count of each pass. */
#include <stdio.h>
#include <stdlib.h>

static long sieve(long n) {
    unsigned char *flags = malloc(n + 1);
    for (long i = 0; i <= n; i++) {
        flags[i] = 1;
    }
    flags[0] = 0;
    flags[1] = 0;
    long i = 2;
    while (i * i <= n) {
        if (flags[i]) {
            long j = i * i;
            while (j <= n) {
                flags[j] = 0;
                j = j + i;
            }
        }
        i = i + 1;
    }
    long count = 0;
    for (long k = 0; k <= n; k++) {
        if (flags[k]) {
            count = count + 1;
        }
    }
    free(flags);
    return count;
}

int main(void) {
    volatile long limit = 8000000;
    long total = 0;
    for (int pass = 0; pass < 2; pass++) {
        total = total + sieve(limit - pass);
    }
    printf("%ld\n", total);
    return 0;
}
