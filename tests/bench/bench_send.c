/* MIME build+send benchmark for smtpc (run by tests/bench/mime-bench.sh).
 *
 *   bench_send build    HOST PORT ATTACHMENT EML
 *   bench_send prebuilt HOST PORT ATTACHMENT EML
 *
 * "build" builds a message with ATTACHMENT through smtpc_message_* and sends it:
 * the attachment is read and base64-encoded while it is sent.
 * "prebuilt" writes the same message to EML first (not timed), reads it into memory
 * and sends those bytes with smtpc_client_send_raw: the peer that does no MIME work.
 * Each prints one line: mode, bytes, seconds, MB/s, peak RSS in KiB. */
#define _POSIX_C_SOURCE 200809L
#include "smtpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long peak_rss_kib(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static int fail(const char *what, smtpc_status st, smtpc_client *c) {
    fprintf(stderr, "bench_send: %s failed: %s (%s)\n", what, smtpc_status_str(st),
            c ? smtpc_client_last_error(c) : "");
    return 1;
}

static smtpc_message *build(const char *attachment) {
    smtpc_message *m = NULL;
    if (smtpc_message_new(&m) != SMTPC_OK) return NULL;
    if (smtpc_message_set_from(m, "Bench", "bench@example.test") != SMTPC_OK ||
        smtpc_message_add_to(m, NULL, "sink@example.test") != SMTPC_OK ||
        smtpc_message_set_subject(m, "smtpc benchmark") != SMTPC_OK ||
        smtpc_message_set_text(m, "A large attachment follows.\n") != SMTPC_OK ||
        smtpc_message_attach_file(m, attachment, "payload.bin", NULL) != SMTPC_OK) {
        smtpc_message_free(m);
        return NULL;
    }
    return m;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: bench_send build|prebuilt HOST PORT ATTACHMENT EML\n");
        return 2;
    }
    const char *mode = argv[1];
    int prebuilt = strcmp(mode, "prebuilt") == 0;
    smtpc_message *m = build(argv[4]);
    if (!m) {
        fprintf(stderr, "bench_send: building the message failed\n");
        return 1;
    }
    smtpc_client *c = NULL;
    smtpc_status st = smtpc_client_new(argv[2], (uint16_t)atoi(argv[3]), &c);
    if (st != SMTPC_OK) return fail("client_new", st, NULL);
    smtpc_client_set_tls(c, SMTPC_TLS_NONE);
    if ((st = smtpc_client_connect(c)) != SMTPC_OK) return fail("connect", st, c);

    const uint8_t *data = NULL;
    size_t len = 0;
    uint8_t *buf = NULL;
    if (prebuilt) {
        if ((st = smtpc_message_write_file(m, argv[5])) != SMTPC_OK) return fail("write_file", st, c);
        /* Load the pre-built message into memory: the peer does no MIME work. */
        FILE *f = fopen(argv[5], "rb");
        if (!f || fseek(f, 0, SEEK_END) != 0) { perror("open EML"); return 1; }
        len = (size_t)ftell(f);
        rewind(f);
        buf = malloc(len ? len : 1);
        if (!buf || fread(buf, 1, len, f) != len) { perror("read EML"); return 1; }
        fclose(f);
        data = buf;
    }
    const char *rcpt[] = {"sink@example.test"};
    double t0 = now();
    if (prebuilt) {
        st = smtpc_client_send_raw(c, "bench@example.test", rcpt, 1, data, len, NULL);
    } else {
        st = smtpc_client_send(c, m, NULL);
    }
    double secs = now() - t0;
    if (st != SMTPC_OK) return fail("send", st, c);
    if (!prebuilt) {
        /* The size the send transmitted, for the MB/s figure. */
        if ((st = smtpc_message_write_file(m, argv[5])) != SMTPC_OK) return fail("write_file", st, c);
        struct stat sb;
        if (stat(argv[5], &sb) != 0) { perror("stat EML"); return 1; }
        len = (size_t)sb.st_size;
    }
    printf("%s bytes=%zu seconds=%.3f MB/s=%.1f peak_rss_kib=%ld\n", mode, len, secs,
           (double)len / 1e6 / secs, peak_rss_kib());
    free(buf);
    smtpc_client_quit(c);
    smtpc_client_free(c);
    smtpc_message_free(m);
    return 0;
}
