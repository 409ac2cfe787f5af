/*
 * check.h - the checking macros of the C tests in tests/c: each failed check
 * prints where and what, and the test counts them; a failed status check also
 * prints the status text and, when a client is given, its last error.
 *
 *   CHECK(expr)                       a condition
 *   CHECK_STATUS(call, want, client)  a call that must return `want`
 *   CHECK_OK(call, client)            a call that must return SMTPC_OK
 *   REQUIRE(expr), REQUIRE_STATUS(...), REQUIRE_OK(...)
 *                                     the same, jumping to `done:` on failure
 *
 * checks_run and checks_failed hold the counts. Plain C99; also compiles as C++.
 */
#ifndef SMTPC_TEST_CHECK_H
#define SMTPC_TEST_CHECK_H

#include <stdio.h>

#include "smtpc.h"

static unsigned checks_run = 0;
static unsigned checks_failed = 0;

static inline int check_at(int ok, const char *file, int line, const char *expr)
{
    checks_run++;
    if (!ok) {
        checks_failed++;
        fprintf(stderr, "%s:%d: CHECK failed: %s\n", file, line, expr);
    }
    return ok;
}
#define CHECK(expr) check_at((expr) ? 1 : 0, __FILE__, __LINE__, #expr)

static inline int check_status_at(smtpc_status got, smtpc_status want, const char *file,
                                  int line, const char *expr, const smtpc_client *client)
{
    checks_run++;
    if (got != want) {
        checks_failed++;
        fprintf(stderr, "%s:%d: CHECK failed: %s == %lu\n    got %lu (%s)%s%s\n", file, line,
                expr, (unsigned long)want, (unsigned long)got, smtpc_status_str(got),
                client != NULL ? ", last_error: " : "",
                client != NULL ? smtpc_client_last_error(client) : "");
        return 0;
    }
    return 1;
}
#define CHECK_STATUS(call, want, client) \
    check_status_at((call), (want), __FILE__, __LINE__, #call, (client))
#define CHECK_OK(call, client) CHECK_STATUS((call), SMTPC_OK, (client))
#define REQUIRE_OK(call, client) REQUIRE_STATUS((call), SMTPC_OK, (client))

/* Checks whose failure makes the rest meaningless. */
#define REQUIRE(expr)     \
    do {                  \
        if (!CHECK(expr)) \
            goto done;    \
    } while (0)
#define REQUIRE_STATUS(call, want, client)           \
    do {                                             \
        if (!CHECK_STATUS((call), (want), (client))) \
            goto done;                               \
    } while (0)

#endif /* SMTPC_TEST_CHECK_H */
