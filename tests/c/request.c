/* The line protocol of request.h. No allocation, no global state: every
 * reply is formatted in a small buffer on the C stack and handed to the
 * callback. */
#include "request.h"

#include <string.h>

/* Parses a signed decimal of at most 15 digits at s[*at..len), then skips
 * spaces. Returns 0 on success. */
static int parse_num(const char *s, size_t len, size_t *at, long long *out) {
    size_t i = *at;
    int negative = 0;
    if (i < len && (s[i] == '-' || s[i] == '+')) {
        negative = s[i] == '-';
        i++;
    }
    size_t digits = 0;
    long long value = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9') {
        if (++digits > 15) {
            return -1;
        }
        value = value * 10 + (s[i] - '0');
        i++;
    }
    if (digits == 0) {
        return -1;
    }
    while (i < len && s[i] == ' ') {
        i++;
    }
    *at = i;
    *out = negative ? -value : value;
    return 0;
}

/* Writes v in decimal at the start of out (room for 21 bytes); returns the
 * length. */
static size_t format_num(long long v, char *out) {
    char digits[20];
    size_t n = 0;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        digits[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    size_t len = 0;
    if (v < 0) {
        out[len++] = '-';
    }
    while (n > 0) {
        out[len++] = digits[--n];
    }
    return len;
}

static uint32_t fnv1a(const char *s, size_t len) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

static int starts_with(const char *line, size_t len, const char *word) {
    size_t n = strlen(word);
    return len >= n && memcmp(line, word, n) == 0;
}

/* Handles one line (without '\n' or '\r'). */
static int handle_line(const char *line, size_t len, uintptr_t user) {
    char out[32];
    if (starts_with(line, len, "ADD ")) {
        size_t at = 4;
        long long a, b;
        if (parse_num(line, len, &at, &a) != 0 || parse_num(line, len, &at, &b) != 0 || at != len) {
            static const char bad[] = "ERR ADD takes two numbers";
            return request_reply(user, bad, sizeof bad - 1);
        }
        return request_reply(user, out, format_num(a + b, out));
    }
    if (starts_with(line, len, "ECHO ")) {
        return request_reply(user, line + 5, len - 5);
    }
    if (starts_with(line, len, "SUM ")) {
        static const char hex[] = "0123456789abcdef";
        uint32_t h = fnv1a(line + 4, len - 4);
        for (int i = 7; i >= 0; i--) {
            out[i] = hex[h & 0xf];
            h >>= 4;
        }
        return request_reply(user, out, 8);
    }
    static const char unknown[] = "ERR unknown command";
    return request_reply(user, unknown, sizeof unknown - 1);
}

long request_handle(const char *buf, size_t len, uintptr_t user) {
    size_t start = 0;
    for (;;) {
        const char *nl = memchr(buf + start, '\n', len - start);
        if (nl == NULL) {
            return (long)start;
        }
        size_t end = (size_t)(nl - buf);
        size_t line_len = end - start;
        if (line_len > 0 && buf[end - 1] == '\r') {
            line_len--;
        }
        if (handle_line(buf + start, line_len, user) != 0) {
            return -1;
        }
        start = end + 1;
    }
}
