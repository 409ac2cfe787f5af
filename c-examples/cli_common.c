/*
 * cli_common.c - see cli_common.h.
 */
#include "cli_common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include <windows.h>
#endif

const char CONN_OPTIONS_HELP[] =
    "Connection options:\n"
    "  --tls MODE        none | opportunistic | starttls | implicit\n"
    "                    (default: implicit on port 465, starttls otherwise;\n"
    "                    'none' sends everything, credentials too, in clear)\n"
    "  --ca-file PEM     also trust the CA certificates in PEM (in addition to the\n"
    "                    system's trust store)\n"
    "  --user USER       authenticate as USER (AUTH)\n"
    "  --password PASS   password for --user; better: leave it out and set the\n"
    "                    environment variable SMTPC_PASSWORD, so the password does\n"
    "                    not show up in `ps` or the shell history\n"
    "  --helo NAME       host name to announce in EHLO/HELO\n"
    "  --timeout SECS    connect and I/O timeout in seconds\n";

#ifdef _WIN32
/* UTF-16 to a malloc'ed UTF-8 string; NULL on failure. */
static char *utf8_from_wide(const wchar_t *wide)
{
    int len = WideCharToMultiByte(CP_UTF8, 0, wide, -1, NULL, 0, NULL, NULL);
    char *out;
    if (len <= 0)
        return NULL;
    out = (char *)malloc((size_t)len);
    if (out != NULL && WideCharToMultiByte(CP_UTF8, 0, wide, -1, out, len, NULL, NULL) != len) {
        free(out);
        out = NULL;
    }
    return out;
}

/* UTF-8 to a malloc'ed UTF-16 string; NULL on failure. */
static wchar_t *wide_from_utf8(const char *text)
{
    int len = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, text, -1, NULL, 0);
    wchar_t *out;
    if (len <= 0)
        return NULL;
    out = (wchar_t *)malloc((size_t)len * sizeof *out);
    if (out != NULL && MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, text, -1, out, len) != len) {
        free(out);
        out = NULL;
    }
    return out;
}

char **cli_utf8_argv(int argc, wchar_t **wargv)
{
    char **argv = (char **)calloc((size_t)argc + 1, sizeof *argv);
    int i;
    if (argv == NULL)
        return NULL;
    for (i = 0; i < argc; i++) {
        argv[i] = utf8_from_wide(wargv[i]);
        if (argv[i] == NULL) {
            cli_free_argv(i, argv);
            return NULL;
        }
    }
    return argv;
}

void cli_free_argv(int argc, char **argv)
{
    int i;
    if (argv == NULL)
        return;
    for (i = 0; i < argc; i++)
        free(argv[i]);
    free(argv);
}

const char *cli_getenv(const char *name)
{
    wchar_t *wide_name = wide_from_utf8(name);
    const wchar_t *value = wide_name != NULL ? _wgetenv(wide_name) : NULL;
    free(wide_name);
    return value != NULL ? utf8_from_wide(value) : NULL;
}

FILE *cli_fopen(const char *path, const char *mode)
{
    wchar_t *wide_path = wide_from_utf8(path);
    wchar_t *wide_mode = wide_from_utf8(mode);
    FILE *file = NULL;
    if (wide_path != NULL && wide_mode != NULL)
        file = _wfopen(wide_path, wide_mode);
    else
        errno = EINVAL;
    free(wide_path);
    free(wide_mode);
    return file;
}
#else
const char *cli_getenv(const char *name)
{
    return getenv(name);
}

FILE *cli_fopen(const char *path, const char *mode)
{
    return fopen(path, mode);
}
#endif

void conn_options_init(struct conn_options *opts)
{
    memset(opts, 0, sizeof *opts);
}

int option_value(int argc, char **argv, int *index, const char *name,
                 const char **value_out)
{
    const char *arg = argv[*index];
    size_t name_len = strlen(name);

    if (strncmp(arg, name, name_len) != 0)
        return 0;
    if (arg[name_len] == '=') { /* --name=VALUE */
        *value_out = arg + name_len + 1;
        return 1;
    }
    if (arg[name_len] != '\0') /* a longer option name, e.g. --to vs --tos */
        return 0;
    if (*index + 1 >= argc) {
        fprintf(stderr, "option %s needs a value\n", name);
        return -1;
    }
    *index += 1;
    *value_out = argv[*index];
    return 1;
}

int parse_port(const char *text, uint16_t *port_out)
{
    char *end = NULL;
    unsigned long value;

    if (text[0] < '0' || text[0] > '9')
        return -1;
    errno = 0;
    value = strtoul(text, &end, 10);
    if (errno != 0 || *end != '\0' || value == 0 || value > 65535)
        return -1;
    *port_out = (uint16_t)value;
    return 0;
}

/* Map a --tls word to the library's mode. Returns 0 on success. */
static int parse_tls_mode(const char *text, smtpc_tls_mode *mode_out)
{
    if (strcmp(text, "none") == 0)
        *mode_out = SMTPC_TLS_NONE;
    else if (strcmp(text, "opportunistic") == 0)
        *mode_out = SMTPC_TLS_STARTTLS_OPPORTUNISTIC;
    else if (strcmp(text, "starttls") == 0)
        *mode_out = SMTPC_TLS_STARTTLS;
    else if (strcmp(text, "implicit") == 0)
        *mode_out = SMTPC_TLS_IMPLICIT;
    else
        return -1;
    return 0;
}

int conn_parse_option(struct conn_options *opts, int argc, char **argv, int *index)
{
    const char *value = NULL;
    int rc;

    if ((rc = option_value(argc, argv, index, "--tls", &value)) != 0) {
        smtpc_tls_mode mode;
        if (rc < 0)
            return -1;
        if (parse_tls_mode(value, &mode) != 0) {
            fprintf(stderr, "--tls: expected none, opportunistic, starttls or implicit, "
                            "not '%s'\n", value);
            return -1;
        }
        opts->tls = value;
        return 1;
    }
    if ((rc = option_value(argc, argv, index, "--ca-file", &value)) != 0) {
        opts->ca_file = value;
        return rc;
    }
    if ((rc = option_value(argc, argv, index, "--user", &value)) != 0) {
        opts->user = value;
        return rc;
    }
    if ((rc = option_value(argc, argv, index, "--password", &value)) != 0) {
        opts->password = value;
        return rc;
    }
    if ((rc = option_value(argc, argv, index, "--helo", &value)) != 0) {
        opts->helo = value;
        return rc;
    }
    if ((rc = option_value(argc, argv, index, "--timeout", &value)) != 0) {
        char *end = NULL;
        if (rc < 0)
            return -1;
        errno = 0;
        opts->timeout_s = strtoul(value, &end, 10);
        if (value[0] < '0' || value[0] > '9' || errno != 0 || *end != '\0' ||
            opts->timeout_s == 0 || opts->timeout_s > 3600) {
            fprintf(stderr, "--timeout: expected 1..3600 seconds, not '%s'\n", value);
            return -1;
        }
        return 1;
    }
    return 0;
}

int conn_finish_options(struct conn_options *opts)
{
    if (opts->password != NULL && opts->user == NULL) {
        fprintf(stderr, "--password given without --user\n");
        return -1;
    }
    if (opts->user != NULL && opts->password == NULL) {
        opts->password = cli_getenv("SMTPC_PASSWORD");
        if (opts->password == NULL) {
            fprintf(stderr, "--user given, but no password: use --password or set "
                            "the environment variable SMTPC_PASSWORD\n");
            return -1;
        }
    }
    return 0;
}

int check_library_version(const char *prog)
{
    if (smtpc_version_number() != SMTPC_VERSION_NUMBER) {
        fprintf(stderr,
                "%s: header/library mismatch: compiled against smtpc %s (%lu) but "
                "running with smtpc %s (%lu)\n",
                prog, SMTPC_VERSION_STRING, (unsigned long)SMTPC_VERSION_NUMBER,
                smtpc_version(), (unsigned long)smtpc_version_number());
        return -1;
    }
    return 0;
}

const char *status_name(smtpc_status status)
{
    switch (status) {
    case SMTPC_OK: return "SMTPC_OK";
    case SMTPC_ERR_NULL_ARGUMENT: return "SMTPC_ERR_NULL_ARGUMENT";
    case SMTPC_ERR_INVALID_ARGUMENT: return "SMTPC_ERR_INVALID_ARGUMENT";
    case SMTPC_ERR_STATE: return "SMTPC_ERR_STATE";
    case SMTPC_ERR_DNS: return "SMTPC_ERR_DNS";
    case SMTPC_ERR_CONNECT: return "SMTPC_ERR_CONNECT";
    case SMTPC_ERR_TIMEOUT: return "SMTPC_ERR_TIMEOUT";
    case SMTPC_ERR_CONNECTION_LOST: return "SMTPC_ERR_CONNECTION_LOST";
    case SMTPC_ERR_IO: return "SMTPC_ERR_IO";
    case SMTPC_ERR_TLS: return "SMTPC_ERR_TLS";
    case SMTPC_ERR_TLS_UNAVAILABLE: return "SMTPC_ERR_TLS_UNAVAILABLE";
    case SMTPC_ERR_PROTOCOL: return "SMTPC_ERR_PROTOCOL";
    case SMTPC_ERR_GREETING_REJECTED: return "SMTPC_ERR_GREETING_REJECTED";
    case SMTPC_ERR_AUTH_FAILED: return "SMTPC_ERR_AUTH_FAILED";
    case SMTPC_ERR_AUTH_UNAVAILABLE: return "SMTPC_ERR_AUTH_UNAVAILABLE";
    case SMTPC_ERR_SENDER_REJECTED: return "SMTPC_ERR_SENDER_REJECTED";
    case SMTPC_ERR_RECIPIENTS_REJECTED: return "SMTPC_ERR_RECIPIENTS_REJECTED";
    case SMTPC_ERR_PARTIAL: return "SMTPC_ERR_PARTIAL";
    case SMTPC_ERR_MESSAGE_REJECTED: return "SMTPC_ERR_MESSAGE_REJECTED";
    case SMTPC_ERR_MESSAGE_TOO_BIG: return "SMTPC_ERR_MESSAGE_TOO_BIG";
    case SMTPC_ERR_UNKNOWN_OUTCOME: return "SMTPC_ERR_UNKNOWN_OUTCOME";
    case SMTPC_ERR_UNSUPPORTED: return "SMTPC_ERR_UNSUPPORTED";
    case SMTPC_ERR_FILE: return "SMTPC_ERR_FILE";
    case SMTPC_ERR_CANCELLED: return "SMTPC_ERR_CANCELLED";
    case SMTPC_ERR_PANIC: return "SMTPC_ERR_PANIC";
    case SMTPC_ERR_NOT_SENT: return "SMTPC_ERR_NOT_SENT";
    case SMTPC_ERR_COMMAND_REJECTED: return "SMTPC_ERR_COMMAND_REJECTED";
    default: return "SMTPC_ERR_?";
    }
}

void print_failure(const char *prog, const char *what, smtpc_status status,
                   const smtpc_client *client)
{
    /* last_error never returns NULL; it may be empty when there is no detail. */
    const char *detail = client != NULL ? smtpc_client_last_error(client) : "";

    fprintf(stderr, "%s: %s failed: %s [%s]%s%s\n", prog, what, smtpc_status_str(status),
            status_name(status), detail[0] != '\0' ? ": " : "", detail);
}

void SMTPC_CALL print_transcript_line(void *user_data, smtpc_log_kind kind, const char *line,
                                      size_t line_len)
{
    FILE *out = (FILE *)user_data;
    const char *prefix;

    switch (kind) {
    case SMTPC_LOG_SENT: prefix = "C: "; break;
    case SMTPC_LOG_RECEIVED: prefix = "S: "; break;
    case SMTPC_LOG_INFO: prefix = "* "; break;
    default: prefix = "? "; break;
    }
    /* The line comes with a length; drop a trailing CRLF if the library kept it. */
    while (line_len > 0 && (line[line_len - 1] == '\n' || line[line_len - 1] == '\r'))
        line_len--;
    fprintf(out, "%s%.*s\n", prefix, (int)line_len, line);
    fflush(out);
}

smtpc_status conn_create_client(const char *prog, const struct conn_options *opts,
                                smtpc_client **client_out)
{
    smtpc_client *client = NULL;
    smtpc_status st;
    const char *step = "smtpc_client_new";

    st = smtpc_client_new(opts->host, opts->port, &client);
    if (st != SMTPC_OK) {
        print_failure(prog, step, st, NULL);
        return st;
    }

    /* Each option is applied in turn; the first failure stops and is reported. */
    step = "smtpc_client_set_log_callback";
    st = smtpc_client_set_log_callback(client, print_transcript_line, stdout);
    if (st == SMTPC_OK && opts->tls != NULL) {
        smtpc_tls_mode mode = SMTPC_TLS_STARTTLS;
        if (parse_tls_mode(opts->tls, &mode) == 0) {
            step = "smtpc_client_set_tls";
            st = smtpc_client_set_tls(client, mode);
        }
    }
    if (st == SMTPC_OK && opts->ca_file != NULL) {
        step = "smtpc_client_set_ca_file";
        st = smtpc_client_set_ca_file(client, opts->ca_file);
    }
    if (st == SMTPC_OK && opts->user != NULL) {
        step = "smtpc_client_set_credentials";
        st = smtpc_client_set_credentials(client, opts->user, opts->password);
    }
    if (st == SMTPC_OK && opts->helo != NULL) {
        step = "smtpc_client_set_helo_name";
        st = smtpc_client_set_helo_name(client, opts->helo);
    }
    if (st == SMTPC_OK && opts->timeout_s != 0) {
        uint32_t ms = (uint32_t)(opts->timeout_s * 1000u);
        step = "smtpc_client_set_timeout_ms";
        st = smtpc_client_set_timeout_ms(client, ms, ms);
    }
    if (st != SMTPC_OK) {
        print_failure(prog, step, st, client);
        smtpc_client_free(client);
        return st;
    }
    *client_out = client;
    return SMTPC_OK;
}

void print_report(const smtpc_report *report)
{
    size_t count = smtpc_report_recipient_count(report);
    size_t i;

    printf("Report:\n");
    for (i = 0; i < count; i++) {
        const char *address = NULL;
        const char *text = NULL;
        uint32_t code = 0;
        smtpc_status st = smtpc_report_recipient(report, i, &address, &code, &text);

        if (st != SMTPC_OK) {
            printf("  recipient %lu: (unavailable: %s)\n", (unsigned long)i,
                   smtpc_status_str(st));
            continue;
        }
        printf("  %-40s %s %lu %s\n", address, code >= 200 && code < 300 ? "OK    " : "FAILED",
               (unsigned long)code, text);
    }
    if (smtpc_report_final_code(report) != 0)
        printf("  message data: %lu %s\n", (unsigned long)smtpc_report_final_code(report),
               smtpc_report_final_reply(report));
    else
        printf("  message data: not sent\n");
}

int exit_code_for_send(smtpc_status status)
{
    if (status == SMTPC_OK)
        return EXIT_SEND_OK;
    if (status == SMTPC_ERR_PARTIAL)
        return EXIT_PARTIAL;
    return EXIT_SEND_FAILED;
}
