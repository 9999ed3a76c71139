/* 1M MapBox inserts and lookups with string keys: the C baseline for map.nyash. An
 * open-addressing hash table (FNV-1a, linear probing, power-of-two capacity grown at 50%
 * load) with heap-copied keys "k<i>". Inserts 1M keys, then makes 1M lookups of which half
 * miss. Prints the map size, the sum of found values and the miss count. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *key;
    size_t hash;
    long value;
} Slot;

typedef struct {
    Slot *slots;
    size_t cap, len;
} Map;

static size_t hash(const char *s) {
    size_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    }
    /* FNV's low bits mix poorly and the table indexes by them: fold the high bits in. */
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 32;
    return h;
}

/* The slot holding `key` (hash `h`), or the empty slot where it would go. Hashes are
 * compared first so that a probe past another key rarely touches that key's text. */
static Slot *find(Slot *slots, size_t cap, const char *key, size_t h) {
    size_t i = h & (cap - 1);
    while (slots[i].key && (slots[i].hash != h || strcmp(slots[i].key, key) != 0)) {
        i = (i + 1) & (cap - 1);
    }
    return &slots[i];
}

static void set(Map *m, const char *key, long value) {
    if ((m->len + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        Slot *slots = calloc(cap, sizeof(Slot));
        for (size_t i = 0; i < m->cap; i++) {
            if (m->slots[i].key) {
                *find(slots, cap, m->slots[i].key, m->slots[i].hash) = m->slots[i];
            }
        }
        free(m->slots);
        m->slots = slots;
        m->cap = cap;
    }
    size_t h = hash(key);
    Slot *s = find(m->slots, m->cap, key, h);
    if (!s->key) {
        s->key = strdup(key);
        s->hash = h;
        m->len++;
    }
    s->value = value;
}

static Slot *get(Map *m, const char *key) {
    Slot *s = find(m->slots, m->cap, key, hash(key));
    return s->key ? s : NULL;
}

int main(void) {
    volatile long count = 1000000;
    long n = count;
    Map m = {0};
    char key[32];
    for (long i = 0; i < n; i++) {
        snprintf(key, sizeof key, "k%ld", i);
        set(&m, key, i % 1000);
    }
    long sum = 0, misses = 0;
    for (long i = 0; i < n; i++) {
        snprintf(key, sizeof key, "k%ld", i * 2);
        Slot *s = get(&m, key);
        if (s) {
            sum = sum + s->value;
        } else {
            misses = misses + 1;
        }
    }
    printf("%zu %ld %ld\n", m.len, sum, misses);
    for (size_t i = 0; i < m.cap; i++) {
        free(m.slots[i].key);
    }
    free(m.slots);
    return 0;
}
