/* 10M ArrayBox push/get: the C baseline for array.nyash. A growable array of longs
 * (amortized doubling, like ArrayBox's push), 10M pushes, then a sequential pass and a
 * strided pass of 10M reads each. */
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    volatile long count = 10000000;
    long n = count;
    long cap = 16, len = 0;
    long *a = malloc(sizeof(long) * cap);
    for (long i = 0; i < n; i++) {
        if (len == cap) {
            cap *= 2;
            a = realloc(a, sizeof(long) * cap);
        }
        a[len++] = (i * 7) % 1000003;
    }
    long sum = 0;
    for (long i = 0; i < len; i++) {
        sum = sum + a[i];
    }
    long j = 0;
    for (long i = 0; i < len; i++) {
        sum = sum + a[j];
        j = j + 7919;
        if (j >= len) {
            j = j - len;
        }
    }
    printf("%ld %ld\n", len, sum);
    free(a);
    return 0;
}
