/*
 * session_api - the C API of batches, DSN, ETRN, enhanced codes and the
 * PIPELINING / CHUNKING switches, against a real server.
 *
 *   session_api HOST PLAIN_PORT NOCHUNK_PORT USER PASSWORD FROM RCPT1 RCPT2 REJECTED ETRN_DOMAIN
 *
 * PLAIN_PORT offers CHUNKING, NOCHUNK_PORT does not (messages go with DATA there);
 * both accept AUTH without TLS. REJECTED is refused with 550 5.1.1 at RCPT.
 *
 * On each port it sends one batch of three messages: to RCPT1 (with DSN
 * requests), to REJECTED, to RCPT2; checks each report's status, error text,
 * per-recipient status and enhanced codes. Then ETRN (accepted and refused), the
 * reply-class helpers, argument errors of the new functions, and
 * smtpc_message_last_error. The caller checks that RCPT1 and RCPT2 each got one
 * message per port.
 *
 * Prints "session_api: OK" and exits 0 only if every check held. Plain C99;
 * also compiles as C++.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpc.h"
#include "check.h"

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

struct args {
    const char *host, *user, *password, *from, *rcpt1, *rcpt2, *rejected, *etrn_domain;
};

/* A message from args->from to `to` with a fixed subject. */
static smtpc_message *make_message(const struct args *a, const char *to, const char *subject)
{
    smtpc_message *m = NULL;
    if (smtpc_message_new(&m) != SMTPC_OK)
        return NULL;
    CHECK_STATUS(smtpc_message_set_from(m, NULL, a->from), SMTPC_OK, NULL);
    CHECK_STATUS(smtpc_message_add_to(m, NULL, to), SMTPC_OK, NULL);
    CHECK_STATUS(smtpc_message_set_subject(m, subject), SMTPC_OK, NULL);
    CHECK_STATUS(smtpc_message_set_text(m, "session_api test message\n"), SMTPC_OK, NULL);
    return m;
}

/* One batch of three messages on `port`; `chunking` is what the port offers. */
static void batch_on(const struct args *a, uint16_t port, int chunking)
{
    smtpc_client *c = NULL;
    smtpc_message *msgs[3] = {NULL, NULL, NULL};
    smtpc_report *reports[3] = {NULL, NULL, NULL};
    const smtpc_message *list[3];
    const char *address = NULL, *text = NULL;
    uint32_t code = 0;
    size_t i;

    if (!CHECK_STATUS(smtpc_client_new(a->host, port, &c), SMTPC_OK, NULL))
        return;
    CHECK_STATUS(smtpc_client_set_tls(c, SMTPC_TLS_NONE), SMTPC_OK, c);
    CHECK_STATUS(smtpc_client_set_credentials(c, a->user, a->password), SMTPC_OK, c);
    CHECK_STATUS(smtpc_client_set_timeout_ms(c, 5000, 30000), SMTPC_OK, c);
    CHECK_STATUS(smtpc_client_set_pipelining(c, true), SMTPC_OK, c);
    CHECK_STATUS(smtpc_client_set_chunking(c, true), SMTPC_OK, c);

    msgs[0] = make_message(a, a->rcpt1, "session_api batch 1");
    msgs[1] = make_message(a, a->rejected, "session_api batch 2");
    msgs[2] = make_message(a, a->rcpt2, "session_api batch 3");
    if (!CHECK(msgs[0] != NULL && msgs[1] != NULL && msgs[2] != NULL))
        goto done;
    CHECK_STATUS(smtpc_message_set_dsn(msgs[0], SMTPC_DSN_RET_HDRS, "session-api-1", false),
                 SMTPC_OK, NULL);
    CHECK_STATUS(smtpc_message_set_dsn_notify(msgs[0], a->rcpt1,
                                              SMTPC_DSN_NOTIFY_FAILURE | SMTPC_DSN_NOTIFY_DELAY,
                                              NULL),
                 SMTPC_OK, NULL);
    CHECK(strcmp(smtpc_message_last_error(msgs[0]), "") == 0);
    for (i = 0; i < 3; i++)
        list[i] = msgs[i];

    /* The first failure is the batch's status; every message has its report. */
    CHECK_STATUS(smtpc_client_send_batch(c, list, 3, reports), SMTPC_ERR_RECIPIENTS_REJECTED, c);
    CHECK(starts_with(smtpc_client_last_error(c), "message 2 of 3: "));
    CHECK(smtpc_client_last_reply_code(c) == 550);
    CHECK(strcmp(smtpc_client_last_reply_enhanced(c), "5.1.1") == 0);
    CHECK(smtpc_client_has_extension(c, "CHUNKING") == (chunking != 0));
    for (i = 0; i < 3; i++)
        CHECK(reports[i] != NULL);
    if (reports[0] == NULL || reports[1] == NULL || reports[2] == NULL)
        goto done;

    CHECK_STATUS(smtpc_report_status(reports[0]), SMTPC_OK, NULL);
    CHECK(strcmp(smtpc_report_error(reports[0]), "") == 0);
    CHECK(smtpc_report_final_code(reports[0]) == 250);
    CHECK(strcmp(smtpc_report_final_enhanced(reports[0]), "2.0.0") == 0);
    CHECK(smtpc_report_recipient_count(reports[0]) == 1);
    CHECK_STATUS(smtpc_report_recipient_status(reports[0], 0), SMTPC_OK, NULL);
    CHECK(strcmp(smtpc_report_recipient_enhanced(reports[0], 0), "2.1.5") == 0);

    CHECK_STATUS(smtpc_report_status(reports[1]), SMTPC_ERR_RECIPIENTS_REJECTED, NULL);
    CHECK(strstr(smtpc_report_error(reports[1]), "refused every recipient") != NULL);
    CHECK_STATUS(smtpc_report_recipient(reports[1], 0, &address, &code, &text), SMTPC_OK, NULL);
    CHECK(code == 550 && strcmp(address, a->rejected) == 0);
    CHECK(smtpc_reply_is_permanent(code) && !smtpc_reply_is_temporary(code));
    CHECK_STATUS(smtpc_report_recipient_status(reports[1], 0), SMTPC_ERR_RECIPIENTS_REJECTED,
                 NULL);
    CHECK(strcmp(smtpc_report_recipient_enhanced(reports[1], 0), "5.1.1") == 0);
    CHECK(smtpc_report_final_code(reports[1]) == 0 || smtpc_report_final_code(reports[1]) >= 500);
    CHECK_STATUS(smtpc_report_recipient_status(reports[1], 7), SMTPC_ERR_INVALID_ARGUMENT, NULL);
    CHECK(strcmp(smtpc_report_recipient_enhanced(reports[1], 7), "") == 0);

    CHECK_STATUS(smtpc_report_status(reports[2]), SMTPC_OK, NULL);

    /* Options stay fixed while connected. */
    CHECK_STATUS(smtpc_client_set_chunking(c, false), SMTPC_ERR_STATE, c);
    CHECK_STATUS(smtpc_client_set_pipelining(c, false), SMTPC_ERR_STATE, c);

    /* ETRN: accepted for the flush domain, refused for another. */
    CHECK_STATUS(smtpc_client_etrn(c, a->etrn_domain), SMTPC_OK, c);
    CHECK(smtpc_client_last_reply_code(c) == 250);
    CHECK_STATUS(smtpc_client_etrn(c, "not-flushed.example.test"), SMTPC_ERR_COMMAND_REJECTED, c);
    CHECK(smtpc_client_last_reply_code(c) == 459);
    /* Postfix's 459 carries no enhanced code. */
    CHECK(strcmp(smtpc_client_last_reply_enhanced(c), "") == 0);
    CHECK(smtpc_reply_is_temporary(smtpc_client_last_reply_code(c)));
    CHECK_STATUS(smtpc_client_etrn(c, "two words"), SMTPC_ERR_INVALID_ARGUMENT, c);
    CHECK_STATUS(smtpc_client_quit(c), SMTPC_OK, c);

done:
    for (i = 0; i < 3; i++) {
        smtpc_report_free(reports[i]);
        smtpc_message_free(msgs[i]);
    }
    smtpc_client_free(c);
}

/* Argument errors of the new functions: named, nothing sent, nothing written. */
static void argument_errors(const struct args *a)
{
    smtpc_client *c = NULL;
    smtpc_message *m = NULL;
    smtpc_report *sentinel = (smtpc_report *)&checks_run;
    smtpc_report *reports[2];
    const smtpc_message *list[2];

    if (!CHECK_STATUS(smtpc_client_new(a->host, 1, &c), SMTPC_OK, NULL))
        return;
    m = make_message(a, a->rcpt1, "never sent");
    reports[0] = sentinel;
    reports[1] = sentinel;
    CHECK_STATUS(smtpc_client_send_batch(NULL, NULL, 1, NULL), SMTPC_ERR_NULL_ARGUMENT, NULL);
    CHECK_STATUS(smtpc_client_send_batch(c, NULL, 1, reports), SMTPC_ERR_NULL_ARGUMENT, c);
    CHECK(strstr(smtpc_client_last_error(c), "messages") != NULL);
    list[0] = m;
    list[1] = NULL;
    CHECK_STATUS(smtpc_client_send_batch(c, list, 2, reports), SMTPC_ERR_NULL_ARGUMENT, c);
    CHECK(strstr(smtpc_client_last_error(c), "messages[1]") != NULL);
    CHECK_STATUS(smtpc_client_send_batch(c, list, 0, reports), SMTPC_ERR_INVALID_ARGUMENT, c);
    CHECK(reports[0] == sentinel && reports[1] == sentinel);
    CHECK_STATUS(smtpc_client_etrn(c, NULL), SMTPC_ERR_NULL_ARGUMENT, c);
    CHECK_STATUS(smtpc_client_set_chunking(NULL, false), SMTPC_ERR_NULL_ARGUMENT, NULL);

    CHECK_STATUS(smtpc_message_set_dsn(m, 7, NULL, false), SMTPC_ERR_INVALID_ARGUMENT, NULL);
    CHECK(starts_with(smtpc_message_last_error(m), "smtpc_message_set_dsn: "));
    CHECK_STATUS(smtpc_message_set_dsn(m, SMTPC_DSN_RET_FULL, "bad\x01id", false),
                 SMTPC_ERR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(smtpc_message_set_dsn_notify(m, "stranger@example.test",
                                              SMTPC_DSN_NOTIFY_SUCCESS, NULL),
                 SMTPC_ERR_INVALID_ARGUMENT, NULL);
    CHECK(strstr(smtpc_message_last_error(m), "not a recipient") != NULL);
    CHECK_STATUS(smtpc_message_set_dsn_notify(m, NULL,
                                              SMTPC_DSN_NOTIFY_NEVER | SMTPC_DSN_NOTIFY_SUCCESS,
                                              NULL),
                 SMTPC_ERR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(smtpc_message_set_dsn_notify(m, NULL, SMTPC_DSN_NOTIFY_NEVER, NULL), SMTPC_OK,
                 NULL);
    CHECK(strcmp(smtpc_message_last_error(m), "") == 0);
    CHECK_STATUS(smtpc_message_set_dsn_notify(NULL, NULL, 0, NULL), SMTPC_ERR_NULL_ARGUMENT, NULL);
    CHECK(strcmp(smtpc_message_last_error(NULL), "") == 0);

    CHECK(!smtpc_reply_is_temporary(0) && !smtpc_reply_is_permanent(0));
    CHECK(smtpc_reply_is_temporary(452) && !smtpc_reply_is_permanent(452));
    CHECK(!smtpc_reply_is_temporary(250) && !smtpc_reply_is_permanent(250));
    CHECK(smtpc_report_status(NULL) == SMTPC_ERR_NULL_ARGUMENT);
    CHECK(strcmp(smtpc_report_error(NULL), "") == 0);
    CHECK(strcmp(smtpc_status_str(SMTPC_ERR_NOT_SENT), "unknown status") != 0);
    CHECK(strcmp(smtpc_status_str(SMTPC_ERR_COMMAND_REJECTED), "unknown status") != 0);

    smtpc_message_free(m);
    smtpc_client_free(c);
}

int main(int argc, char **argv)
{
    struct args a;
    unsigned long plain_port, nochunk_port;
    if (argc != 11) {
        fprintf(stderr,
                "usage: %s HOST PLAIN_PORT NOCHUNK_PORT USER PASSWORD FROM RCPT1 RCPT2 "
                "REJECTED ETRN_DOMAIN\n",
                argv[0]);
        return 2;
    }
    a.host = argv[1];
    plain_port = strtoul(argv[2], NULL, 10);
    nochunk_port = strtoul(argv[3], NULL, 10);
    a.user = argv[4];
    a.password = argv[5];
    a.from = argv[6];
    a.rcpt1 = argv[7];
    a.rcpt2 = argv[8];
    a.rejected = argv[9];
    a.etrn_domain = argv[10];

    argument_errors(&a);
    batch_on(&a, (uint16_t)plain_port, 1);
    batch_on(&a, (uint16_t)nochunk_port, 0);

    if (checks_failed != 0) {
        fprintf(stderr, "session_api: %u of %u checks failed\n", checks_failed, checks_run);
        return 1;
    }
    printf("session_api: OK (%u checks)\n", checks_run);
    return 0;
}
