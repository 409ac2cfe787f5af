/*
 * contract_partial - checks the smtpc C API against its written contract
 * (shared/design/c-api.md), using nothing but that contract.
 *
 *   contract_partial HOST PORT USER PASSWORD FROM OK_RCPT1 REJECTED_RCPT OK_RCPT2
 *
 * PORT must be a port that accepts AUTH without TLS (the test server's plain
 * port); REJECTED_RCPT must be refused with 550 at RCPT.
 *
 * What it does:
 *   - version, status text, NULL and invalid arguments, free(NULL);
 *   - connect with AUTH; extensions; options refused while connected;
 *   - send_raw of a hand-written message with bare LF line ends and lines
 *     starting with '.' to OK_RCPT1, REJECTED_RCPT, OK_RCPT2: must give
 *     SMTPC_ERR_PARTIAL and a report of 2xx / 550 / 2xx with final reply 250;
 *   - a message built with smtpc_message_* to OK_RCPT1 and OK_RCPT2: SMTPC_OK;
 *   - NOOP, RSET, VRFY, the last-reply getters, QUIT;
 *   - that neither the password nor the message body reach the log callback.
 *
 * The caller checks delivery: each OK recipient gets both messages, and the raw
 * one keeps its lines "." , ".leading dot" and "..two dots" intact.
 *
 * Prints "contract_partial: OK" and exits 0 only if every check held.
 * Plain C99; also compiles as C++.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpc.h"
#include "check.h"

/* ---- secrets that must never be logged ------------------------------------ */

static void base64_encode(const unsigned char *in, size_t len, char *out)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i;
    for (i = 0; i + 2 < len; i += 3) {
        *out++ = alphabet[in[i] >> 2];
        *out++ = alphabet[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
        *out++ = alphabet[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)];
        *out++ = alphabet[in[i + 2] & 63];
    }
    if (len - i == 1) {
        *out++ = alphabet[in[i] >> 2];
        *out++ = alphabet[(in[i] & 3) << 4];
        *out++ = '=';
        *out++ = '=';
    } else if (len - i == 2) {
        *out++ = alphabet[in[i] >> 2];
        *out++ = alphabet[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
        *out++ = alphabet[(in[i + 1] & 15) << 2];
        *out++ = '=';
    }
    *out = '\0';
}

#define MAX_SECRETS 4
#define SECRET_SIZE 1024

/* What the log callback looks for, and what it saw. */
struct log_watch {
    char secrets[MAX_SECRETS][SECRET_SIZE]; /* password and its AUTH encodings */
    size_t secret_count;
    const char *body_marker;                /* a line of the raw message's body */
    unsigned sent_lines, received_lines, info_lines;
    unsigned leaked_secret, leaked_body, bad_lines;
};

/* Add the password, base64(password) (AUTH LOGIN) and the AUTH PLAIN blobs
 * base64("\0user\0password") and base64("user\0user\0password"). */
static void watch_secrets(struct log_watch *watch, const char *user, const char *password)
{
    unsigned char blob[2 * SECRET_SIZE];
    size_t user_len = strlen(user), pass_len = strlen(password), n;

    watch->secret_count = 0;
    if (pass_len < 4 || pass_len > 200 || user_len > 200)
        return; /* too short to search for without false alarms */
    strcpy(watch->secrets[watch->secret_count++], password);
    base64_encode((const unsigned char *)password, pass_len, watch->secrets[watch->secret_count++]);

    n = 0;
    blob[n++] = 0;
    memcpy(blob + n, user, user_len), n += user_len;
    blob[n++] = 0;
    memcpy(blob + n, password, pass_len), n += pass_len;
    base64_encode(blob, n, watch->secrets[watch->secret_count++]);

    n = 0;
    memcpy(blob + n, user, user_len), n += user_len;
    blob[n++] = 0;
    memcpy(blob + n, user, user_len), n += user_len;
    blob[n++] = 0;
    memcpy(blob + n, password, pass_len), n += pass_len;
    base64_encode(blob, n, watch->secrets[watch->secret_count++]);
}

/* Does text (of length len, not necessarily NUL-terminated) contain needle? */
static int contains(const char *text, size_t len, const char *needle)
{
    size_t needle_len = strlen(needle), i;
    if (needle_len == 0 || needle_len > len)
        return 0;
    for (i = 0; i + needle_len <= len; i++)
        if (memcmp(text + i, needle, needle_len) == 0)
            return 1;
    return 0;
}

static int contains_secret(const struct log_watch *watch, const char *text, size_t len)
{
    size_t i;
    for (i = 0; i < watch->secret_count; i++)
        if (contains(text, len, watch->secrets[i]))
            return 1;
    return 0;
}

static void on_log(void *user_data, smtpc_log_kind kind, const char *line, size_t line_len)
{
    struct log_watch *watch = (struct log_watch *)user_data;
    const char *prefix = "? ";

    if (line == NULL) {
        watch->bad_lines++;
        return;
    }
    switch (kind) {
    case SMTPC_LOG_SENT: prefix = "C: "; watch->sent_lines++; break;
    case SMTPC_LOG_RECEIVED: prefix = "S: "; watch->received_lines++; break;
    case SMTPC_LOG_INFO: prefix = "* "; watch->info_lines++; break;
    default: watch->bad_lines++; break;
    }
    if (contains_secret(watch, line, line_len)) {
        watch->leaked_secret++;
        printf("%s<line containing a secret, not printed>\n", prefix);
        return;
    }
    if (contains(line, line_len, watch->body_marker))
        watch->leaked_body++;
    while (line_len > 0 && (line[line_len - 1] == '\n' || line[line_len - 1] == '\r'))
        line_len--;
    printf("%s%.*s\n", prefix, (int)line_len, line);
}

/* ---- the test ------------------------------------------------------------ */

#define BODY_MARKER "contract-partial-body-marker-5d1c0e"

/* Check one recipient entry of a report. want_code 0 means "any 2xx". */
static void check_recipient(const smtpc_report *report, size_t index, const char *want_address,
                            uint32_t want_code)
{
    const char *address = NULL, *text = NULL;
    uint32_t code = 0;

    if (!CHECK_STATUS(smtpc_report_recipient(report, index, &address, &code, &text), SMTPC_OK,
                      NULL))
        return;
    printf("  report[%lu]: %s -> %lu %s\n", (unsigned long)index, address ? address : "(null)",
           (unsigned long)code, text ? text : "(null)");
    if (!CHECK(address != NULL && text != NULL))
        return;
    CHECK(strcmp(address, want_address) == 0);
    if (want_code == 0)
        CHECK(code >= 200 && code <= 299);
    else
        CHECK(code == want_code);
    CHECK(text[0] != '\0');
}

int main(int argc, char **argv)
{
    const char *host, *user, *password, *from;
    const char *recipients[3];
    long port_value;
    uint16_t port;
    char raw[2048];
    int raw_len;
    struct log_watch watch;
    smtpc_client *client = NULL;
    smtpc_client *sentinel_client = (smtpc_client *)&watch; /* any non-NULL marker */
    smtpc_message *message = NULL;
    smtpc_report *report = NULL;
    smtpc_report *sentinel_report = (smtpc_report *)&watch;
    smtpc_status st;
    const char *text;

    if (argc != 9) {
        fprintf(stderr,
                "usage: %s HOST PORT USER PASSWORD FROM OK_RCPT1 REJECTED_RCPT OK_RCPT2\n",
                argv[0]);
        return 2;
    }
    host = argv[1];
    port_value = strtol(argv[2], NULL, 10);
    if (port_value <= 0 || port_value > 65535) {
        fprintf(stderr, "bad port %s\n", argv[2]);
        return 2;
    }
    port = (uint16_t)port_value;
    user = argv[3];
    password = argv[4];
    from = argv[5];
    recipients[0] = argv[6];
    recipients[1] = argv[7]; /* the one the server refuses */
    recipients[2] = argv[8];

    memset(&watch, 0, sizeof watch);
    watch.body_marker = BODY_MARKER;
    watch_secrets(&watch, user, password);

    /* ---- version and status text ---------------------------------------- */
    CHECK(smtpc_version_number() == SMTPC_VERSION_NUMBER);
    CHECK(smtpc_version() != NULL && strcmp(smtpc_version(), SMTPC_VERSION_STRING) == 0);
    CHECK(SMTPC_VERSION_NUMBER == SMTPC_VERSION_MAJOR * 1000000 + SMTPC_VERSION_MINOR * 1000 +
                                      SMTPC_VERSION_PATCH);
    CHECK(smtpc_status_str(SMTPC_OK) != NULL && smtpc_status_str(SMTPC_OK)[0] != '\0');
    CHECK(smtpc_status_str(SMTPC_ERR_PARTIAL) != NULL &&
          smtpc_status_str(SMTPC_ERR_PARTIAL)[0] != '\0');
    text = smtpc_status_str((smtpc_status)12345);
    CHECK(text != NULL && strstr(text, "unknown") != NULL);
    /* The fixed numbers of the contract. */
    CHECK(SMTPC_OK == 0 && SMTPC_ERR_NULL_ARGUMENT == 1 && SMTPC_ERR_INVALID_ARGUMENT == 2 &&
          SMTPC_ERR_STATE == 3 && SMTPC_ERR_AUTH_FAILED == 40 && SMTPC_ERR_PARTIAL == 52 &&
          SMTPC_ERR_UNSUPPORTED == 56 && SMTPC_ERR_PANIC == 99);
    CHECK(SMTPC_TLS_NONE == 0 && SMTPC_TLS_STARTTLS_OPPORTUNISTIC == 1 &&
          SMTPC_TLS_STARTTLS == 2 && SMTPC_TLS_IMPLICIT == 3);
    CHECK(SMTPC_LOG_INFO == 0 && SMTPC_LOG_SENT == 1 && SMTPC_LOG_RECEIVED == 2);

    /* ---- NULL arguments: a status, never a crash; outputs untouched ------ */
    smtpc_client_free(NULL);
    smtpc_message_free(NULL);
    smtpc_report_free(NULL);
    smtpc_client_cancel(NULL);
    CHECK_STATUS(smtpc_client_new(NULL, port, &sentinel_client), SMTPC_ERR_NULL_ARGUMENT, NULL);
    CHECK(sentinel_client == (smtpc_client *)&watch);
    CHECK_STATUS(smtpc_client_new(host, port, NULL), SMTPC_ERR_NULL_ARGUMENT, NULL);
    CHECK_STATUS(smtpc_message_new(NULL), SMTPC_ERR_NULL_ARGUMENT, NULL);
    CHECK_STATUS(smtpc_message_set_subject(NULL, "x"), SMTPC_ERR_NULL_ARGUMENT, NULL);
    CHECK_STATUS(smtpc_client_noop(NULL), SMTPC_ERR_NULL_ARGUMENT, NULL);
    CHECK_STATUS(smtpc_client_send(NULL, NULL, NULL), SMTPC_ERR_NULL_ARGUMENT, NULL);
    CHECK_STATUS(smtpc_report_recipient(NULL, 0, &text, NULL, NULL), SMTPC_ERR_NULL_ARGUMENT,
                 NULL);
    CHECK(smtpc_report_recipient_count(NULL) == 0);
    CHECK(smtpc_report_final_code(NULL) == 0);
    text = smtpc_report_final_reply(NULL);
    CHECK(text != NULL);
    CHECK(smtpc_client_last_reply_code(NULL) == 0);
    text = smtpc_client_last_reply(NULL);
    CHECK(text != NULL);
    text = smtpc_client_last_error(NULL);
    CHECK(text != NULL);
    CHECK(!smtpc_client_has_extension(NULL, "PIPELINING"));

    /* ---- a client ------------------------------------------------------- */
    REQUIRE_STATUS(smtpc_client_new(host, port, &client), SMTPC_OK, NULL);
    REQUIRE(client != NULL);
    /* Before any command: no reply yet, empty strings, never NULL. */
    CHECK(smtpc_client_last_reply_code(client) == 0);
    text = smtpc_client_last_reply(client);
    CHECK(text != NULL && text[0] == '\0');
    text = smtpc_client_last_error(client);
    CHECK(text != NULL);
    CHECK_STATUS(smtpc_client_set_tls(client, (smtpc_tls_mode)77), SMTPC_ERR_INVALID_ARGUMENT,
                 client);
    CHECK_STATUS(smtpc_client_set_helo_name(client, "bad\r\nRSET"), SMTPC_ERR_INVALID_ARGUMENT,
                 client);
    CHECK_STATUS(smtpc_client_set_credentials(client, NULL, password), SMTPC_ERR_NULL_ARGUMENT,
                 client);
    /* The plain test port allows AUTH in clear; say so explicitly. */
    REQUIRE_STATUS(smtpc_client_set_tls(client, SMTPC_TLS_NONE), SMTPC_OK, client);
    REQUIRE_STATUS(smtpc_client_set_credentials(client, user, password), SMTPC_OK, client);
    REQUIRE_STATUS(smtpc_client_set_helo_name(client, "contract-partial.example.test"),
                         SMTPC_OK, client);
    REQUIRE_STATUS(smtpc_client_set_timeout_ms(client, 15000, 30000), SMTPC_OK, client);
    REQUIRE_STATUS(smtpc_client_set_log_callback(client, on_log, &watch), SMTPC_OK, client);
    CHECK_STATUS(smtpc_client_set_progress_callback(client, NULL, NULL), SMTPC_OK, client);

    /* ---- connect -------------------------------------------------------- */
    REQUIRE_STATUS(smtpc_client_connect(client), SMTPC_OK, client);
    CHECK(smtpc_client_has_extension(client, "PIPELINING"));
    CHECK(!smtpc_client_has_extension(client, "X-NO-SUCH-EXTENSION-42"));
    CHECK(!smtpc_client_has_extension(client, NULL));
    CHECK(smtpc_client_last_reply_code(client) >= 200 && smtpc_client_last_reply_code(client) <= 299);
    /* Options may be set only while not connected. */
    CHECK_STATUS(smtpc_client_set_helo_name(client, "other.example.test"), SMTPC_ERR_STATE,
                 client);
    CHECK_STATUS(smtpc_client_set_tls(client, SMTPC_TLS_NONE), SMTPC_ERR_STATE, client);

    /* ---- send_raw to 3 recipients, one refused --------------------------- */
    /* Bare LF line ends; a lone "." line, which must be dot-stuffed or it would
     * end the data early; lines already starting with dots. */
    raw_len = snprintf(raw, sizeof raw,
                       "From: Contract Test <%s>\n"
                       "To: %s, %s, %s\n"
                       "Subject: contract_partial raw message\n"
                       "Date: Mon, 01 Jan 2024 00:00:00 +0000\n"
                       "Message-ID: <contract-partial-raw@example.test>\n"
                       "\n"
                       "First line of the raw body.\n"
                       ".leading dot\n"
                       ".\n"
                       "..two dots\n"
                       "%s\n"
                       "Last line, no line end after it.",
                       from, recipients[0], recipients[1], recipients[2], BODY_MARKER);
    REQUIRE(raw_len > 0 && (size_t)raw_len < sizeof raw);

    CHECK_STATUS(smtpc_client_send_raw(NULL, from, recipients, 3, (const uint8_t *)raw,
                                       (size_t)raw_len, NULL),
                 SMTPC_ERR_NULL_ARGUMENT, NULL);
    CHECK_STATUS(smtpc_client_send_raw(client, NULL, recipients, 3, (const uint8_t *)raw,
                                       (size_t)raw_len, NULL),
                 SMTPC_ERR_NULL_ARGUMENT, client);
    CHECK_STATUS(smtpc_client_send_raw(client, from, NULL, 3, (const uint8_t *)raw,
                                       (size_t)raw_len, NULL),
                 SMTPC_ERR_NULL_ARGUMENT, client);

    st = smtpc_client_send_raw(client, from, recipients, 3, (const uint8_t *)raw, (size_t)raw_len,
                               &report);
    printf("send_raw: %lu (%s); last_error: %s\n", (unsigned long)st, smtpc_status_str(st),
           smtpc_client_last_error(client));
    CHECK_STATUS(st, SMTPC_ERR_PARTIAL, client);
    text = smtpc_client_last_error(client);
    CHECK(text != NULL && text[0] != '\0');
    REQUIRE(report != NULL);
    REQUIRE(smtpc_report_recipient_count(report) == 3);
    check_recipient(report, 0, recipients[0], 0);
    check_recipient(report, 1, recipients[1], 550);
    check_recipient(report, 2, recipients[2], 0);
    CHECK(smtpc_report_final_code(report) == 250);
    text = smtpc_report_final_reply(report);
    CHECK(text != NULL && text[0] != '\0');
    printf("  final: %lu %s\n", (unsigned long)smtpc_report_final_code(report), text);
    {
        /* Out of range: an error, and the outputs stay as they were. */
        const char *address = "unchanged", *reply = "unchanged";
        uint32_t code = 4242;
        CHECK_STATUS(smtpc_report_recipient(report, 3, &address, &code, &reply),
                     SMTPC_ERR_INVALID_ARGUMENT, NULL);
        CHECK(strcmp(address, "unchanged") == 0 && strcmp(reply, "unchanged") == 0 &&
              code == 4242);
    }
    smtpc_report_free(report);
    report = NULL;

    /* ---- a built message ------------------------------------------------- */
    REQUIRE_STATUS(smtpc_message_new(&message), SMTPC_OK, NULL);
    REQUIRE(message != NULL);
    CHECK_STATUS(smtpc_message_set_subject(message, NULL), SMTPC_ERR_NULL_ARGUMENT, NULL);
    CHECK_STATUS(smtpc_message_add_to(message, NULL, NULL), SMTPC_ERR_NULL_ARGUMENT, NULL);
    CHECK_STATUS(smtpc_message_set_subject(message, "x\r\nBcc: evil@example.test"),
                 SMTPC_ERR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(smtpc_message_set_subject(message, "bad utf-8 \xff\xfe"),
                 SMTPC_ERR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(smtpc_message_add_to(message, NULL, "evil@example.test>\r\nDATA"),
                 SMTPC_ERR_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(smtpc_message_add_header(message, "X-Test", "a\nb"),
                 SMTPC_ERR_INVALID_ARGUMENT, NULL);
    REQUIRE_STATUS(smtpc_message_set_from(message, "Contract Test", from), SMTPC_OK, NULL);
    REQUIRE_STATUS(smtpc_message_add_to(message, NULL, recipients[0]), SMTPC_OK, NULL);
    REQUIRE_STATUS(smtpc_message_add_to(message, "Second", recipients[2]), SMTPC_OK, NULL);
    REQUIRE_STATUS(smtpc_message_set_subject(message, "contract_partial built message"),
                         SMTPC_OK, NULL);
    REQUIRE_STATUS(smtpc_message_set_text(message, "Built with smtpc_message_*.\n"
                                                         "." "\n" BODY_MARKER "\n"),
                         SMTPC_OK, NULL);
    REQUIRE_STATUS(smtpc_message_add_header(message, "X-Contract-Test", "built"), SMTPC_OK,
                         NULL);

    CHECK_STATUS(smtpc_client_send(client, NULL, &sentinel_report), SMTPC_ERR_NULL_ARGUMENT,
                 client);
    CHECK(sentinel_report == (smtpc_report *)&watch);

    st = smtpc_client_send(client, message, &report);
    CHECK_STATUS(st, SMTPC_OK, client);
    if (CHECK(report != NULL) && CHECK(smtpc_report_recipient_count(report) == 2)) {
        check_recipient(report, 0, recipients[0], 0);
        check_recipient(report, 1, recipients[2], 0);
        CHECK(smtpc_report_final_code(report) == 250);
        CHECK(smtpc_report_final_reply(report)[0] != '\0');
    }
    smtpc_report_free(report);
    report = NULL;
    /* After success, last_reply is the last reply received: the 250 to the data. */
    CHECK(smtpc_client_last_reply_code(client) == 250);
    text = smtpc_client_last_reply(client);
    CHECK(text != NULL && text[0] != '\0');

    /* ---- NOOP, RSET, VRFY ------------------------------------------------ */
    CHECK_STATUS(smtpc_client_noop(client), SMTPC_OK, client);
    CHECK(smtpc_client_last_reply_code(client) == 250);
    text = smtpc_client_last_reply(client);
    CHECK(text != NULL && text[0] != '\0');
    printf("after NOOP: last_reply_code %lu, last_reply \"%s\"\n",
           (unsigned long)smtpc_client_last_reply_code(client), text);
    CHECK_STATUS(smtpc_client_reset(client), SMTPC_OK, client);
    CHECK(smtpc_client_last_reply_code(client) == 250);

    CHECK_STATUS(smtpc_client_verify(client, NULL), SMTPC_ERR_NULL_ARGUMENT, client);
    CHECK_STATUS(smtpc_client_verify(client, "a@example.test\r\nRSET"),
                 SMTPC_ERR_INVALID_ARGUMENT, client);
    st = smtpc_client_verify(client, recipients[0]);
    printf("VRFY %s: status %lu (%s), reply %lu %s; last_error: %s\n", recipients[0],
           (unsigned long)st, smtpc_status_str(st),
           (unsigned long)smtpc_client_last_reply_code(client), smtpc_client_last_reply(client),
           smtpc_client_last_error(client));
    /* Servers answer VRFY in many ways (250, 252, 502...): any answer is
     * acceptable except a poisoned handle or a lost session. */
    CHECK(st != SMTPC_ERR_PANIC && st != SMTPC_ERR_STATE && st != SMTPC_ERR_CONNECTION_LOST &&
          st != SMTPC_ERR_NULL_ARGUMENT && st != SMTPC_ERR_INVALID_ARGUMENT);
    if (st != SMTPC_OK) {
        text = smtpc_client_last_error(client);
        CHECK(text != NULL && text[0] != '\0');
    }
    /* The session is still usable afterwards. */
    CHECK_STATUS(smtpc_client_noop(client), SMTPC_OK, client);

    /* No secret anywhere in what the getters return. */
    text = smtpc_client_last_error(client);
    CHECK(!contains_secret(&watch, text, strlen(text)));
    text = smtpc_client_last_reply(client);
    CHECK(!contains_secret(&watch, text, strlen(text)));

    /* ---- QUIT ------------------------------------------------------------ */
    CHECK_STATUS(smtpc_client_quit(client), SMTPC_OK, client);

    /* ---- what the log callback saw -------------------------------------- */
    printf("log: %u sent, %u received, %u info lines\n", watch.sent_lines, watch.received_lines,
           watch.info_lines);
    CHECK(watch.sent_lines >= 8);      /* EHLO AUTH MAIL RCPT*3 DATA ... QUIT */
    CHECK(watch.received_lines >= 8);
    CHECK(watch.bad_lines == 0);
    CHECK(watch.secret_count > 0);     /* the secret check actually ran */
    CHECK(watch.leaked_secret == 0);   /* AUTH secrets are replaced by "***" */
    CHECK(watch.leaked_body == 0);     /* bodies are never logged line by line */

done:
    smtpc_report_free(report);
    smtpc_message_free(message);
    smtpc_client_free(client);

    if (checks_failed == 0) {
        printf("contract_partial: OK (%u checks)\n", checks_run);
        return 0;
    }
    printf("contract_partial: FAILED (%u of %u checks failed)\n", checks_failed, checks_run);
    return 1;
}
