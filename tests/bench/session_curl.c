/* SMTP session benchmark client for libcurl (run by tests/bench/session-bench.sh).
 *
 *   session_curl HOST PORT COUNT RCPTS reuse EML
 *
 * Sends the prebuilt message in the file EML (written by session_smtpc --eml, so
 * the bytes are the same as smtpc's) COUNT times, each to RCPTS recipients, over
 * one plain connection: one easy handle reused for every message (libcurl keeps
 * the connection open between transfers), CURLOPT_UPLOAD with a read callback
 * over the same bytes in memory. curl_easy_cleanup sends QUIT. libcurl sends
 * MAIL, each RCPT and DATA one at a time (it does not pipeline SMTP commands).
 * Prints one RESULT line (session_common.h); exit status 0 when every message
 * was accepted. */
#include "session_common.h"

#include <curl/curl.h>

static const char *const PROG = "session_curl";

struct source {
    const char *data;
    size_t len;
    size_t pos;
};

static size_t read_cb(char *buf, size_t size, size_t nitems, void *userdata) {
    struct source *s = userdata;
    size_t room = size * nitems;
    size_t left = s->len - s->pos;
    size_t n = left < room ? left : room;
    memcpy(buf, s->data + s->pos, n);
    s->pos += n;
    return n;
}

int main(int argc, char **argv) {
    if (argc != 7 || strcmp(argv[5], "reuse") != 0) {
        fprintf(stderr, "usage: %s HOST PORT COUNT RCPTS reuse EML\n", PROG);
        return 2;
    }
    const char *host = argv[1];
    int port = bench_count(PROG, "port", argv[2], 65535);
    int count = bench_count(PROG, "message count", argv[3], 1000000);
    int rcpts = bench_count(PROG, "recipient count", argv[4], BENCH_MAX_RCPTS);
    struct source src = {NULL, 0, 0};
    src.data = bench_read_file(PROG, argv[6], &src.len);

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "%s: curl_global_init failed\n", PROG);
        return 1;
    }
    CURL *h = curl_easy_init();
    if (!h) {
        fprintf(stderr, "%s: curl_easy_init failed\n", PROG);
        return 1;
    }
    char url[300];
    /* The path is the EHLO name. */
    snprintf(url, sizeof url, "smtp://%s:%d/bench.example.test", host, port);
    struct curl_slist *rcpt_list = NULL;
    for (int i = 0; i < rcpts; i++) {
        char addr[64], arg[80];
        bench_rcpt(addr, sizeof addr, i);
        snprintf(arg, sizeof arg, "<%s>", addr);
        rcpt_list = curl_slist_append(rcpt_list, arg);
        if (!rcpt_list) {
            fprintf(stderr, "%s: out of memory\n", PROG);
            return 1;
        }
    }
    CURLcode rc = CURLE_OK;
#define SETOPT(opt, val)                                                                   \
    do {                                                                                   \
        if (rc == CURLE_OK) rc = curl_easy_setopt(h, opt, val);                            \
    } while (0)
    SETOPT(CURLOPT_URL, url);
    SETOPT(CURLOPT_MAIL_FROM, "<" BENCH_FROM ">");
    SETOPT(CURLOPT_MAIL_RCPT, rcpt_list);
    SETOPT(CURLOPT_UPLOAD, 1L);
    SETOPT(CURLOPT_READFUNCTION, read_cb);
    SETOPT(CURLOPT_READDATA, &src);
    /* Known size: libcurl then sends SIZE= in MAIL FROM, as smtpc does. */
    SETOPT(CURLOPT_INFILESIZE_LARGE, (curl_off_t)src.len);
    SETOPT(CURLOPT_USE_SSL, (long)CURLUSESSL_NONE);
    SETOPT(CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    SETOPT(CURLOPT_TIMEOUT_MS, 600000L);
    SETOPT(CURLOPT_NOSIGNAL, 1L);
#undef SETOPT
    if (rc != CURLE_OK) {
        fprintf(stderr, "%s: curl_easy_setopt failed: %s\n", PROG, curl_easy_strerror(rc));
        return 1;
    }

    struct bench_clock t0, t1;
    bench_clock_read(&t0);
    int ok = 0;
    long connects = 0;
    for (int i = 0; i < count; i++) {
        src.pos = 0;
        rc = curl_easy_perform(h);
        if (rc != CURLE_OK) {
            fprintf(stderr, "%s: message %d: %s\n", PROG, i + 1, curl_easy_strerror(rc));
            break;
        }
        long n = 0;
        if (curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &n) == CURLE_OK) connects += n;
        ok++;
    }
    curl_easy_cleanup(h); /* QUIT and close */
    bench_clock_read(&t1);
    if (connects > 1)
        fprintf(stderr, "%s: warning: libcurl opened %ld connections, not 1\n", PROG, connects);

    bench_result("libcurl", "reuse", count, rcpts, ok, src.len, &t0, &t1);
    curl_slist_free_all(rcpt_list);
    curl_global_cleanup();
    free((char *)src.data);
    return ok == count ? 0 : 1;
}
