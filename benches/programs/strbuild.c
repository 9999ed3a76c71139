/* Building a long string from 1M small pieces: the C baseline for strbuild.nyash.
 * Each of 5000 lines is built from 200 pieces ("<i % 1000>;" with i counting all pieces),
 * and the lines are joined into one string of about 4 MB. C appends into growable buffers
 * (amortized doubling), the physical limit for this job. Prints the total length and a few
 * probes of the result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *data;
    size_t len, cap;
} Buf;

static void append(Buf *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (b->len + n + 1 > cap) {
            cap *= 2;
        }
        b->data = realloc(b->data, cap);
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = 0;
}

int main(void) {
    volatile long lines = 5000;
    long pieces_per_line = 200;
    Buf all = {0};
    long i = 0;
    for (long l = 0; l < lines; l++) {
        Buf line = {0};
        for (long p = 0; p < pieces_per_line; p++) {
            char piece[32];
            int n = snprintf(piece, sizeof piece, "%ld;", i % 1000);
            append(&line, piece, (size_t)n);
            i++;
        }
        append(&all, line.data, line.len);
        free(line.data);
    }
    printf("%zu\n", all.len);
    for (long k = 0; k < 5; k++) {
        size_t at = (size_t)(k * 777777) % all.len;
        printf("%.12s\n", all.data + at);
    }
    free(all.data);
    return 0;
}
