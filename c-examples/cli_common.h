/*
 * cli_common.h - helpers shared by the smtpc example programs (smtpc_send and
 * smtpc_attach): command-line parsing of the connection options, turning those
 * options into a configured smtpc_client, printing the SMTP transcript and the
 * per-recipient report.
 *
 * Plain C99; also compiles as C++ (the build checks both).
 */
#ifndef SMTPC_EXAMPLES_CLI_COMMON_H
#define SMTPC_EXAMPLES_CLI_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#ifdef _WIN32
#include <wchar.h>
#endif

#include "smtpc.h"

/* Exit codes of the example programs. */
#define EXIT_SEND_OK 0      /* accepted for every recipient */
#define EXIT_SEND_FAILED 1  /* nothing was sent, or the library reported an error */
#define EXIT_USAGE 2        /* bad command line */
#define EXIT_PARTIAL 3      /* accepted for some recipients only */

/* Connection options, as given on the command line. Strings point into argv or
 * the environment; nothing here is owned. */
struct conn_options {
    const char *host;
    uint16_t port;
    const char *tls;       /* "none", "opportunistic", "starttls", "implicit" or NULL */
    const char *ca_file;   /* PEM bundle of trusted CAs, or NULL for the system store */
    const char *user;      /* NULL: no AUTH */
    const char *password;  /* from --password or $SMTPC_PASSWORD */
    const char *helo;      /* NULL: library default */
    unsigned long timeout_s; /* 0: library default */
};

void conn_options_init(struct conn_options *opts);

/*
 * If argv[*index] names an option called `name` ("--from"), store its value in
 * *value_out and advance *index past what was consumed. Accepts "--name VALUE"
 * and "--name=VALUE". Returns 1 if matched, 0 if not this option, -1 if the
 * value is missing (a message is printed).
 */
int option_value(int argc, char **argv, int *index, const char *name,
                 const char **value_out);

/*
 * Consume one connection option (--tls, --ca-file, --user, --password, --helo,
 * --timeout) at argv[*index]. Returns 1 if consumed, 0 if argv[*index] is not a
 * connection option, -1 on a bad value (a message is printed).
 */
int conn_parse_option(struct conn_options *opts, int argc, char **argv, int *index);

/*
 * Check the options after parsing: fills in the password from $SMTPC_PASSWORD
 * when --user was given without --password. Returns 0 if usable, -1 otherwise
 * (a message is printed).
 */
int conn_finish_options(struct conn_options *opts);

/*
 * smtpc takes UTF-8. On Windows the command line, the environment and file names
 * are UTF-16 (the "ANSI" forms would lose every character outside the code page:
 * a Chinese subject would arrive as "??"), so the programs start in wmain and
 * convert; elsewhere these are the plain C calls.
 */
#ifdef _WIN32
/* A UTF-8 copy of the UTF-16 command line (NULL on failure); free it with
 * cli_free_argv. */
char **cli_utf8_argv(int argc, wchar_t **wargv);
void cli_free_argv(int argc, char **argv);
#endif
/* The environment variable NAME as UTF-8, or NULL. On Windows the string is
 * allocated once and kept until the program ends. */
const char *cli_getenv(const char *name);
/* fopen for a UTF-8 path. */
FILE *cli_fopen(const char *path, const char *mode);

/* Parse a TCP port 1..65535. Returns 0 on success. */
int parse_port(const char *text, uint16_t *port_out);

/* Usage text for the connection options, for the programs' --help. */
extern const char CONN_OPTIONS_HELP[];

/*
 * Verify that the library loaded at run time is the one the header describes.
 * Returns 0 if they match; prints a message and returns -1 otherwise.
 */
int check_library_version(const char *prog);

/*
 * Create a client for opts->host:opts->port and apply every option, with the
 * transcript printed to stdout through print_transcript_line. On failure an
 * error is printed, nothing is leaked and *client_out is left untouched.
 */
smtpc_status conn_create_client(const char *prog, const struct conn_options *opts,
                                smtpc_client **client_out);

/* smtpc_log_callback printing "C: " (sent), "S: " (received) or "* " (info)
 * lines; user_data is the FILE * to print to. */
void SMTPC_CALL print_transcript_line(void *user_data, smtpc_log_kind kind, const char *line,
                                      size_t line_len);

/* The symbolic name of a status ("SMTPC_ERR_AUTH_FAILED"), or "SMTPC_ERR_?" for a
 * value this program does not know. */
const char *status_name(smtpc_status status);

/* Print "<prog>: <what> failed: <status text> [<NAME>]: <last error>" to stderr.
 * client may be NULL. */
void print_failure(const char *prog, const char *what, smtpc_status status,
                   const smtpc_client *client);

/* Print every recipient's outcome and the reply to the message data. */
void print_report(const smtpc_report *report);

/* Map the status of a send to the program's exit code. */
int exit_code_for_send(smtpc_status status);

#endif /* SMTPC_EXAMPLES_CLI_COMMON_H */
