/* Shared helpers for the SMTP session benchmark clients (tests/bench/session_*.c,
 * run by tests/bench/session-bench.sh): the fixed test message, recipient
 * addresses, clocks, CPU time of this process and the one-line result.
 *
 * Every client times the same interval: from its first per-message library call
 * (or the connect) to the end of the session (QUIT answered, connection closed).
 * CPU time is this process's user+sys over that interval (getrusage). */
#ifndef SESSION_COMMON_H
#define SESSION_COMMON_H

#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define BENCH_FROM "bench@example.test"
#define BENCH_SUBJECT "smtpc session benchmark"
#define BENCH_MAX_RCPTS 100

/* About 1.2 KB of plain ASCII text (short lines, no leading dots): with the
 * headers smtpc writes the message is about 1.5 KB. */
static inline const char *bench_body(void) {
    return
        "Hello,\n"
        "\n"
        "this is the fixed text of the smtpc session benchmark. Every client in the\n"
        "benchmark sends exactly these bytes, once per message, over one connection,\n"
        "so that what is compared is the cost of the SMTP session itself: commands,\n"
        "replies, round trips and the work each library does per message.\n"
        "\n"
        "The text is plain ASCII with short lines, so it needs no transfer encoding\n"
        "and no line is dot-stuffed. It is long enough to look like a real short\n"
        "notification mail and short enough to fit into a single TCP segment.\n"
        "\n"
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod\n"
        "tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam,\n"
        "quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo\n"
        "consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse\n"
        "cillum dolore eu fugiat nulla pariatur. Excepteur sint occaecat cupidatat\n"
        "non proident, sunt in culpa qui officia deserunt mollit anim id est laborum.\n"
        "\n"
        "Sed ut perspiciatis unde omnis iste natus error sit voluptatem accusantium\n"
        "doloremque laudantium, totam rem aperiam, eaque ipsa quae ab illo inventore\n"
        "veritatis et quasi architecto beatae vitae dicta sunt explicabo.\n"
        "\n"
        "-- \n"
        "The smtpc benchmark\n";
}

/* Recipient i (0-based) of every message: rcpt01@example.test, ... */
static inline void bench_rcpt(char *buf, size_t size, int i) {
    snprintf(buf, size, "rcpt%02d@example.test", i + 1);
}

static inline double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct bench_clock {
    double wall;
    double user;
    double sys;
};

static inline void bench_clock_read(struct bench_clock *c) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    c->wall = bench_now();
    c->user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
    c->sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* Parses a positive count (messages or recipients); exits on garbage. */
static inline int bench_count(const char *prog, const char *what, const char *s, int max) {
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || !end || *end != '\0' || v < 1 || v > max) {
        fprintf(stderr, "%s: bad %s '%s' (1..%d)\n", prog, what, s, max);
        exit(2);
    }
    return (int)v;
}

/* Reads a whole file (the prebuilt message) into memory; exits on failure. */
static inline char *bench_read_file(const char *prog, const char *path, size_t *len_out) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: cannot open %s: %s\n", prog, path, strerror(errno));
        exit(1);
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (!buf) {
            fprintf(stderr, "%s: out of memory\n", prog);
            exit(1);
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) break;
        if (len == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
        }
    }
    if (ferror(f)) {
        fprintf(stderr, "%s: cannot read %s\n", prog, path);
        exit(1);
    }
    fclose(f);
    buf[len] = '\0';
    *len_out = len;
    return buf;
}

/* The one machine-readable line per run, parsed by session-bench.sh. */
static inline void bench_result(const char *client, const char *mode, int count, int rcpts, int ok,
                         size_t msg_bytes, const struct bench_clock *t0,
                         const struct bench_clock *t1) {
    double wall = t1->wall - t0->wall;
    double user = t1->user - t0->user;
    double sys = t1->sys - t0->sys;
    printf("RESULT client=%s mode=%s messages=%d rcpts=%d ok=%d msg_bytes=%zu wall_s=%.4f "
           "user_s=%.4f sys_s=%.4f cpu_s=%.4f msgs_per_s=%.1f\n",
           client, mode, count, rcpts, ok, msg_bytes, wall, user, sys, user + sys,
           wall > 0 ? (double)ok / wall : 0.0);
    fflush(stdout);
}

#endif /* SESSION_COMMON_H */
