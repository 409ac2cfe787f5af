/* SMTP session benchmark client for libESMTP (run by tests/bench/session-bench.sh).
 *
 *   session_esmtp HOST PORT COUNT RCPTS session EML
 *
 * Sends the prebuilt message in the file EML (written by session_smtpc --eml, so
 * the bytes are the same as smtpc's) COUNT times, each to RCPTS recipients, in one
 * libESMTP session: every message added with smtp_add_message (reverse path,
 * smtp_add_recipient for each recipient, the message bytes from a callback over
 * the same buffer), then one smtp_start_session, which connects, sends them all
 * (libESMTP pipelines the commands itself when the server offers PIPELINING) and
 * QUITs. No STARTTLS (libESMTP's default), no AUTH (no auth context).
 * Prints one RESULT line (session_common.h); exit status 0 when every message
 * was accepted (transfer status 2xx) by every recipient. */
#include "session_common.h"

#include <libesmtp.h>

static const char *const PROG = "session_esmtp";

struct source {
    const char *data;
    int len;
    int done;
};

/* libESMTP's message callback: len NULL means rewind; otherwise return the next
 * block and its length in *len, and length 0 at the end. The state lives in
 * arg (one per message), so *ctx stays NULL and libESMTP has nothing to free. */
static const char *message_cb(void **ctx, int *len, void *arg) {
    struct source *s = arg;
    (void)ctx;
    if (len == NULL) {
        s->done = 0;
        return NULL;
    }
    if (s->done) {
        *len = 0;
        return NULL;
    }
    s->done = 1;
    *len = s->len;
    return s->data;
}

struct check {
    int messages_ok;
    int recipients_bad;
};

static void check_recipient(smtp_recipient_t r, const char *mailbox, void *arg) {
    struct check *c = arg;
    const smtp_status_t *st = smtp_recipient_status(r);
    if (!st || st->code / 100 != 2) {
        if (c->recipients_bad++ < 3)
            fprintf(stderr, "%s: recipient %s: %d %s\n", PROG, mailbox, st ? st->code : 0,
                    st && st->text ? st->text : "");
    }
}

static void check_message(smtp_message_t m, void *arg) {
    struct check *c = arg;
    const smtp_status_t *st = smtp_message_transfer_status(m);
    if (st && st->code / 100 == 2) c->messages_ok++;
    smtp_enumerate_recipients(m, check_recipient, c);
}

int main(int argc, char **argv) {
    if (argc != 7 || strcmp(argv[5], "session") != 0) {
        fprintf(stderr, "usage: %s HOST PORT COUNT RCPTS session EML\n", PROG);
        return 2;
    }
    const char *host = argv[1];
    int port = bench_count(PROG, "port", argv[2], 65535);
    int count = bench_count(PROG, "message count", argv[3], 1000000);
    int rcpts = bench_count(PROG, "recipient count", argv[4], BENCH_MAX_RCPTS);
    size_t len = 0;
    char *data = bench_read_file(PROG, argv[6], &len);
    struct source *sources = calloc((size_t)count, sizeof *sources);
    char(*addrs)[64] = calloc((size_t)rcpts, sizeof *addrs);
    if (!sources || !addrs || len > 100000000) {
        fprintf(stderr, "%s: out of memory\n", PROG);
        return 1;
    }
    for (int i = 0; i < rcpts; i++) bench_rcpt(addrs[i], sizeof addrs[i], i);

    smtp_session_t session = smtp_create_session();
    char server[300];
    snprintf(server, sizeof server, "%s:%d", host, port);
    if (!session || !smtp_set_server(session, server) ||
        !smtp_set_hostname(session, "bench.example.test")) {
        fprintf(stderr, "%s: session setup failed\n", PROG);
        return 1;
    }

    struct bench_clock t0, t1;
    bench_clock_read(&t0);
    for (int i = 0; i < count; i++) {
        smtp_message_t m = smtp_add_message(session);
        sources[i].data = data;
        sources[i].len = (int)len;
        if (!m || !smtp_set_reverse_path(m, BENCH_FROM) ||
            !smtp_set_messagecb(m, message_cb, &sources[i])) {
            fprintf(stderr, "%s: adding message %d failed\n", PROG, i + 1);
            return 1;
        }
        for (int r = 0; r < rcpts; r++) {
            if (!smtp_add_recipient(m, addrs[r])) {
                fprintf(stderr, "%s: adding a recipient failed\n", PROG);
                return 1;
            }
        }
    }
    int started = smtp_start_session(session);
    bench_clock_read(&t1);
    if (!started) {
        char buf[256];
        fprintf(stderr, "%s: smtp_start_session failed: %s\n", PROG,
                smtp_strerror(smtp_errno(), buf, sizeof buf));
    }

    struct check c = {0, 0};
    smtp_enumerate_messages(session, check_message, &c);
    if (c.recipients_bad)
        fprintf(stderr, "%s: %d recipients not accepted\n", PROG, c.recipients_bad);
    bench_result("libESMTP", "session", count, rcpts, c.messages_ok, len, &t0, &t1);
    smtp_destroy_session(session);
    free(sources);
    free(addrs);
    free(data);
    return started && c.messages_ok == count && c.recipients_bad == 0 ? 0 : 1;
}
