// header_cxx - proves include/smtpc.h is usable from C++ (C++11, -pedantic):
// extern "C" linkage, the typedefs and constants, callbacks as plain functions,
// and the handles owned by std::unique_ptr with the library's _free functions.
//
// Needs no server: it builds a message and configures a client without
// connecting. Prints "header_cxx: OK" and exits 0 when every check held.

#include "smtpc.h"

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

namespace {

struct ClientDeleter {
    void operator()(smtpc_client *c) const { smtpc_client_free(c); }
};
struct MessageDeleter {
    void operator()(smtpc_message *m) const { smtpc_message_free(m); }
};
struct ReportDeleter {
    void operator()(smtpc_report *r) const { smtpc_report_free(r); }
};
typedef std::unique_ptr<smtpc_client, ClientDeleter> Client;
typedef std::unique_ptr<smtpc_message, MessageDeleter> Message;
typedef std::unique_ptr<smtpc_report, ReportDeleter> Report;

int failures = 0;

void check(bool ok, const char *what, int line)
{
    if (!ok) {
        ++failures;
        std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, line, what);
    }
}
#define CHECK(expr) check((expr), #expr, __LINE__)

// Callbacks are ordinary functions with C-compatible signatures.
extern "C" void log_line(void *user_data, smtpc_log_kind kind, const char *line, size_t len)
{
    std::string *sink = static_cast<std::string *>(user_data);
    sink->append(kind == SMTPC_LOG_SENT ? "C: " : "S: ");
    sink->append(line, len);
}

extern "C" int progress(void *, uint64_t, uint64_t) { return 0; }

} // namespace

int main()
{
    CHECK(smtpc_version_number() == SMTPC_VERSION_NUMBER);
    CHECK(std::string(smtpc_version()) == SMTPC_VERSION_STRING);
    CHECK(std::strlen(smtpc_status_str(SMTPC_ERR_AUTH_FAILED)) > 0);

    smtpc_message *raw_message = nullptr;
    CHECK(smtpc_message_new(&raw_message) == SMTPC_OK);
    Message message(raw_message);
    CHECK(smtpc_message_set_from(message.get(), "C++ Test", "cxx@example.test") == SMTPC_OK);
    CHECK(smtpc_message_add_to(message.get(), nullptr, "to@example.test") == SMTPC_OK);
    CHECK(smtpc_message_set_subject(message.get(), u8"Grüße aus C++") == SMTPC_OK);
    CHECK(smtpc_message_set_text(message.get(), "Hello from C++.\n") == SMTPC_OK);
    const uint8_t bytes[] = {0x00, 0x01, 0xfe, 0xff};
    CHECK(smtpc_message_attach_data(message.get(), bytes, sizeof bytes, "bytes.bin",
                                    "application/octet-stream") == SMTPC_OK);
    CHECK(smtpc_message_set_subject(message.get(), "injected\r\nBcc: x@example.test") ==
          SMTPC_ERR_INVALID_ARGUMENT);

    smtpc_client *raw_client = nullptr;
    CHECK(smtpc_client_new("127.0.0.1", 25, &raw_client) == SMTPC_OK);
    Client client(raw_client);
    std::string transcript;
    CHECK(smtpc_client_set_log_callback(client.get(), log_line, &transcript) == SMTPC_OK);
    CHECK(smtpc_client_set_progress_callback(client.get(), progress, nullptr) == SMTPC_OK);
    CHECK(smtpc_client_set_tls(client.get(), SMTPC_TLS_STARTTLS) == SMTPC_OK);
    CHECK(smtpc_client_set_timeout_ms(client.get(), 1000, 1000) == SMTPC_OK);
    CHECK(smtpc_client_last_reply_code(client.get()) == 0);
    CHECK(smtpc_client_last_reply(client.get()) != nullptr);
    CHECK(!smtpc_client_has_extension(client.get(), "PIPELINING")); // not connected

    CHECK(smtpc_client_new(nullptr, 25, &raw_client) == SMTPC_ERR_NULL_ARGUMENT);
    CHECK(smtpc_client_send(nullptr, message.get(), nullptr) == SMTPC_ERR_NULL_ARGUMENT);
    Report no_report(nullptr); // _free(NULL) is a no-op

    if (failures != 0) {
        std::printf("header_cxx: FAILED (%d)\n", failures);
        return 1;
    }
    std::printf("header_cxx: OK\n");
    return 0;
}
