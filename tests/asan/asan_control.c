/*
 * asan_control - the negative controls of tests/asan/run.sh: each mode commits
 * one error on purpose, and the sanitizer run of it must fail. If one does not,
 * "no sanitizer findings" in the other runs would prove nothing.
 *
 *   asan_control leak       an smtpc message never freed (memory the Rust
 *                           library allocated): LeakSanitizer must report it
 *   asan_control overflow   a read one byte past a heap buffer: AddressSanitizer
 *   asan_control ub         a signed integer overflow: UndefinedBehaviorSanitizer
 *   asan_control clean      nothing wrong (the library used and freed): must pass
 *
 * Plain C99.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpc.h"

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    smtpc_message *m = NULL;

    if (smtpc_message_new(&m) != SMTPC_OK ||
        smtpc_message_set_subject(m, "sanitizer control") != SMTPC_OK) {
        fprintf(stderr, "asan_control: smtpc_message_new failed\n");
        return 2;
    }
    if (strcmp(mode, "leak") == 0) {
        m = NULL; /* the only pointer to it: unreachable from here on */
        printf("asan_control: leaked a message\n");
        return 0;
    }
    smtpc_message_free(m);
    if (strcmp(mode, "overflow") == 0) {
        size_t len = (size_t)argc + 7; /* 9: not known at compile time */
        char *buf = malloc(len);
        volatile char c;
        if (buf == NULL) return 2;
        memset(buf, 'x', len);
        c = buf[len]; /* one past the end */
        printf("asan_control: read %d past the end\n", c);
        free(buf);
        return 0;
    }
    if (strcmp(mode, "ub") == 0) {
        volatile int big = INT_MAX;
        int sum = big + argc; /* overflows */
        printf("asan_control: INT_MAX + %d = %d\n", argc, sum);
        return 0;
    }
    if (strcmp(mode, "clean") == 0) {
        printf("asan_control: clean\n");
        return 0;
    }
    fprintf(stderr, "usage: %s leak|overflow|ub|clean\n", argv[0]);
    return 2;
}
