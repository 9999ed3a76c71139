/* Text-editing kernel: the C baseline for text.nyash. 2000 lines of text; 500 passes, each
 * editing every line: find "fox" (else "cat") and swap the word by building a new line from
 * the prefix, the replacement and the suffix; every 8th line is also quoted ("> " prepended) or
 * unquoted, alternately. Lines are heap strings replaced on each edit, as an
 * immutable-string language must. Prints the sum of positions and final lengths. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *splice(const char *line, size_t at, size_t cut, const char *with) {
    size_t len = strlen(line), wlen = strlen(with);
    char *out = malloc(len - cut + wlen + 1);
    memcpy(out, line, at);
    memcpy(out + at, with, wlen);
    memcpy(out + at + wlen, line + at + cut, len - at - cut + 1);
    return out;
}

int main(void) {
    volatile long count = 2000;
    long n = count;
    char **lines = malloc(sizeof(char *) * n);
    for (long i = 0; i < n; i++) {
        char buf[128];
        snprintf(buf, sizeof buf, "line %ld: the quick brown fox jumps over the lazy dog %ld",
                 i, i % 97);
        lines[i] = strdup(buf);
    }
    long checksum = 0;
    for (long pass = 0; pass < 500; pass++) {
        for (long i = 0; i < n; i++) {
            char *line = lines[i];
            char *hit = strstr(line, "fox");
            char *next;
            if (hit) {
                checksum = checksum + (hit - line);
                next = splice(line, (size_t)(hit - line), 3, "cat");
            } else {
                hit = strstr(line, "cat");
                checksum = checksum + (hit - line);
                next = splice(line, (size_t)(hit - line), 3, "fox");
            }
            free(line);
            line = next;
            if ((i + pass) % 8 == 0) {
                if ((pass / 8) % 2 == 0) {
                    next = splice(line, 0, 0, "> ");
                } else {
                    next = splice(line, 0, 2, "");
                }
                free(line);
                line = next;
            }
            lines[i] = line;
        }
    }
    for (long i = 0; i < n; i++) {
        checksum = checksum + (long)strlen(lines[i]);
        free(lines[i]);
    }
    free(lines);
    printf("%ld\n", checksum);
    return 0;
}
