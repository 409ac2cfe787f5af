/*
 * smtpc_attach - send a mail whose body is read from a file, with any number
 * of attached files.
 *
 * This replaces the old "send through MAPI" dialog (a recipient, a subject, a
 * body read from Readme.txt and a list of attached files handed to
 * MAPISendMail). Here the program talks SMTP itself through smtpc: no mail
 * client, no profile, no dialog; the outcome for every recipient is reported.
 *
 *   smtpc_attach [connection options] --from ADDR --to ADDR [--to ADDR]...
 *                --subject S --body-file Readme.txt [--html-file F]
 *                [--attach FILE]... SERVER PORT
 *
 * The subject and the body are UTF-8 and may be non-ASCII (smtpc encodes them
 * for transport). Attachments are named after the file's base name, get a
 * content type guessed from the extension, and are streamed from disk while
 * the mail is sent, so they are never loaded whole into memory.
 *
 * Exit status: 0 sent to every recipient, 1 failure, 2 usage error,
 * 3 accepted for some recipients only.
 *
 * Plain C99; also compiles as C++.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpc.h"
#include "cli_common.h"

static const char *const PROG = "smtpc_attach";

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: %s [options] --from ADDR --to ADDR --subject TEXT\n"
            "                    --body-file FILE [--attach FILE]... SERVER PORT\n"
            "\n"
            "Send a mail with a body read from a file and any number of attached\n"
            "files through the SMTP server SERVER:PORT; print the SMTP transcript,\n"
            "the progress (on stderr) and each recipient's result.\n"
            "\n"
            "Message options:\n"
            "  --from ADDR        sender address; required\n"
            "  --to ADDR          recipient; required, may be repeated\n"
            "  --subject TEXT     subject, UTF-8 (non-ASCII is fine); required\n"
            "  --body-file FILE   text/plain body, UTF-8; required\n"
            "  --html-file FILE   also an HTML version of the body (UTF-8)\n"
            "  --attach FILE      attach FILE under its base name; may be repeated\n"
            "\n"
            "%s"
            "\n"
            "  -h, --help         show this help\n"
            "\n"
            "Exit status: 0 sent, 1 failed, 2 usage error, 3 accepted for some\n"
            "recipients only.\n",
            PROG, CONN_OPTIONS_HELP);
}

/*
 * Read a whole text file into a NUL-terminated buffer (the caller frees it).
 * Returns 0 on success; prints an error and returns -1 on failure, including a
 * file that contains a NUL byte (it could not be passed as a C string).
 */
static int read_text_file(const char *path, char **text_out)
{
    FILE *file = NULL;
    char *buffer = NULL;
    size_t length = 0;
    size_t capacity = 0;
    int result = -1;

    file = cli_fopen(path, "rb");
    if (file == NULL) {
        fprintf(stderr, "%s: cannot open %s: %s\n", PROG, path, strerror(errno));
        return -1;
    }
    for (;;) {
        size_t got;
        if (capacity - length < 4096) {
            size_t new_capacity = capacity == 0 ? 8192 : capacity * 2;
            char *grown = (char *)realloc(buffer, new_capacity + 1); /* +1: the NUL */
            if (grown == NULL) {
                fprintf(stderr, "%s: out of memory reading %s\n", PROG, path);
                goto done;
            }
            buffer = grown;
            capacity = new_capacity;
        }
        got = fread(buffer + length, 1, capacity - length, file);
        length += got;
        if (got == 0) {
            if (ferror(file)) {
                fprintf(stderr, "%s: error reading %s\n", PROG, path);
                goto done;
            }
            break; /* end of file */
        }
    }
    buffer[length] = '\0';
    if (memchr(buffer, '\0', length) != NULL) {
        fprintf(stderr, "%s: %s contains a NUL byte; it is not a text file\n", PROG, path);
        goto done;
    }
    *text_out = buffer;
    buffer = NULL;
    result = 0;

done:
    free(buffer);
    fclose(file);
    return result;
}

/* Progress display: "sending: 42%" on stderr, redrawn only when it changes. */
struct progress_state {
    int last_percent;
};

static int SMTPC_CALL show_progress(void *user_data, uint64_t bytes_sent, uint64_t bytes_total)
{
    struct progress_state *state = (struct progress_state *)user_data;
    int percent = bytes_total == 0 ? 100 : (int)(bytes_sent * 100 / bytes_total);

    if (percent != state->last_percent) {
        state->last_percent = percent;
        fprintf(stderr, "\rsending: %3d%% of %llu bytes", percent,
                (unsigned long long)bytes_total);
        if (bytes_sent >= bytes_total)
            fputc('\n', stderr);
        fflush(stderr);
    }
    return 0; /* non-zero would cancel the send */
}

static int run(int argc, char **argv)
{
    struct conn_options conn;
    const char **positional = NULL;
    const char **recipients = NULL;
    const char **attachments = NULL;
    size_t positional_count = 0, recipient_count = 0, attachment_count = 0;
    const char *from = NULL, *subject = NULL, *body_file = NULL, *html_file = NULL;
    char *body = NULL;
    char *html = NULL;
    struct progress_state progress;
    smtpc_client *client = NULL;
    smtpc_message *message = NULL;
    smtpc_report *report = NULL;
    smtpc_status st = SMTPC_OK;
    const char *step = "";
    int exit_code = EXIT_SEND_FAILED;
    int i;
    size_t k;

    if (check_library_version(PROG) != 0)
        return EXIT_SEND_FAILED;

    conn_options_init(&conn);
    progress.last_percent = -1;
    /* argc bounds the number of any kind of argument. */
    positional = (const char **)calloc((size_t)argc + 1, sizeof *positional);
    recipients = (const char **)calloc((size_t)argc + 1, sizeof *recipients);
    attachments = (const char **)calloc((size_t)argc + 1, sizeof *attachments);
    if (positional == NULL || recipients == NULL || attachments == NULL) {
        fprintf(stderr, "%s: out of memory\n", PROG);
        goto cleanup;
    }

    /* ---- command line -------------------------------------------------- */
    for (i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = NULL;
        int rc;

        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            usage(stdout);
            exit_code = EXIT_SEND_OK;
            goto cleanup;
        }
        if (strcmp(arg, "--") == 0) {
            for (i++; i < argc; i++)
                positional[positional_count++] = argv[i];
            break;
        }
        rc = conn_parse_option(&conn, argc, argv, &i);
        if (rc == 0) rc = option_value(argc, argv, &i, "--from", &from);
        if (rc == 0) rc = option_value(argc, argv, &i, "--subject", &subject);
        if (rc == 0) rc = option_value(argc, argv, &i, "--body-file", &body_file);
        if (rc == 0) rc = option_value(argc, argv, &i, "--html-file", &html_file);
        if (rc == 0) {
            rc = option_value(argc, argv, &i, "--to", &value);
            if (rc > 0)
                recipients[recipient_count++] = value;
        }
        if (rc == 0) {
            rc = option_value(argc, argv, &i, "--attach", &value);
            if (rc > 0)
                attachments[attachment_count++] = value;
        }
        if (rc < 0)
            goto usage_error;
        if (rc > 0)
            continue;
        if (arg[0] == '-' && arg[1] != '\0') {
            fprintf(stderr, "unknown option: %s\n", arg);
            goto usage_error;
        }
        positional[positional_count++] = arg;
    }
    if (from == NULL || recipient_count == 0 || subject == NULL || body_file == NULL) {
        fprintf(stderr, "--from, --to, --subject and --body-file are required\n");
        goto usage_error;
    }
    if (positional_count != 2) {
        fprintf(stderr, "expected SERVER PORT\n");
        goto usage_error;
    }
    conn.host = positional[0];
    if (parse_port(positional[1], &conn.port) != 0) {
        fprintf(stderr, "invalid port: %s\n", positional[1]);
        goto usage_error;
    }
    if (conn_finish_options(&conn) != 0)
        goto usage_error;

    /* ---- the message ---------------------------------------------------- */
    if (read_text_file(body_file, &body) != 0)
        goto cleanup;
    if (html_file != NULL && read_text_file(html_file, &html) != 0)
        goto cleanup;

    step = "smtpc_message_new";
    st = smtpc_message_new(&message);
    if (st == SMTPC_OK) {
        step = "setting the sender";
        st = smtpc_message_set_from(message, NULL, from);
    }
    for (k = 0; st == SMTPC_OK && k < recipient_count; k++) {
        step = "adding a recipient";
        st = smtpc_message_add_to(message, NULL, recipients[k]);
    }
    if (st == SMTPC_OK) {
        step = "setting the subject";
        st = smtpc_message_set_subject(message, subject);
    }
    if (st == SMTPC_OK) {
        step = "setting the body (is it UTF-8?)";
        st = smtpc_message_set_text(message, body);
    }
    if (st == SMTPC_OK && html != NULL) {
        step = "setting the HTML body (is it UTF-8?)";
        st = smtpc_message_set_html(message, html);
    }
    for (k = 0; st == SMTPC_OK && k < attachment_count; k++) {
        /* NULL file name: the file's base name; NULL type: guessed. */
        step = "attaching a file";
        st = smtpc_message_attach_file(message, attachments[k], NULL, NULL);
        if (st != SMTPC_OK)
            fprintf(stderr, "%s: cannot attach %s\n", PROG, attachments[k]);
    }
    if (st != SMTPC_OK) {
        print_failure(PROG, step, st, NULL);
        goto cleanup;
    }

    /* ---- the session ---------------------------------------------------- */
    st = conn_create_client(PROG, &conn, &client);
    if (st != SMTPC_OK)
        goto cleanup;
    st = smtpc_client_set_progress_callback(client, show_progress, &progress);
    if (st != SMTPC_OK) {
        print_failure(PROG, "smtpc_client_set_progress_callback", st, client);
        goto cleanup;
    }
    st = smtpc_client_connect(client);
    if (st != SMTPC_OK) {
        print_failure(PROG, "connect", st, client);
        goto cleanup;
    }

    /* Attachments are read now, while sending: a file that disappeared since
     * the command line was parsed shows up here as SMTPC_ERR_FILE. */
    st = smtpc_client_send(client, message, &report);
    if (progress.last_percent >= 0 && progress.last_percent < 100)
        fputc('\n', stderr); /* finish an interrupted progress line */
    if (report != NULL)
        print_report(report);
    exit_code = exit_code_for_send(st);
    if (st != SMTPC_OK) {
        print_failure(PROG, "send", st, client);
        goto cleanup;
    }
    printf("Sent with %lu attachment(s) to %lu recipient(s).\n",
           (unsigned long)attachment_count, (unsigned long)recipient_count);

    st = smtpc_client_quit(client);
    if (st != SMTPC_OK)
        print_failure(PROG, "QUIT (the message was sent)", st, client);
    goto cleanup;

usage_error:
    fprintf(stderr, "Try '%s --help'.\n", PROG);
    exit_code = EXIT_USAGE;

cleanup:
    smtpc_report_free(report);
    smtpc_message_free(message);
    smtpc_client_free(client);
    free(body);
    free(html);
    free(attachments);
    free(recipients);
    free(positional);
    return exit_code;
}

/* On Windows the command line is UTF-16: take it in wmain and pass it on as UTF-8
 * (link with -municode). */
#ifdef _WIN32
int wmain(int argc, wchar_t **wargv)
{
    char **argv = cli_utf8_argv(argc, wargv);
    int rc = argv != NULL ? run(argc, argv) : EXIT_SEND_FAILED;
    cli_free_argv(argc, argv);
    return rc;
}
#else
int main(int argc, char **argv)
{
    return run(argc, argv);
}
#endif
