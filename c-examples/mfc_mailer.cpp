/*
 * mfc_mailer - the classic MFC "Mailer" dialog (a Server, From, To and Message
 * field and an OK button that sends the mail) rewritten on smtpc.hpp.
 *
 * The old dialog's OK handler wrote EHLO, MAIL FROM, RCPT TO, DATA, the text and
 * QUIT into a socket to port 25, reading "a reply" between lines without looking
 * at it, so a refused recipient, a full mailbox or a server that wanted
 * authentication all looked like success, and a failed connect was reported and
 * then ignored. Here the same fields go to the library, which runs the session:
 * every reply is checked, TLS and AUTH are negotiated, the message is a correct
 * RFC 5322 mail, and every recipient's result is shown.
 *
 * The dialog becomes a class with the dialog's fields (plus the port, TLS mode,
 * CA file and credentials a real server needs); OnOk() is the OK button: check
 * the fields, connect, send, tell the user what happened. Telling the user is
 * printing here (the SMTP transcript and the report on stdout, errors on stderr),
 * where the dialog would show a message box.
 *
 *   mfc_mailer --server HOST [--port N] [--tls MODE] [--ca-file PEM]
 *              [--user USER [--password PASS]] --from ADDR --to ADDR...
 *              [--subject TEXT] [--message TEXT]
 *
 * The password can come from the environment variable SMTPC_PASSWORD instead of
 * the command line, where any user could read it with `ps`.
 *
 * Exit status (as smtpc_send): 0 sent to every recipient, 1 failure, 2 usage
 * error (including fields the dialog would refuse), 3 accepted for some
 * recipients only.
 *
 * Standard C++11 only (no POSIX or Windows calls), so it builds with MinGW and
 * MSVC as well. On Windows, argv is in the ANSI code page while the library wants
 * UTF-8: a Windows build that must accept non-ASCII names should take its
 * arguments from wmain / GetCommandLineW and convert them to UTF-8 first.
 */
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "smtpc.hpp"

namespace {

const char PROG[] = "mfc_mailer";

/* Exit codes, as in c-examples/cli_common.h. */
enum ExitCode { EXIT_SENT = 0, EXIT_FAILED = 1, EXIT_USAGE_ERROR = 2, EXIT_SOME_RECIPIENTS = 3 };

/* Splits a "To" field the way a dialog user types it: addresses separated by
 * ',' or ';', with optional white space around them. */
std::vector<std::string> split_addresses(const std::string &field)
{
    std::vector<std::string> out;
    std::string current;
    for (std::size_t i = 0; i <= field.size(); ++i) {
        char ch = i < field.size() ? field[i] : ',';
        if (ch == ',' || ch == ';') {
            std::size_t b = current.find_first_not_of(" \t");
            std::size_t e = current.find_last_not_of(" \t");
            if (b != std::string::npos)
                out.push_back(current.substr(b, e - b + 1));
            current.clear();
        } else {
            current += ch;
        }
    }
    return out;
}

/* The mail dialog: its fields and its OK button. */
class MailerDialog {
public:
    // The dialog's fields (in MFC: the DDX members filled by UpdateData).
    std::string m_server;     // mail server: host name or IP address
    std::string m_from;       // sender address
    std::string m_to;         // recipients, separated by ',' or ';'
    std::string m_message;    // the text of the mail
    // What a real server needs besides.
    std::string m_subject;    // empty: a default subject
    unsigned long m_port;     // 1..65535
    std::string m_tls;        // "none", "opportunistic", "starttls", "implicit"; empty: by port
    std::string m_caFile;     // PEM file of trusted CAs; empty: the system store
    std::string m_user;       // empty: no AUTH
    std::string m_password;

    MailerDialog() : m_port(25) {}

    /* The OK button. Returns the exit code. */
    int OnOk()
    {
        // 1. The fields, as the dialog's validation would check them.
        std::vector<std::string> recipients = split_addresses(m_to);
        if (!ValidateFields(recipients))
            return EXIT_USAGE_ERROR;

        // 2. The message: an error here is a malformed address or a line break
        //    where none may be; nothing has been sent.
        smtpc::Message message;
        try {
            message.set_from(m_from);
            for (std::size_t i = 0; i < recipients.size(); ++i)
                message.add_to(recipients[i]);
            message.set_subject(m_subject.empty() ? std::string("Message from mfc_mailer") : m_subject);
            message.set_text(m_message);
            message.add_header("X-Mailer", "mfc_mailer (smtpc " SMTPC_VERSION_STRING ")");
        } catch (const smtpc::Error &e) {
            ShowError("The message could not be built", e);
            return EXIT_FAILED;
        }

        // 3. The session. Connecting first (send would do it on demand) tells
        //    "cannot reach or log in to the server" from "the server refused
        //    the mail".
        try {
            smtpc::Client client(m_server, static_cast<std::uint16_t>(m_port));
            client.set_log_callback(PrintTranscriptLine);
            if (!m_tls.empty())
                client.set_tls(SelectedTlsMode());
            if (!m_caFile.empty())
                client.set_ca_file(m_caFile);
            if (!m_user.empty())
                client.set_credentials(m_user, m_password);

            try {
                client.connect();
            } catch (const smtpc::Error &e) {
                ShowError("Can't connect to the server " + m_server + " port " +
                              std::to_string(m_port),
                          e);
                return EXIT_FAILED;
            }

            int result = Send(client, message, recipients.size());

            // 4. End the session politely; a failing QUIT does not undo a delivery.
            try {
                client.quit();
            } catch (const smtpc::Error &e) {
                ShowError("QUIT failed (this does not change the result above)", e);
            }
            return result;
        } catch (const smtpc::Error &e) {
            // An option the library refused (e.g. an unreadable CA file).
            ShowError("The connection could not be set up", e);
            return EXIT_FAILED;
        }
    }

private:
    /* Checks the fields; tells the user about every problem at once. */
    bool ValidateFields(const std::vector<std::string> &recipients) const
    {
        std::vector<std::string> problems;
        if (m_server.empty())
            problems.push_back("Server is empty.");
        if (m_port == 0 || m_port > 65535)
            problems.push_back("Port must be 1..65535.");
        if (m_from.empty())
            problems.push_back("From is empty.");
        if (recipients.empty())
            problems.push_back("To is empty.");
        if (!m_tls.empty() && m_tls != "none" && m_tls != "opportunistic" && m_tls != "starttls" &&
            m_tls != "implicit")
            problems.push_back("TLS must be none, opportunistic, starttls or implicit.");
        if (!m_user.empty() && m_password.empty())
            problems.push_back("A user is given but no password (--password or SMTPC_PASSWORD).");
        if (m_user.empty() && !m_password.empty())
            problems.push_back("A password is given but no user.");
        for (std::size_t i = 0; i < problems.size(); ++i)
            std::cerr << PROG << ": " << problems[i] << "\n";
        return problems.empty();
    }

    smtpc::TlsMode SelectedTlsMode() const
    {
        if (m_tls == "none")
            return smtpc::TlsMode::none;
        if (m_tls == "opportunistic")
            return smtpc::TlsMode::starttls_opportunistic;
        if (m_tls == "implicit")
            return smtpc::TlsMode::implicit;
        return smtpc::TlsMode::starttls;
    }

    /* Sends and tells the user the outcome. */
    int Send(smtpc::Client &client, const smtpc::Message &message, std::size_t recipient_count) const
    {
        try {
            smtpc::Report report = client.send(message);
            PrintReport(report);
            std::cout << "Mail sent to " << recipient_count << " recipient(s).\n";
            return EXIT_SENT;
        } catch (const smtpc::Error &e) {
            // A report exists after failures that happened once the recipients
            // were given: it says who got the mail and who did not.
            if (e.report() != nullptr)
                PrintReport(*e.report());
            switch (e.status()) {
            case SMTPC_ERR_PARTIAL:
                ShowError("The mail was accepted for some recipients only", e);
                return EXIT_SOME_RECIPIENTS;
            case SMTPC_ERR_UNKNOWN_OUTCOME:
                ShowError("The connection broke after the whole mail was sent: it may have been "
                          "delivered; check before sending it again",
                          e);
                return EXIT_FAILED;
            default:
                ShowError("The mail was not sent", e);
                return EXIT_FAILED;
            }
        }
    }

    /* The dialog's error box: what failed, why, and the server's own words. */
    static void ShowError(const std::string &what, const smtpc::Error &e)
    {
        std::cerr << PROG << ": " << what << ": " << smtpc::status_str(e.status()) << " ["
                  << e.status_name() << "]";
        if (!e.detail().empty())
            std::cerr << ": " << e.detail();
        std::cerr << "\n";
        // The refusing reply (a 2xx here is the reply to the data of a partial
        // delivery: the report above already shows it).
        if (e.reply_code() >= 400)
            std::cerr << PROG << ": the server's reply: " << e.reply() << "\n";
    }

    /* The transcript ("status window"): C: sent, S: received, * info. */
    static void PrintTranscriptLine(smtpc::LogKind kind, const std::string &line)
    {
        const char *prefix = kind == smtpc::LogKind::sent ? "C: "
                             : kind == smtpc::LogKind::received ? "S: "
                                                                 : "* ";
        std::cout << prefix << line << std::endl;
    }

    static void PrintReport(const smtpc::Report &report)
    {
        std::vector<smtpc::RecipientResult> all = report.recipients();
        std::cout << "Report:\n";
        for (std::size_t i = 0; i < all.size(); ++i) {
            std::string address = all[i].address;
            if (address.size() < 40)
                address.resize(40, ' ');
            std::cout << "  " << address << " " << (all[i].ok() ? "OK    " : "FAILED") << " "
                      << all[i].code << " " << all[i].text << "\n";
        }
        if (report.final_code() != 0)
            std::cout << "  message data: " << report.final_code() << " " << report.final_reply() << "\n";
        else
            std::cout << "  message data: not sent\n";
    }
};

void usage(std::ostream &out)
{
    out << "Usage: " << PROG
        << " --server HOST [options] --from ADDR --to ADDR [--to ADDR...]\n"
           "\n"
           "Send a text mail through the SMTP server HOST, like the OK button of the\n"
           "old MFC mailer dialog, printing the SMTP transcript and each recipient's\n"
           "result.\n"
           "\n"
           "Fields:\n"
           "  --server HOST     mail server (name or IP address); required\n"
           "  --port N          port (default 25; 587 submission, 465 SMTPS)\n"
           "  --tls MODE        none | opportunistic | starttls | implicit\n"
           "                    (default: implicit on port 465, starttls otherwise)\n"
           "  --ca-file PEM     also trust the CA certificates in PEM\n"
           "  --user USER       authenticate as USER\n"
           "  --password PASS   password for --user; better: set SMTPC_PASSWORD instead\n"
           "  --from ADDR       sender address; required\n"
           "  --to ADDR         recipient(s), separated by ',' or ';'; may be repeated\n"
           "  --subject TEXT    subject (UTF-8)\n"
           "  --message TEXT    the text of the mail (UTF-8)\n"
           "  -h, --help        show this help\n"
           "\n"
           "Exit status: 0 sent, 1 failed, 2 usage error, 3 accepted for some\n"
           "recipients only.\n";
}

/* If argv[*i] is option `name` ("--from VALUE" or "--from=VALUE"), stores the
 * value and returns 1; 0 if it is another argument; -1 if the value is missing. */
int option_value(int argc, char **argv, int *i, const char *name, std::string *value)
{
    const char *arg = argv[*i];
    std::size_t len = std::strlen(name);
    if (std::strncmp(arg, name, len) != 0)
        return 0;
    if (arg[len] == '=') {
        *value = arg + len + 1;
        return 1;
    }
    if (arg[len] != '\0')
        return 0;
    if (*i + 1 >= argc) {
        std::cerr << PROG << ": option " << name << " needs a value\n";
        return -1;
    }
    *i += 1;
    *value = argv[*i];
    return 1;
}

bool parse_port(const std::string &text, unsigned long *port)
{
    if (text.empty() || text[0] < '0' || text[0] > '9')
        return false;
    char *end = nullptr;
    errno = 0;
    unsigned long value = std::strtoul(text.c_str(), &end, 10);
    if (errno != 0 || *end != '\0' || value == 0 || value > 65535)
        return false;
    *port = value;
    return true;
}

int usage_error()
{
    std::cerr << "Try '" << PROG << " --help'.\n";
    return EXIT_USAGE_ERROR;
}

int run(int argc, char **argv)
{
    if (!smtpc::header_matches_library()) {
        std::cerr << PROG << ": header/library mismatch: compiled against smtpc "
                  << SMTPC_VERSION_STRING << " but running with smtpc " << smtpc::version() << "\n";
        return EXIT_FAILED;
    }

    MailerDialog dialog;
    std::string port_text;
    bool password_given = false;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "-h" || arg == "--help") {
            usage(std::cout);
            return EXIT_SENT;
        }
        std::string to;
        int rc = 0;
        if (rc == 0) rc = option_value(argc, argv, &i, "--server", &dialog.m_server);
        if (rc == 0) rc = option_value(argc, argv, &i, "--port", &port_text);
        if (rc == 0) rc = option_value(argc, argv, &i, "--tls", &dialog.m_tls);
        if (rc == 0) rc = option_value(argc, argv, &i, "--ca-file", &dialog.m_caFile);
        if (rc == 0) rc = option_value(argc, argv, &i, "--user", &dialog.m_user);
        if (rc == 0 && (rc = option_value(argc, argv, &i, "--password", &dialog.m_password)) > 0)
            password_given = true;
        if (rc == 0) rc = option_value(argc, argv, &i, "--from", &dialog.m_from);
        if (rc == 0 && (rc = option_value(argc, argv, &i, "--to", &to)) > 0)
            dialog.m_to += (dialog.m_to.empty() ? "" : ",") + to;
        if (rc == 0) rc = option_value(argc, argv, &i, "--subject", &dialog.m_subject);
        if (rc == 0) rc = option_value(argc, argv, &i, "--message", &dialog.m_message);
        if (rc < 0)
            return usage_error();
        if (rc == 0) {
            std::cerr << PROG << ": unknown argument: " << arg << "\n";
            return usage_error();
        }
    }
    if (!port_text.empty() && !parse_port(port_text, &dialog.m_port)) {
        std::cerr << PROG << ": invalid port: " << port_text << "\n";
        return usage_error();
    }
    if (!dialog.m_user.empty() && !password_given) {
        const char *env = std::getenv("SMTPC_PASSWORD");
        if (env != nullptr)
            dialog.m_password = env;
    }
    if (dialog.m_message.empty())
        dialog.m_message = "Hello,\n\nthis is a test message sent by mfc_mailer with smtpc " +
                           smtpc::version() + ".\n";
    int result = dialog.OnOk();
    return result == EXIT_USAGE_ERROR ? usage_error() : result;
}

} // namespace

int main(int argc, char **argv)
{
    try {
        return run(argc, argv);
    } catch (const std::exception &e) { // e.g. std::bad_alloc; smtpc::Error is handled in OnOk
        std::cerr << PROG << ": " << e.what() << "\n";
        return EXIT_FAILED;
    }
}
