// wrapper_test - include/smtpc.hpp against a real server.
//
//   wrapper_test HOST PLAIN_PORT NOCHUNK_PORT SMTPS_PORT USER PASSWORD FROM
//                RCPT1 RCPT2 RCPT3 REJECTED ETRN_DOMAIN ATTACHMENT EML_OUT
//
// PLAIN_PORT offers CHUNKING, NOCHUNK_PORT does not; both accept AUTH without
// TLS. SMTPS_PORT expects TLS from the first byte (used to make connect() block
// so that another thread can cancel it). REJECTED is refused with 550 5.1.1.
// ATTACHMENT is a file to attach; EML_OUT is where Message::write_file writes.
//
// What the caller must find delivered (and nothing more):
//   RCPT1: "wrapper_test attachment" (ATTACHMENT as "données.bin" and 1024
//          bytes 0..255 x4 as "table.bin") and "wrapper_test moved"
//   RCPT2: "wrapper_test partial" and "wrapper_test raw"
//   RCPT3: "wrapper_test batch" twice (BDAT) and "wrapper_test batch nochunk"
// Every cancelled or callback-aborted send goes to RCPT3 too, so a send that
// should not have delivered shows up as a fourth message there.
//
// Prints "wrapper_test: OK (N checks)" and exits 0 only if every check held.

#include "smtpc.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

// From second_tu.cpp: the header included in a second translation unit links.
std::string second_tu_status_name(smtpc_status status);

namespace {

unsigned checks_run = 0;
unsigned checks_failed = 0;

bool check_at(bool ok, const char *file, int line, const std::string &what)
{
    ++checks_run;
    if (!ok) {
        ++checks_failed;
        std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", file, line, what.c_str());
    }
    return ok;
}
#define CHECK(expr) check_at((expr) ? true : false, __FILE__, __LINE__, #expr)

const smtpc_status NOTHING_THROWN = 0xFFFFFFFFu;

// Runs `f`; returns the status of the smtpc::Error it threw, NOTHING_THROWN when
// it returned. Other exceptions propagate (and fail the test).
smtpc_status thrown_status(const std::function<void()> &f)
{
    try {
        f();
    } catch (const smtpc::Error &e) {
        return e.status();
    }
    return NOTHING_THROWN;
}

bool expect_error_at(const std::function<void()> &f, smtpc_status want, const char *file, int line,
                     const char *what)
{
    smtpc_status got = NOTHING_THROWN;
    std::string text;
    try {
        f();
    } catch (const smtpc::Error &e) {
        got = e.status();
        text = e.what();
    }
    bool ok = got == want;
    std::string message = std::string(what) + " throws " + smtpc::status_name(want);
    if (!ok)
        message += got == NOTHING_THROWN ? std::string(" (nothing thrown)")
                                         : " (threw " + std::string(smtpc::status_name(got)) + ": " + text + ")";
    return check_at(ok, file, line, message);
}
#define EXPECT_ERROR(stmt, want) expect_error_at([&]() { stmt; }, (want), __FILE__, __LINE__, #stmt)

bool starts_with(const std::string &s, const std::string &prefix)
{
    return s.compare(0, prefix.size(), prefix) == 0;
}

bool contains(const std::string &s, const std::string &part) { return s.find(part) != std::string::npos; }

struct Args {
    std::string host, user, password, from, rcpt1, rcpt2, rcpt3, rejected, etrn_domain, attachment,
        eml_out;
    std::uint16_t plain_port, nochunk_port, smtps_port;
};

// A client on `port` with AUTH over plaintext and a transcript kept in `log`.
smtpc::Client make_client(const Args &a, std::uint16_t port, std::vector<std::string> *log)
{
    smtpc::Client c(a.host, port);
    c.set_tls(smtpc::TlsMode::none).set_credentials(a.user, a.password).set_timeout_ms(5000, 30000);
    if (log != nullptr)
        c.set_log_callback([log](smtpc::LogKind kind, const std::string &line) {
            log->push_back((kind == smtpc::LogKind::sent ? "C: " : kind == smtpc::LogKind::received ? "S: " : "* ") +
                           line);
        });
    return c; // moved out: the callback state travels with it
}

smtpc::Message simple_message(const Args &a, const std::string &to, const std::string &subject)
{
    smtpc::Message m;
    m.set_from(a.from).add_to(to).set_subject(subject).set_text("wrapper_test message\n");
    return m;
}

std::string table_bytes()
{
    std::string bytes;
    for (int round = 0; round < 4; ++round)
        for (int i = 0; i < 256; ++i)
            bytes.push_back(static_cast<char>(i));
    return bytes;
}

// ---------------------------------------------------------------------------

void built_message_with_attachment(const Args &a)
{
    std::vector<std::string> log;
    smtpc::Client c = make_client(a, a.plain_port, &log);
    smtpc::Message m;
#ifdef SMTPC_HPP_HAS_STRING_VIEW
    // A string_view that is not NUL-terminated where it ends: str_arg copies it.
    std::string_view subject = std::string_view("wrapper_test attachment (and more)").substr(0, 23);
    m.set_subject(subject);
#else
    m.set_subject(std::string("wrapper_test attachment"));
#endif
    m.set_from("José Müller", a.from)
        .add_to("张伟", a.rcpt1)
        .set_text("Hello from C++.\nA second line.\n.\nA line with only a dot is above.\n")
        .set_html("<p>Hello from <b>C++</b>.</p>\n")
        .add_header("X-Mailer", "smtpc wrapper_test")
        .attach_file(a.attachment, "données.bin", "application/octet-stream")
        .attach_data(table_bytes(), "table.bin");
    m.set_dsn(smtpc::DsnRet::headers, "wrapper-test-1").set_dsn_notify(a.rcpt1, SMTPC_DSN_NOTIFY_FAILURE | SMTPC_DSN_NOTIFY_DELAY);
    CHECK(m.last_error().empty());

    // Builder errors: thrown with the library's text, the message unchanged.
    EXPECT_ERROR(m.set_subject("injected\r\nBcc: x@example.test"), SMTPC_ERR_INVALID_ARGUMENT);
    try {
        m.set_dsn(static_cast<smtpc::DsnRet>(7));
        CHECK(!"set_dsn(7) did not throw");
    } catch (const smtpc::Error &e) {
        CHECK(e.status() == SMTPC_ERR_INVALID_ARGUMENT);
        CHECK(starts_with(e.detail(), "smtpc_message_set_dsn: "));
        CHECK(starts_with(e.what(), "smtpc::Message::set_dsn: "));
        CHECK(contains(e.what(), "[SMTPC_ERR_INVALID_ARGUMENT]"));
        CHECK(e.report() == nullptr && e.reports().empty() && e.reply_code() == 0);
    }
    EXPECT_ERROR(m.set_dsn_notify("stranger@example.test", SMTPC_DSN_NOTIFY_SUCCESS), SMTPC_ERR_INVALID_ARGUMENT);
    // A NUL inside a std::string would cut the string in C: refused instead.
    EXPECT_ERROR(m.add_header("X-Test", std::string("a\0b", 3)), SMTPC_ERR_INVALID_ARGUMENT);

    m.write_file(a.eml_out);
    {
        std::ifstream in(a.eml_out.c_str(), std::ios::binary);
        std::string eml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        CHECK(contains(eml, "Subject: wrapper_test attachment\r\n"));
        CHECK(contains(eml, "X-Mailer: smtpc wrapper_test\r\n"));
    }
    EXPECT_ERROR(m.write_file("/nonexistent-dir/x.eml"), SMTPC_ERR_FILE);
    // A missing attachment is found when the message is written or sent.
    smtpc::Message missing = simple_message(a, a.rcpt1, "never written");
    missing.attach_file("/nonexistent/file.bin");
    try {
        missing.write_file(a.eml_out + ".missing");
        CHECK(!"write_file with a missing attachment did not throw");
    } catch (const smtpc::Error &e) {
        CHECK(e.status() == SMTPC_ERR_FILE);
        CHECK(contains(e.detail(), "/nonexistent/file.bin"));
        CHECK(e.detail() == missing.last_error());
    }

    c.connect();
    CHECK(c.has_extension("PIPELINING"));
    CHECK(c.has_extension("chunking"));
    smtpc::Report r = c.send(m);
    CHECK(r.ok());
    CHECK(r.status() == SMTPC_OK);
    CHECK(r.error().empty());
    CHECK(r.final_code() == 250);
    CHECK(r.final_enhanced() == "2.0.0");
    CHECK(starts_with(r.final_reply(), "2.0.0 "));
    std::vector<smtpc::RecipientResult> all = r.recipients();
    CHECK(all.size() == 1);
    if (all.size() == 1) {
        CHECK(all[0].address == a.rcpt1);
        CHECK(all[0].code == 250 && all[0].enhanced == "2.1.5" && all[0].ok());
    }
    EXPECT_ERROR(r.recipient(5), SMTPC_ERR_INVALID_ARGUMENT);
    CHECK(c.last_reply_code() == 250);
    CHECK(c.last_error().empty());
    c.noop();
    c.reset();
    std::uint32_t vrfy = 0;
    CHECK(thrown_status([&]() { vrfy = c.verify(a.rcpt1); }) == NOTHING_THROWN);
    CHECK(vrfy >= 250 && vrfy <= 252);
    c.quit();

    // The transcript came through the std::function; no secret in it.
    bool auth_masked = false, password_seen = false;
    for (std::size_t i = 0; i < log.size(); ++i) {
        auth_masked = auth_masked || log[i] == "C: AUTH PLAIN ***";
        password_seen = password_seen || contains(log[i], a.password);
    }
    CHECK(auth_masked);
    CHECK(!password_seen);
}

void partial_send_throws_with_report(const Args &a)
{
    smtpc::Client c = make_client(a, a.plain_port, nullptr);
    smtpc::Message m;
    m.set_from(a.from).add_to(a.rcpt2).add_to(a.rejected).set_subject("wrapper_test partial").set_text("partial\n");

    smtpc::Error saved(SMTPC_OK, "none yet");
    try {
        c.send(m);
        CHECK(!"a partial send did not throw");
    } catch (const smtpc::Error &e) {
        CHECK(e.status() == SMTPC_ERR_PARTIAL);
        CHECK(std::string(e.status_name()) == "SMTPC_ERR_PARTIAL");
        CHECK(contains(e.what(), "[SMTPC_ERR_PARTIAL]"));
        CHECK(!e.detail().empty());
        CHECK(e.report() != nullptr && e.reports().size() == 1);
        saved = e; // copies share the report
    }
    const smtpc::Report *r = saved.report();
    CHECK(r != nullptr);
    if (r != nullptr) {
        CHECK(r->status() == SMTPC_ERR_PARTIAL && !r->ok());
        CHECK(r->final_code() == 250);
        std::vector<smtpc::RecipientResult> all = r->recipients();
        CHECK(all.size() == 2);
        if (all.size() == 2) {
            CHECK(all[0].address == a.rcpt2 && all[0].ok() && all[0].code == 250);
            CHECK(all[1].address == a.rejected && all[1].code == 550);
            CHECK(all[1].enhanced == "5.1.1");
            CHECK(all[1].status == SMTPC_ERR_RECIPIENTS_REJECTED && !all[1].ok());
            CHECK(smtpc::reply_is_permanent(all[1].code));
        }
    }

    // Every recipient refused: no delivery, a report; no recipient: no report.
    smtpc::Message none = simple_message(a, a.rejected, "never delivered");
    try {
        c.send(none);
        CHECK(!"an all-refused send did not throw");
    } catch (const smtpc::Error &e) {
        CHECK(e.status() == SMTPC_ERR_RECIPIENTS_REJECTED);
        CHECK(e.report() != nullptr && e.report()->recipient_count() == 1);
        CHECK(e.reply_code() == 550 && e.reply_enhanced() == "5.1.1" && e.is_permanent());
    }
    smtpc::Message nobody;
    nobody.set_from(a.from).set_subject("no recipient");
    try {
        c.send(nobody);
        CHECK(!"a send without recipients did not throw");
    } catch (const smtpc::Error &e) {
        CHECK(e.status() == SMTPC_ERR_INVALID_ARGUMENT);
        CHECK(e.report() == nullptr);
    }

    // send_raw: dot lines survive, report like send.
    std::string raw = "From: <" + a.from + ">\nTo: <" + a.rcpt2 +
                      ">\nSubject: wrapper_test raw\n\n.leading dot\n.\nlast line\n";
    smtpc::Report rr = c.send_raw(a.from, {a.rcpt2}, raw);
    CHECK(rr.ok() && rr.recipient_count() == 1);
    EXPECT_ERROR(c.send_raw(a.from, std::vector<std::string>(), raw), SMTPC_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR(c.send_raw(a.from, {std::string("x\0y@example.test", 16)}, raw), SMTPC_ERR_INVALID_ARGUMENT);
}

void batch(const Args &a)
{
    smtpc::Client c = make_client(a, a.plain_port, nullptr);
    smtpc::Message ok = simple_message(a, a.rcpt3, "wrapper_test batch");
    smtpc::Message refused = simple_message(a, a.rejected, "wrapper_test batch refused");

    // A refused message does not throw and does not stop the batch.
    std::vector<smtpc::Report> reports;
    CHECK(thrown_status([&]() { reports = c.send_batch({&ok, &refused, &ok}); }) == NOTHING_THROWN);
    CHECK(reports.size() == 3);
    if (reports.size() == 3) {
        CHECK(reports[0].ok() && reports[2].ok());
        CHECK(reports[1].status() == SMTPC_ERR_RECIPIENTS_REJECTED);
        CHECK(contains(reports[1].error(), "refused every recipient"));
        CHECK(reports[1].recipient(0).enhanced == "5.1.1");
    }
    CHECK(starts_with(c.last_error(), "message 2 of 3: "));

    // Nothing attempted: these throw, and the options stay fixed while connected.
    EXPECT_ERROR(c.send_batch(std::vector<const smtpc::Message *>()), SMTPC_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR(c.send_batch({&ok, nullptr}), SMTPC_ERR_NULL_ARGUMENT);
    EXPECT_ERROR(c.set_chunking(false), SMTPC_ERR_STATE);
    c.quit();

    // The std::vector<Message> overload, over DATA (no CHUNKING on this port).
    smtpc::Client d = make_client(a, a.nochunk_port, nullptr);
    std::vector<smtpc::Message> list;
    list.push_back(simple_message(a, a.rcpt3, "wrapper_test batch nochunk"));
    std::vector<smtpc::Report> more = d.send_batch(list);
    CHECK(more.size() == 1 && more[0].ok());
    CHECK(!d.has_extension("CHUNKING"));
}

void move_semantics(const Args &a)
{
    // Message: the moved-from object is empty, safe, and refuses work.
    smtpc::Message m1 = simple_message(a, a.rcpt1, "wrapper_test moved");
    smtpc_message *handle = m1.get();
    smtpc::Message m2(std::move(m1));
    CHECK(!m1 && m1.get() == nullptr && m2.get() == handle);
    CHECK(m1.last_error().empty());
    EXPECT_ERROR(m1.set_subject("x"), SMTPC_ERR_NULL_ARGUMENT);
    smtpc::Message m3;
    m3 = std::move(m2); // frees m3's own message
    CHECK(!m2 && m3.get() == handle);
    smtpc::Message &alias = m3;
    m3 = std::move(alias); // self-move keeps it
    CHECK(m3.get() == handle);

    // Client: the session and the callbacks move together.
    std::vector<std::string> log;
    smtpc::Client c1 = make_client(a, a.plain_port, &log);
    c1.connect();
    smtpc::Client c2(std::move(c1));
    CHECK(!c1 && c2);
    c1.cancel(); // no-op on an empty client
    CHECK(c1.last_error().empty() && c1.last_reply_code() == 0 && !c1.has_extension("SIZE"));
    EXPECT_ERROR(c1.connect(), SMTPC_ERR_NULL_ARGUMENT);
    EXPECT_ERROR(c1.set_log_callback(nullptr), SMTPC_ERR_NULL_ARGUMENT);
    EXPECT_ERROR(c1.set_timeout_ms(1, 1), SMTPC_ERR_NULL_ARGUMENT);
    std::size_t before = log.size();
    smtpc::Client c3(a.host, a.plain_port); // replaced (and freed) by the assignment
    c3 = std::move(c2);
    smtpc::Report r1 = c3.send(m3);
    CHECK(r1.ok());
    CHECK(log.size() > before); // the callback state survived two moves

    // Report: moved-from answers like NULL in C.
    smtpc::Report r2(std::move(r1));
    CHECK(r1.empty() && !r1 && r2.ok());
    CHECK(r1.status() == SMTPC_ERR_NULL_ARGUMENT && r1.recipient_count() == 0 && r1.error().empty() &&
          r1.final_code() == 0 && r1.recipients().empty());
    EXPECT_ERROR(r1.recipient(0), SMTPC_ERR_NULL_ARGUMENT);
    smtpc::Report r3;
    r3 = std::move(r2);
    CHECK(r3.ok() && r2.empty());
    smtpc_report *raw = r3.release();
    CHECK(raw != nullptr && r3.empty());
    smtpc::Report r4(raw); // ownership back
    CHECK(r4.final_code() == 250);
    c3.quit();
    // c1, c2 (empty), c3 and the messages are destroyed here.
}

void callback_exceptions(const Args &a)
{
    smtpc::Message m = simple_message(a, a.rcpt3, "wrapper_test must not be delivered");

    // 1. A log callback throws at the greeting: connect() is cancelled and throws
    //    CallbackError carrying the original exception.
    smtpc::Client c = make_client(a, a.plain_port, nullptr);
    int calls_after = 0;
    bool thrown = false;
    c.set_log_callback([&](smtpc::LogKind kind, const std::string &line) {
        if (thrown)
            ++calls_after;
        if (kind == smtpc::LogKind::received && starts_with(line, "220")) {
            thrown = true;
            throw std::runtime_error("boom from the log callback");
        }
    });
    try {
        c.connect();
        CHECK(!"connect did not throw");
    } catch (const smtpc::CallbackError &e) {
        CHECK(e.status() == SMTPC_ERR_CANCELLED);
        CHECK(std::string(e.callback_name()) == "log");
        CHECK(contains(e.what(), "boom from the log callback"));
        CHECK(contains(e.what(), "SMTPC_ERR_CANCELLED"));
        try {
            e.rethrow_callback_exception();
        } catch (const std::runtime_error &original) {
            CHECK(std::string(original.what()) == "boom from the log callback");
        }
    } catch (const smtpc::Error &e) {
        CHECK(!"connect threw Error, not CallbackError");
        std::fprintf(stderr, "    %s\n", e.what());
    }
    CHECK(thrown && calls_after == 0); // no callback after the exception during that call

    // The client is still usable with a callback that behaves.
    int lines = 0;
    c.set_log_callback([&](smtpc::LogKind, const std::string &) { ++lines; });
    c.connect();
    c.noop();
    CHECK(lines > 0);

    // 2. A log callback throws during a send (at MAIL FROM): cancelled before the
    //    data's end, so nothing is delivered.
    c.set_log_callback([](smtpc::LogKind kind, const std::string &line) {
        if (kind == smtpc::LogKind::sent && starts_with(line, "MAIL FROM:"))
            throw std::logic_error("no MAIL today");
    });
    try {
        c.send(m);
        CHECK(!"send did not throw");
    } catch (const smtpc::CallbackError &e) {
        CHECK(e.status() == SMTPC_ERR_CANCELLED);
        CHECK(contains(e.what(), "no MAIL today"));
    }
    c.set_log_callback(nullptr);

    // 3. A progress callback throws something that is not a std::exception.
    c.set_progress_callback([](std::uint64_t, std::uint64_t) -> bool { throw 42; });
    try {
        c.send(m);
        CHECK(!"send did not throw");
    } catch (const smtpc::CallbackError &e) {
        CHECK(e.status() == SMTPC_ERR_CANCELLED);
        CHECK(std::string(e.callback_name()) == "progress");
        CHECK(contains(e.what(), "not derived from std::exception"));
        int value = 0;
        try {
            std::rethrow_exception(e.callback_exception());
        } catch (int v) {
            value = v;
        }
        CHECK(value == 42);
    }

    // 4. A progress callback that returns false cancels: a plain Error.
    c.set_progress_callback([](std::uint64_t, std::uint64_t) { return false; });
    try {
        c.send(m);
        CHECK(!"send did not throw");
    } catch (const smtpc::CallbackError &) {
        CHECK(!"returning false is not an exception");
    } catch (const smtpc::Error &e) {
        CHECK(e.status() == SMTPC_ERR_CANCELLED);
    }
    c.set_progress_callback(nullptr);

    // 5. A callback that throws while the destructor sends QUIT: discarded.
    {
        smtpc::Client d = make_client(a, a.plain_port, nullptr);
        d.connect();
        d.set_log_callback([](smtpc::LogKind, const std::string &) { throw std::runtime_error("at QUIT"); });
    }
    CHECK(true); // reached: nothing escaped the destructor
}

void cancel_from_another_thread(const Args &a)
{
    // 1. connect() blocked: STARTTLS against the SMTPS port waits for a greeting
    //    that never comes (the server waits for a TLS hello). Another thread
    //    cancels until the call has returned.
    {
        smtpc::Client c(a.host, a.smtps_port);
        c.set_tls(smtpc::TlsMode::starttls).set_timeout_ms(5000, 60000);
        std::atomic<bool> done(false);
        std::thread canceller([&]() {
            while (!done) {
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
                if (!done)
                    c.cancel();
            }
        });
        std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
        smtpc_status st = thrown_status([&]() { c.connect(); });
        done = true;
        canceller.join();
        double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        CHECK(st == SMTPC_ERR_CANCELLED);
        CHECK(seconds < 30.0);
    }

    // 2. A send in the middle of its data: the progress callback waits until the
    //    other thread has cancelled; the send fails with CANCELLED, nothing delivered.
    {
        smtpc::Client c = make_client(a, a.plain_port, nullptr);
        std::string big;
        big.reserve(3u << 20);
        std::uint32_t x = 12345;
        for (std::size_t i = 0; i < (3u << 20); ++i) {
            x = x * 1103515245u + 12345u;
            big.push_back(static_cast<char>(x >> 24));
        }
        smtpc::Message m = simple_message(a, a.rcpt3, "wrapper_test cancelled, must not be delivered");
        m.attach_data(big, "big.bin");
        std::atomic<bool> in_data(false), cancelled(false);
        c.set_progress_callback([&](std::uint64_t sent, std::uint64_t total) {
            if (!in_data && sent < total) {
                in_data = true;
                for (int i = 0; i < 3000 && !cancelled; ++i)
                    std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
            return true;
        });
        std::thread canceller([&]() {
            for (int i = 0; i < 6000 && !in_data; ++i)
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            c.cancel();
            cancelled = true;
        });
        smtpc_status st = NOTHING_THROWN;
        try {
            c.send(m);
        } catch (const smtpc::Error &e) {
            st = e.status();
            if (st != SMTPC_ERR_CANCELLED)
                std::fprintf(stderr, "    %s\n", e.what());
        }
        canceller.join();
        CHECK(in_data.load());
        CHECK(st == SMTPC_ERR_CANCELLED);
        // The client works again afterwards (each call starts uncancelled).
        c.set_progress_callback(nullptr);
        c.connect();
        c.noop();
        c.quit();
    }
}

void etrn(const Args &a)
{
    smtpc::Client c = make_client(a, a.plain_port, nullptr);
    CHECK(c.etrn(a.etrn_domain) == 250); // connects on demand
    CHECK(c.last_reply_code() == 250);
    try {
        c.etrn("not-flushed.example.test");
        CHECK(!"etrn of another domain did not throw");
    } catch (const smtpc::Error &e) {
        CHECK(e.status() == SMTPC_ERR_COMMAND_REJECTED);
        CHECK(e.reply_code() == 459 && e.is_temporary() && !e.is_permanent());
        CHECK(starts_with(e.reply(), "459"));
        CHECK(e.reply_enhanced().empty()); // Postfix's 459 has none
    }
    EXPECT_ERROR(c.etrn("two words"), SMTPC_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR(c.etrn(nullptr), SMTPC_ERR_NULL_ARGUMENT);
    c.quit();
}

void no_server_needed()
{
    CHECK(smtpc::header_matches_library());
    CHECK(smtpc::version() == SMTPC_VERSION_STRING);
    CHECK(std::string(smtpc::status_name(SMTPC_ERR_NOT_SENT)) == "SMTPC_ERR_NOT_SENT");
    CHECK(second_tu_status_name(SMTPC_ERR_COMMAND_REJECTED) == "SMTPC_ERR_COMMAND_REJECTED");
    CHECK(smtpc::reply_is_temporary(452) && !smtpc::reply_is_permanent(452));
    EXPECT_ERROR(smtpc::Client("", 25), SMTPC_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR(smtpc::Client(nullptr, 25), SMTPC_ERR_NULL_ARGUMENT);
    smtpc::Client c("127.0.0.1", 25);
    EXPECT_ERROR(c.set_timeout_ms(0, 1), SMTPC_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR(c.set_tls(static_cast<smtpc::TlsMode>(9)), SMTPC_ERR_INVALID_ARGUMENT);
    CHECK(!c.has_extension("SIZE"));
    smtpc::Message c_style; // NULL (C style) and nullptr both mean "no display name"
    c_style.set_from(NULL, "c-style@example.test").add_to(nullptr, "to@example.test");
    CHECK(c_style.last_error().empty());
    smtpc::Error e(SMTPC_ERR_FILE, "custom");
    CHECK(e.status() == SMTPC_ERR_FILE && std::string(e.what()) == "custom" && e.report() == nullptr);
#ifdef SMTPC_HPP_HAS_STRING_VIEW
    EXPECT_ERROR(smtpc::Message().set_subject(std::string_view("a\0b", 3)), SMTPC_ERR_INVALID_ARGUMENT);
#endif
}

} // namespace

int main(int argc, char **argv)
{
    if (argc != 15) {
        std::fprintf(stderr,
                     "usage: %s HOST PLAIN_PORT NOCHUNK_PORT SMTPS_PORT USER PASSWORD FROM RCPT1 RCPT2 "
                     "RCPT3 REJECTED ETRN_DOMAIN ATTACHMENT EML_OUT\n",
                     argv[0]);
        return 2;
    }
    Args a;
    a.host = argv[1];
    a.plain_port = static_cast<std::uint16_t>(std::strtoul(argv[2], nullptr, 10));
    a.nochunk_port = static_cast<std::uint16_t>(std::strtoul(argv[3], nullptr, 10));
    a.smtps_port = static_cast<std::uint16_t>(std::strtoul(argv[4], nullptr, 10));
    a.user = argv[5];
    a.password = argv[6];
    a.from = argv[7];
    a.rcpt1 = argv[8];
    a.rcpt2 = argv[9];
    a.rcpt3 = argv[10];
    a.rejected = argv[11];
    a.etrn_domain = argv[12];
    a.attachment = argv[13];
    a.eml_out = argv[14];

    const struct {
        const char *name;
        void (*run)(const Args &);
    } parts[] = {
        {"built_message_with_attachment", built_message_with_attachment},
        {"partial_send_throws_with_report", partial_send_throws_with_report},
        {"batch", batch},
        {"move_semantics", move_semantics},
        {"callback_exceptions", callback_exceptions},
        {"cancel_from_another_thread", cancel_from_another_thread},
        {"etrn", etrn},
    };
    no_server_needed();
    for (std::size_t i = 0; i < sizeof parts / sizeof parts[0]; ++i) {
        unsigned failed_before = checks_failed;
        try {
            parts[i].run(a);
        } catch (const std::exception &e) { // an unexpected exception fails the part
            check_at(false, __FILE__, __LINE__, std::string(parts[i].name) + ": unexpected exception: " + e.what());
        }
        std::printf("%s: %s\n", parts[i].name, checks_failed == failed_before ? "ok" : "FAILED");
    }

    if (checks_failed != 0) {
        std::fprintf(stderr, "wrapper_test: %u of %u checks failed\n", checks_failed, checks_run);
        return 1;
    }
    std::printf("wrapper_test: OK (%u checks)\n", checks_run);
    return 0;
}
