/* 200x200 float matrix multiply, 8 times: the C baseline for matmul.nyash.
 * Row-major flat arrays as in the Nyash version (one ArrayBox of 40000 Floats per matrix);
 * the same multiply order, so the checksum is bit-identical (no -ffast-math, no FMA). One
 * element of A changes between repetitions, so no repetition can be skipped. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    volatile long size = 200;
    long n = size;
    double *a = malloc(sizeof(double) * n * n);
    double *b = malloc(sizeof(double) * n * n);
    double *c = malloc(sizeof(double) * n * n);
    for (long i = 0; i < n; i++) {
        for (long j = 0; j < n; j++) {
            a[i * n + j] = (double)((i * 31 + j * 17) % 100) / 10.0;
            b[i * n + j] = (double)((i * 7 + j * 13) % 50) / 25.0;
        }
    }
    double checksum = 0.0;
    for (long rep = 0; rep < 8; rep++) {
        for (long i = 0; i < n; i++) {
            for (long j = 0; j < n; j++) {
                double s = 0.0;
                for (long k = 0; k < n; k++) {
                    s = s + a[i * n + k] * b[k * n + j];
                }
                c[i * n + j] = s;
            }
        }
        for (long i = 0; i < n * n; i++) {
            checksum = checksum + c[i];
        }
        a[(rep * 7919) % (n * n)] = (double)rep * 0.5;
    }
    printf("%ld\n", (long)floor(checksum * 1000.0));
    free(a);
    free(b);
    free(c);
    return 0;
}
