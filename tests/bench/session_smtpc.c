/* SMTP session benchmark client for smtpc (run by tests/bench/session-bench.sh).
 *
 *   session_smtpc HOST PORT COUNT RCPTS MODE
 *   session_smtpc --eml FILE RCPTS
 *
 * Builds one message (From, RCPTS To recipients, Subject, the fixed text body of
 * session_common.h) with smtpc_message_* and sends it COUNT times over one plain
 * connection (no TLS, no AUTH), then QUIT. MODE:
 *   loop           one smtpc_client_send per message, the same message handle each time
 *   loop-nochunk   the same with smtpc_client_set_chunking(c, false)
 *   batch          one smtpc_client_send_batch for all COUNT messages
 *   batch-nochunk  batch with CHUNKING off
 * Prints one RESULT line (session_common.h). Exit status 0 when every message
 * was accepted, 1 on failure, 2 usage error, 3 MODE not compiled in (the header
 * this was built against lacks the function).
 *
 * --eml writes the message exactly as a send transmits it (before dot-stuffing) to
 * FILE, so the other clients can send the very same bytes. */
#include "session_common.h"

#include "smtpc.h"

#include <stdbool.h>
#include <unistd.h>

static const char *const PROG = "session_smtpc";

static int fail(const char *what, smtpc_status st, smtpc_client *c) {
    fprintf(stderr, "%s: %s failed: %s (%s)\n", PROG, what, smtpc_status_str(st),
            c ? smtpc_client_last_error(c) : "");
    return 1;
}

static smtpc_message *build(int rcpts) {
    smtpc_message *m = NULL;
    if (smtpc_message_new(&m) != SMTPC_OK) return NULL;
    smtpc_status st = smtpc_message_set_from(m, "Bench", BENCH_FROM);
    for (int i = 0; st == SMTPC_OK && i < rcpts; i++) {
        char addr[64];
        bench_rcpt(addr, sizeof addr, i);
        st = smtpc_message_add_to(m, NULL, addr);
    }
    if (st == SMTPC_OK) st = smtpc_message_set_subject(m, BENCH_SUBJECT);
    if (st == SMTPC_OK) st = smtpc_message_set_text(m, bench_body());
    if (st != SMTPC_OK) {
        fprintf(stderr, "%s: building the message failed: %s\n", PROG, smtpc_status_str(st));
        smtpc_message_free(m);
        return NULL;
    }
    return m;
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "--eml") == 0) {
        smtpc_message *m = build(bench_count(PROG, "recipient count", argv[3], BENCH_MAX_RCPTS));
        if (!m) return 1;
        smtpc_status st = smtpc_message_write_file(m, argv[2]);
        smtpc_message_free(m);
        if (st != SMTPC_OK) return fail("message_write_file", st, NULL);
        return 0;
    }
    if (argc != 6) {
        fprintf(stderr,
                "usage: %s HOST PORT COUNT RCPTS loop|loop-nochunk|batch|batch-nochunk\n"
                "       %s --eml FILE RCPTS\n",
                PROG, PROG);
        return 2;
    }
    const char *host = argv[1];
    int port = bench_count(PROG, "port", argv[2], 65535);
    int count = bench_count(PROG, "message count", argv[3], 1000000);
    int rcpts = bench_count(PROG, "recipient count", argv[4], BENCH_MAX_RCPTS);
    const char *mode = argv[5];
    bool batch, chunking;
    if (strcmp(mode, "loop") == 0) {
        batch = false, chunking = true;
    } else if (strcmp(mode, "loop-nochunk") == 0) {
        batch = false, chunking = false;
    } else if (strcmp(mode, "batch") == 0) {
        batch = true, chunking = true;
    } else if (strcmp(mode, "batch-nochunk") == 0) {
        batch = true, chunking = false;
    } else {
        fprintf(stderr, "%s: unknown mode '%s'\n", PROG, mode);
        return 2;
    }

    smtpc_message *m = build(rcpts);
    if (!m) return 1;
    smtpc_client *c = NULL;
    smtpc_status st = smtpc_client_new(host, (uint16_t)port, &c);
    if (st != SMTPC_OK) return fail("client_new", st, NULL);
    if ((st = smtpc_client_set_tls(c, SMTPC_TLS_NONE)) != SMTPC_OK) return fail("set_tls", st, c);
    if ((st = smtpc_client_set_timeout_ms(c, 10000, 60000)) != SMTPC_OK)
        return fail("set_timeout_ms", st, c);
    if ((st = smtpc_client_set_chunking(c, chunking)) != SMTPC_OK) return fail("set_chunking", st, c);
    const smtpc_message **list = NULL;
    if (batch) {
        list = malloc((size_t)count * sizeof *list);
        if (!list) {
            fprintf(stderr, "%s: out of memory\n", PROG);
            return 1;
        }
        for (int i = 0; i < count; i++) list[i] = m;
    }

    struct bench_clock t0, t1;
    bench_clock_read(&t0);
    if ((st = smtpc_client_connect(c)) != SMTPC_OK) return fail("connect", st, c);
    int ok = 0;
    if (!batch) {
        for (int i = 0; i < count; i++) {
            st = smtpc_client_send(c, m, NULL);
            if (st != SMTPC_OK) {
                fail("send", st, c);
                break;
            }
            ok++;
        }
    } else {
        st = smtpc_client_send_batch(c, list, (size_t)count, NULL);
        if (st == SMTPC_OK)
            ok = count;
        else
            fail("send_batch", st, c);
    }
    smtpc_status qst = smtpc_client_quit(c);
    bench_clock_read(&t1);
    if (qst != SMTPC_OK) fail("quit", qst, c);

    /* The size of what each send transmitted (before dot-stuffing). Not timed. */
    size_t msg_bytes = 0;
    {
        char path[64];
        snprintf(path, sizeof path, "/tmp/session_smtpc.%ld.eml", (long)getpid());
        if (smtpc_message_write_file(m, path) == SMTPC_OK) {
            size_t len = 0;
            free(bench_read_file(PROG, path, &len));
            msg_bytes = len;
        }
        remove(path);
    }
    bench_result("smtpc", mode, count, rcpts, ok, msg_bytes, &t0, &t1);
    free(list);
    smtpc_client_free(c);
    smtpc_message_free(m);
    return ok == count && qst == SMTPC_OK ? 0 : 1;
}
