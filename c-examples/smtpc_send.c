/*
 * smtpc_send - send a short text mail to one or more recipients.
 *
 * This is the classic "raw Winsock mailer" done properly on smtpc. Instead of
 * writing HELO / AUTH LOGIN / MAIL / RCPT / DATA / QUIT by hand and hoping, the
 * library runs the session: it waits for and checks every reply, negotiates
 * TLS, authenticates with a mechanism the server offers, builds a correct
 * RFC 5322 message with CRLF line ends and dot-stuffing, and says for every
 * recipient what the server answered.
 *
 *   smtpc_send [connection options] [--subject S] [--body TEXT]
 *              --from ADDR SERVER PORT RCPT...
 *
 * The password can be given in the environment variable SMTPC_PASSWORD instead
 * of on the command line, where any user could read it with `ps`.
 *
 * Exit status: 0 sent to every recipient, 1 failure, 2 usage error,
 * 3 accepted for some recipients only.
 *
 * Plain C99; also compiles as C++.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpc.h"
#include "cli_common.h"

static const char *const PROG = "smtpc_send";

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: %s [options] --from ADDR SERVER PORT RCPT...\n"
            "\n"
            "Send a short text message to every RCPT through the SMTP server\n"
            "SERVER:PORT and print the SMTP transcript and each recipient's result.\n"
            "\n"
            "Message options:\n"
            "  --from ADDR       sender address (From: and MAIL FROM); required\n"
            "  --subject TEXT    subject (UTF-8; default: a fixed test subject)\n"
            "  --body TEXT       body text (default: a short fixed text)\n"
            "\n"
            "%s"
            "\n"
            "  -h, --help        show this help\n"
            "\n"
            "Exit status: 0 sent, 1 failed, 2 usage error, 3 accepted for some\n"
            "recipients only.\n"
            "\n"
            "Example:\n"
            "  SMTPC_PASSWORD=secret %s --tls starttls --user me@example.org \\\n"
            "      --from me@example.org smtp.example.org 587 you@example.net\n",
            PROG, CONN_OPTIONS_HELP, PROG);
}

/* Build the message: From, one To per recipient, Subject, a text body. */
static smtpc_status build_message(const char *from, const char *const *recipients,
                                  size_t recipient_count, const char *subject,
                                  const char *body, smtpc_message **message_out)
{
    smtpc_message *message = NULL;
    smtpc_status st;
    size_t i;

    st = smtpc_message_new(&message);
    if (st != SMTPC_OK)
        return st;
    st = smtpc_message_set_from(message, NULL, from);
    for (i = 0; st == SMTPC_OK && i < recipient_count; i++)
        st = smtpc_message_add_to(message, NULL, recipients[i]);
    if (st == SMTPC_OK)
        st = smtpc_message_set_subject(message, subject);
    if (st == SMTPC_OK)
        st = smtpc_message_set_text(message, body);
    if (st == SMTPC_OK)
        st = smtpc_message_add_header(message, "X-Mailer", "smtpc_send (smtpc " SMTPC_VERSION_STRING ")");
    if (st != SMTPC_OK) {
        smtpc_message_free(message);
        return st;
    }
    *message_out = message;
    return SMTPC_OK;
}

static int run(int argc, char **argv)
{
    /* Everything that must be released is declared here, so every exit goes
     * through the single cleanup block at the end. */
    struct conn_options conn;
    const char **positional = NULL;
    size_t positional_count = 0;
    const char *from = NULL;
    const char *subject = "Test message from smtpc_send";
    const char *body = NULL;
    char default_body[256];
    smtpc_client *client = NULL;
    smtpc_message *message = NULL;
    smtpc_report *report = NULL;
    smtpc_status st;
    int exit_code = EXIT_SEND_FAILED;
    int i;

    if (check_library_version(PROG) != 0)
        return EXIT_SEND_FAILED;

    conn_options_init(&conn);
    positional = (const char **)calloc((size_t)argc + 1, sizeof *positional);
    if (positional == NULL) {
        fprintf(stderr, "%s: out of memory\n", PROG);
        return EXIT_SEND_FAILED;
    }

    /* ---- command line -------------------------------------------------- */
    for (i = 1; i < argc; i++) {
        const char *arg = argv[i];
        int rc;

        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            usage(stdout);
            exit_code = EXIT_SEND_OK;
            goto cleanup;
        }
        if (strcmp(arg, "--") == 0) { /* everything after is positional */
            for (i++; i < argc; i++)
                positional[positional_count++] = argv[i];
            break;
        }
        rc = conn_parse_option(&conn, argc, argv, &i);
        if (rc == 0) rc = option_value(argc, argv, &i, "--from", &from);
        if (rc == 0) rc = option_value(argc, argv, &i, "--subject", &subject);
        if (rc == 0) rc = option_value(argc, argv, &i, "--body", &body);
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
    if (from == NULL) {
        fprintf(stderr, "--from ADDR is required\n");
        goto usage_error;
    }
    if (positional_count < 3) {
        fprintf(stderr, "expected SERVER PORT RCPT...\n");
        goto usage_error;
    }
    conn.host = positional[0];
    if (parse_port(positional[1], &conn.port) != 0) {
        fprintf(stderr, "invalid port: %s\n", positional[1]);
        goto usage_error;
    }
    if (conn_finish_options(&conn) != 0)
        goto usage_error;
    if (body == NULL) {
        snprintf(default_body, sizeof default_body,
                 "Hello,\n\nthis is a test message sent by smtpc_send with smtpc %s.\n",
                 smtpc_version());
        body = default_body;
    }

    /* ---- the message ---------------------------------------------------- */
    st = build_message(from, positional + 2, positional_count - 2, subject, body, &message);
    if (st != SMTPC_OK) {
        /* INVALID_ARGUMENT here means a malformed address or a CR/LF in a header. */
        print_failure(PROG, "building the message", st, NULL);
        goto cleanup;
    }

    /* ---- the session ---------------------------------------------------- */
    st = conn_create_client(PROG, &conn, &client);
    if (st != SMTPC_OK)
        goto cleanup;

    /* Connecting first is optional (send connects on demand), but it separates
     * "could not connect / log in" from "the server refused the mail". */
    st = smtpc_client_connect(client);
    if (st != SMTPC_OK) {
        print_failure(PROG, "connect", st, client);
        goto cleanup;
    }

    st = smtpc_client_send(client, message, &report);
    /* A report may exist even when the send failed (e.g. PARTIAL says which
     * recipients were refused), so print it whenever there is one. */
    if (report != NULL)
        print_report(report);
    exit_code = exit_code_for_send(st);
    if (st != SMTPC_OK) {
        print_failure(PROG, "send", st, client);
        goto cleanup;
    }
    printf("Sent to %lu recipient(s).\n", (unsigned long)(positional_count - 2));

    /* End the session politely. A failing QUIT does not undo the delivery. */
    st = smtpc_client_quit(client);
    if (st != SMTPC_OK)
        print_failure(PROG, "QUIT (the message was sent)", st, client);
    goto cleanup;

usage_error:
    fprintf(stderr, "Try '%s --help'.\n", PROG);
    exit_code = EXIT_USAGE;

cleanup:
    smtpc_report_free(report);   /* all _free functions accept NULL */
    smtpc_message_free(message);
    smtpc_client_free(client);   /* sends QUIT first if still connected */
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
