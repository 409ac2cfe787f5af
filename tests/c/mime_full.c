/*
 * mime_full - one message with every MIME feature of the smtpc C API, built,
 * written to an .eml file and sent; written only from the API contract
 * (shared/design/c-api.md).
 *
 *   mime_full HOST PORT USER PASSWORD FROM TO CC BCC
 *             IMAGE_PNG PDF_FILE SECOND_FILE DATA_OUT EML_OUT
 *
 * PORT must accept AUTH without TLS (the test server's plain port).
 *
 * The message:
 *   - Subject MF_SUBJECT (Chinese, an em dash, an emoji);
 *   - From FROM with the accented display name MF_FROM_NAME, To TO with the
 *     Chinese display name MF_TO_NAME, Cc CC named MF_CC_NAME, Bcc BCC;
 *   - a text body MF_TEXT (with a 1280-byte line) and an HTML body MF_HTML whose <img> shows IMAGE_PNG,
 *     embedded with content id MF_CID (multipart/related);
 *   - attachments, in this order: PDF_FILE named MF_PDF_NAME (type guessed
 *     from the .pdf extension), SECOND_FILE under its own base name (type
 *     guessed), and MF_DATA_LEN bytes from memory (0x00 to 0xFF, CR, LF, dots)
 *     named MF_DATA_NAME (type guessed from ".bin").
 *
 * What it checks: every call returns SMTPC_OK; the buffer given to
 * smtpc_message_attach_data is copied (it is overwritten and freed before the
 * message is written); smtpc_message_write_file gives the same bytes each time,
 * before and after the send; the send on PORT with SMTPC_TLS_NONE and AUTH
 * gives SMTPC_OK and a report of 3 recipients (TO, CC, BCC), each with 250,
 * and a final code of 250.
 *
 * It writes the message to EML_OUT and the in-memory attachment's bytes to
 * DATA_OUT; the caller (c-examples/check.sh) compares what was delivered with
 * them and with the inputs. The caller holds copies of the MF_ strings below:
 * keep both in sync.
 *
 * Prints "mime_full: OK (N checks)" and exits 0 only if every check held.
 * Plain C99; also compiles as C++.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpc.h"
#include "check.h"

/* ---- what the message holds (check.sh has copies) ------------------------ */

#define MF_SUBJECT "年度报告：第一季度 — 测试 😀"
#define MF_FROM_NAME "José Müller-Åström"
#define MF_TO_NAME "张伟"
#define MF_CC_NAME "Zoë Ça Va"
#define MF_BCC_NAME "Hidden Bcc Person"
#define MF_CID "chart-2026q1@smtpc.test"
#define MF_PDF_NAME "年度报告 2026.pdf"
#define MF_DATA_NAME "données.bin"
#define MF_DATA_LEN 3000
/* A text line of 80 * 16 = 1280 bytes: the encoding must wrap it. */
#define MF_R "长行0123456789"
#define MF_R4 MF_R MF_R MF_R MF_R
#define MF_R16 MF_R4 MF_R4 MF_R4 MF_R4
#define MF_LONG_LINE MF_R16 MF_R16 MF_R16 MF_R16 MF_R16

static const char MF_TEXT[] =
    "Hello,\n"
    "\n"
    "the annual report is attached. 年度报告已附上，请查收。\n"
    ".\n"
    ".a line that starts with a dot\n"
    "Trailing spaces:   \n"
    MF_LONG_LINE "\n"
    "Ünïcödé: café, naïve, Straße, 😀\n";

static const char MF_HTML[] =
    "<!DOCTYPE html>\n"
    "<html><head><meta charset=\"utf-8\"><title>年度报告</title></head>\n"
    "<body>\n"
    "<p>Hello, <b>世界</b> — the chart:</p>\n"
    "<p><img src=\"cid:" MF_CID "\" alt=\"chart\" width=\"4\" height=\"4\"></p>\n"
    "<p>Café &amp; naïve. 😀</p>\n"
    "</body></html>\n";

/* ---- files -------------------------------------------------------------- */

/* Reads a whole file into a malloc'ed buffer; NULL on error. */
static unsigned char *read_all(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0;
    if (f == NULL) {
        perror(path);
        return NULL;
    }
    for (;;) {
        size_t n;
        if (cap - len < 65536) {
            unsigned char *bigger;
            cap = cap * 2 + 65536;
            bigger = (unsigned char *)realloc(buf, cap);
            if (bigger == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = bigger;
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        perror(path);
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *len_out = len;
    return buf;
}

static int write_all(const char *path, const unsigned char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    int ok;
    if (f == NULL) {
        perror(path);
        return 0;
    }
    ok = fwrite(data, 1, len, f) == len;
    if (fclose(f) != 0)
        ok = 0;
    return ok;
}

/* Whether the file at PATH holds exactly LEN bytes equal to DATA. */
static int file_equals(const char *path, const unsigned char *data, size_t len)
{
    size_t got_len = 0;
    unsigned char *got = read_all(path, &got_len);
    int same = got != NULL && got_len == len && memcmp(got, data, len) == 0;
    free(got);
    return same;
}

/* ---- main --------------------------------------------------------------- */

int main(int argc, char **argv)
{
    const char *host, *user, *password, *from, *to, *cc, *bcc;
    const char *image, *pdf, *second, *data_out, *eml_out;
    unsigned long port;
    char *end = NULL;
    smtpc_client *client = NULL;
    smtpc_message *m = NULL;
    smtpc_report *report = NULL;
    unsigned char *data = NULL;
    unsigned char *eml = NULL;
    size_t eml_len = 0;
    size_t i;
    char *eml_again = NULL;

    if (argc != 14) {
        fprintf(stderr,
                "usage: %s HOST PORT USER PASSWORD FROM TO CC BCC IMAGE_PNG PDF_FILE "
                "SECOND_FILE DATA_OUT EML_OUT\n",
                argv[0]);
        return 2;
    }
    host = argv[1];
    port = strtoul(argv[2], &end, 10);
    user = argv[3];
    password = argv[4];
    from = argv[5];
    to = argv[6];
    cc = argv[7];
    bcc = argv[8];
    image = argv[9];
    pdf = argv[10];
    second = argv[11];
    data_out = argv[12];
    eml_out = argv[13];
    if (end == argv[2] || *end != '\0' || port == 0 || port > 65535) {
        fprintf(stderr, "bad port %s\n", argv[2]);
        return 2;
    }

    /* The in-memory attachment: every byte value, CR/LF pairs, bare CR and LF,
       a "\r\n.\r\n" that would end DATA if it were not encoded, then a pattern. */
    data = (unsigned char *)malloc(MF_DATA_LEN);
    if (data == NULL)
        return 1;
    for (i = 0; i < 256; i++)
        data[i] = (unsigned char)i;
    memcpy(data + 256, "\r\n.\r\n\n.\r\r\n\x00\xff\xfe\x00", 15);
    for (i = 256 + 15; i < MF_DATA_LEN; i++)
        data[i] = (unsigned char)((i * 131u + 7u) & 0xffu);
    data[MF_DATA_LEN - 1] = 0xff;
    if (!CHECK(write_all(data_out, data, MF_DATA_LEN)))
        goto done;

    /* ---- the message ---- */
    REQUIRE_OK(smtpc_message_new(&m), NULL);
    CHECK(m != NULL);
    CHECK_OK(smtpc_message_set_from(m, MF_FROM_NAME, from), NULL);
    CHECK_OK(smtpc_message_add_to(m, MF_TO_NAME, to), NULL);
    CHECK_OK(smtpc_message_add_cc(m, MF_CC_NAME, cc), NULL);
    CHECK_OK(smtpc_message_add_bcc(m, MF_BCC_NAME, bcc), NULL);
    CHECK_OK(smtpc_message_set_subject(m, MF_SUBJECT), NULL);
    CHECK_OK(smtpc_message_set_text(m, MF_TEXT), NULL);
    CHECK_OK(smtpc_message_set_html(m, MF_HTML), NULL);
    CHECK_OK(smtpc_message_embed_file(m, image, MF_CID, "image/png"), NULL);
    CHECK_OK(smtpc_message_attach_file(m, pdf, MF_PDF_NAME, NULL), NULL);
    CHECK_OK(smtpc_message_attach_file(m, second, NULL, NULL), NULL);
    CHECK_OK(smtpc_message_attach_data(m, data, MF_DATA_LEN, MF_DATA_NAME, NULL), NULL);
    /* The bytes were copied: scribble over them and give them back now. */
    memset(data, 'X', MF_DATA_LEN);
    free(data);
    data = NULL;

    /* ---- the .eml: the same bytes every time ---- */
    REQUIRE_OK(smtpc_message_write_file(m, eml_out), NULL);
    eml = read_all(eml_out, &eml_len);
    if (!CHECK(eml != NULL && eml_len > 0))
        goto done;
    CHECK(eml_len >= 2 && eml[eml_len - 2] == '\r' && eml[eml_len - 1] == '\n');
    eml_again = (char *)malloc(strlen(eml_out) + 8);
    if (eml_again == NULL)
        goto done;
    sprintf(eml_again, "%s.again", eml_out);
    if (CHECK_OK(smtpc_message_write_file(m, eml_again), NULL))
        CHECK(file_equals(eml_again, eml, eml_len));

    /* ---- the send: plain port, no TLS, AUTH ---- */
    REQUIRE_OK(smtpc_client_new(host, (uint16_t)port, &client), NULL);
    CHECK(client != NULL);
    CHECK_OK(smtpc_client_set_tls(client, SMTPC_TLS_NONE), client);
    CHECK_OK(smtpc_client_set_credentials(client, user, password), client);
    CHECK_OK(smtpc_client_set_timeout_ms(client, 30000, 60000), client);
    if (CHECK_OK(smtpc_client_send(client, m, &report), client) && CHECK(report != NULL)) {
        size_t n = smtpc_report_recipient_count(report);
        int seen_to = 0, seen_cc = 0, seen_bcc = 0;
        CHECK(n == 3);
        for (i = 0; i < n; i++) {
            const char *address = NULL, *text = NULL;
            uint32_t code = 0;
            if (!CHECK_OK(smtpc_report_recipient(report, i, &address, &code, &text), NULL))
                continue;
            printf("recipient %lu: %s %lu %s\n", (unsigned long)i, address,
                   (unsigned long)code, text);
            if (!CHECK(address != NULL && text != NULL))
                continue;
            CHECK(code == 250);
            if (strcmp(address, to) == 0)
                seen_to++;
            else if (strcmp(address, cc) == 0)
                seen_cc++;
            else if (strcmp(address, bcc) == 0)
                seen_bcc++;
            else {
                int address_is_to_cc_or_bcc = 0;
                CHECK(address_is_to_cc_or_bcc);
            }
        }
        CHECK(seen_to == 1);
        CHECK(seen_cc == 1);
        CHECK(seen_bcc == 1);
        CHECK(smtpc_report_final_code(report) == 250);
        CHECK(smtpc_report_final_reply(report) != NULL);
        printf("final: %lu %s\n", (unsigned long)smtpc_report_final_code(report),
               smtpc_report_final_reply(report));
    }

    /* Sending did not change the message: still the same bytes. */
    if (CHECK_OK(smtpc_message_write_file(m, eml_again), NULL))
        CHECK(file_equals(eml_again, eml, eml_len));
    remove(eml_again);

done:
    smtpc_report_free(report);
    smtpc_client_free(client);
    smtpc_message_free(m);
    free(data);
    free(eml);
    free(eml_again);
    if (checks_failed == 0 && checks_run > 0) {
        printf("mime_full: OK (%u checks)\n", checks_run);
        return 0;
    }
    fprintf(stderr, "mime_full: %u of %u checks failed\n", checks_failed, checks_run);
    return 1;
}
