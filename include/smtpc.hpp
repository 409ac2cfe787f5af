/* smtpc: an SMTP client library with a stable C API. SPDX-License-Identifier: MIT OR Apache-2.0 */

/**
 * @file smtpc.hpp
 * A header-only C++11/C++17 wrapper around the C API of smtpc (smtpc.h).
 *
 * It adds nothing to the protocol: every method is one C call (plus copying
 * strings). What it adds is ownership and C++ error handling:
 *
 * - `smtpc::Client`, `smtpc::Message` and `smtpc::Report` own one C handle each,
 *   are movable and not copyable, and free the handle in their destructor
 *   (`Client`'s destructor ends the session like `smtpc_client_free`: QUIT first
 *   when connected). A moved-from object is empty: it may be destroyed or assigned
 *   to; its getters return what the C getters return for NULL ("" / 0 / false),
 *   and its other methods throw `smtpc::Error` with `SMTPC_ERR_NULL_ARGUMENT`.
 *
 * - Errors are exceptions: `smtpc::Error` (derived from `std::runtime_error`)
 *   carries the status, the library's error text (`smtpc_client_last_error` /
 *   `smtpc_message_last_error`), the server reply that caused the failure (code,
 *   text, enhanced code) and, after a send that produced one, the report.
 *
 *   Why exceptions and not an expected-style result: the C API already is the
 *   "check every return value" interface, and C++11 has no std::expected. The
 *   failures worth handling one by one are few and come with a report (partial
 *   delivery, unknown outcome), and the exception carries that report, so
 *   nothing is lost by throwing; every other failure (connect, TLS, AUTH, a bad
 *   argument) ends the operation and is best handled in one place. Exceptions
 *   also let a constructor fail, keep builder calls chainable, and make an
 *   ignored error impossible. Calls that are expected to fail in normal use do
 *   not throw for it: `Client::send_batch` returns every message's report and
 *   throws only when nothing was attempted; `Report`'s getters do not throw.
 *
 * - Callbacks are `std::function`s kept alive by the Client (on the heap, so they
 *   survive moving the Client). The C library must never be unwound through, so
 *   the C trampolines catch every exception a callback throws. What happens then:
 *     1. the exception is stored (only the first one of a call is kept; the
 *        callbacks are not called again until the call returns);
 *     2. the operation is stopped: a log callback's exception calls
 *        `smtpc_client_cancel`, a progress callback's exception makes the
 *        trampoline return non-zero (cancelling the send);
 *     3. when the C call returns, the method throws `smtpc::CallbackError`, whose
 *        `callback_exception()` is the original exception and whose `status()`
 *        (and `report()`) tell what became of the operation — normally
 *        `SMTPC_ERR_CANCELLED` (nothing delivered), but `SMTPC_ERR_UNKNOWN_OUTCOME`
 *        when the whole message had already been sent, and even `SMTPC_OK` when
 *        the call finished before the cancel took effect. Check them before you
 *        resend.
 *   Exceptions thrown by callbacks while the Client is being destroyed (the QUIT
 *   of the destructor is logged too) are discarded.
 *
 * - String arguments are `smtpc::str_arg`, which accepts `const char *`,
 *   `std::string` and, in C++17, `std::string_view` (copied, because the C API
 *   needs NUL-terminated strings), so one signature serves C++11 and C++17. A
 *   NUL byte inside a `std::string` / `std::string_view` throws `smtpc::Error`
 *   with `SMTPC_ERR_INVALID_ARGUMENT` (the C API would silently cut the string
 *   there). Optional arguments default to NULL (`str_arg()` or `nullptr`).
 *
 * Threads: as in C, a Client is used by one thread at a time; only
 * `Client::cancel()` may be called from any thread at any time (e.g. from a
 * `std::thread` watching a deadline, or from inside a callback). A Message may be
 * sent by several Clients on several threads at once. A Report never changes.
 * Callbacks run on the thread that is inside the call.
 *
 * The header keeps no global or static state. It needs the library at link time
 * like smtpc.h (-lsmtpc).
 */
#ifndef SMTPC_HPP
#define SMTPC_HPP

#include "smtpc.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#if __cplusplus >= 201703L || (defined(_MSVC_LANG) && _MSVC_LANG >= 201703L)
/** Defined when smtpc::str_arg accepts std::string_view (C++17 and later). */
#define SMTPC_HPP_HAS_STRING_VIEW 1
#include <string_view>
#endif

/** The smtpc C++ wrapper. */
namespace smtpc {

class Report;
class Error;

/** How the connection is protected (the `SMTPC_TLS_*` values). */
enum class TlsMode : smtpc_tls_mode {
    /** Plaintext; credentials may travel in clear (`SMTPC_TLS_NONE`). */
    none = SMTPC_TLS_NONE,
    /** STARTTLS when offered; never credentials without TLS (`SMTPC_TLS_STARTTLS_OPPORTUNISTIC`). */
    starttls_opportunistic = SMTPC_TLS_STARTTLS_OPPORTUNISTIC,
    /** STARTTLS required (`SMTPC_TLS_STARTTLS`; the default except on port 465). */
    starttls = SMTPC_TLS_STARTTLS,
    /** TLS from the first byte, usually port 465 (`SMTPC_TLS_IMPLICIT`). */
    implicit = SMTPC_TLS_IMPLICIT
};

/** What a log line is (the `SMTPC_LOG_*` values). */
enum class LogKind : smtpc_log_kind {
    /** Connecting, TLS established, message size, ... (`SMTPC_LOG_INFO`). */
    info = SMTPC_LOG_INFO,
    /** A command line sent to the server, secrets replaced by `***` (`SMTPC_LOG_SENT`). */
    sent = SMTPC_LOG_SENT,
    /** A reply line received from the server (`SMTPC_LOG_RECEIVED`). */
    received = SMTPC_LOG_RECEIVED
};

/** What a DSN failure report returns of the message (the `SMTPC_DSN_RET_*` values). */
enum class DsnRet : smtpc_dsn_ret {
    /** The server decides: no RET parameter (`SMTPC_DSN_RET_DEFAULT`). */
    server_default = SMTPC_DSN_RET_DEFAULT,
    /** The whole message, `RET=FULL` (`SMTPC_DSN_RET_FULL`). */
    full = SMTPC_DSN_RET_FULL,
    /** Only its headers, `RET=HDRS` (`SMTPC_DSN_RET_HDRS`). */
    headers = SMTPC_DSN_RET_HDRS
};

/**
 * Receives the session log, one line per call, without line ending. Runs on the
 * thread that is inside a call on the Client. May throw (see the file comment).
 */
typedef std::function<void(LogKind kind, const std::string &line)> LogCallback;

/**
 * Reports the progress of sending message data; `bytes_total` is known from the
 * first call. Return true to go on, false to cancel the send
 * (`SMTPC_ERR_CANCELLED`). May throw (see the file comment).
 */
typedef std::function<bool(std::uint64_t bytes_sent, std::uint64_t bytes_total)> ProgressCallback;

/** The static text of a status (`smtpc_status_str`); never NULL. */
inline const char *status_str(smtpc_status status) noexcept { return smtpc_status_str(status); }

/** The symbolic name of a status, e.g. "SMTPC_ERR_PARTIAL"; "SMTPC_ERR_?" for an unknown value. */
inline const char *status_name(smtpc_status status) noexcept
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
    case SMTPC_ERR_NOT_SENT: return "SMTPC_ERR_NOT_SENT";
    case SMTPC_ERR_COMMAND_REJECTED: return "SMTPC_ERR_COMMAND_REJECTED";
    case SMTPC_ERR_FILE: return "SMTPC_ERR_FILE";
    case SMTPC_ERR_CANCELLED: return "SMTPC_ERR_CANCELLED";
    case SMTPC_ERR_PANIC: return "SMTPC_ERR_PANIC";
    default: return "SMTPC_ERR_?";
    }
}

/** Whether a reply code is a temporary failure (4xx; `smtpc_reply_is_temporary`). */
inline bool reply_is_temporary(std::uint32_t code) noexcept { return smtpc_reply_is_temporary(code); }

/** Whether a reply code is a permanent failure (5xx; `smtpc_reply_is_permanent`). */
inline bool reply_is_permanent(std::uint32_t code) noexcept { return smtpc_reply_is_permanent(code); }

/** The loaded library's version, "MAJOR.MINOR.PATCH" (`smtpc_version`). */
inline std::string version() { return smtpc_version(); }

/** The loaded library's version number (`smtpc_version_number`). */
inline std::uint32_t version_number() noexcept { return smtpc_version_number(); }

/** Whether the loaded library is the version this header was generated for. */
inline bool header_matches_library() noexcept
{
    return smtpc_version_number() == SMTPC_VERSION_NUMBER;
}

/** Implementation details; not part of the API. */
namespace detail {

struct ErrorData;
struct CallbackState;

/** A C string copied into a std::string (NULL gives ""). */
inline std::string copy_str(const char *s) { return s != nullptr ? std::string(s) : std::string(); }

/** Builds an Error that carries only a status and a text (defined below). */
[[noreturn]] inline void throw_plain(smtpc_status status, const std::string &what,
                                     const std::string &detail);

} // namespace detail

/**
 * Every failure of the wrapper. `what()` reads
 * "smtpc::Client::send: <status text> [SMTPC_ERR_...]: <library's error text>".
 * Copies share their data (copying never throws), so a copy taken out of a catch
 * block keeps the report alive.
 */
class Error : public std::runtime_error {
public:
    /** An error with only a status and a message (for code that wants to throw one). */
    Error(smtpc_status status, const std::string &message);

    /** Used by the wrapper: the message and everything it collected. */
    Error(const std::string &message, std::shared_ptr<const detail::ErrorData> data);

    /** The status of the failed call (`SMTPC_ERR_*`; `SMTPC_OK` only for a CallbackError). */
    smtpc_status status() const noexcept;

    /** The symbolic name of status(), e.g. "SMTPC_ERR_AUTH_FAILED". */
    const char *status_name() const noexcept { return smtpc::status_name(status()); }

    /**
     * The library's description of the failure: `smtpc_client_last_error` or
     * `smtpc_message_last_error` right after the call ("" when it gave none).
     * Never contains a password or token.
     */
    const std::string &detail() const noexcept;

    /** The code of the server reply that caused the failure, 0 when none did. */
    std::uint32_t reply_code() const noexcept;

    /** The full text of that reply as on the wire ("" when none). */
    const std::string &reply() const noexcept;

    /** The RFC 3463 enhanced code of that reply, e.g. "5.7.8" ("" when none). */
    const std::string &reply_enhanced() const noexcept;

    /** Whether reply_code() is a temporary failure (4xx: trying later may work). */
    bool is_temporary() const noexcept { return smtpc_reply_is_temporary(reply_code()); }

    /** Whether reply_code() is a permanent failure (5xx: do not retry as is). */
    bool is_permanent() const noexcept { return smtpc_reply_is_permanent(reply_code()); }

    /**
     * The report of the failed send when the library gave one (e.g. after
     * `SMTPC_ERR_PARTIAL`, `SMTPC_ERR_RECIPIENTS_REJECTED`,
     * `SMTPC_ERR_UNKNOWN_OUTCOME`), else nullptr. Valid as long as this Error or a
     * copy of it lives.
     */
    const Report *report() const noexcept;

    /**
     * Every report the failed call produced: none, the one of report(), or — for
     * a CallbackError from `Client::send_batch` — one per message.
     */
    const std::vector<Report> &reports() const noexcept;

protected:
    /** The shared data (never null). */
    const detail::ErrorData &data() const noexcept { return *data_; }

private:
    std::shared_ptr<const detail::ErrorData> data_;
};

/**
 * A callback (log or progress) threw during a call; the call was cancelled (see
 * the file comment). status() and report() describe how the call ended;
 * callback_exception() is what the callback threw.
 */
class CallbackError : public Error {
public:
    /** Used by the wrapper. */
    CallbackError(const std::string &message, std::shared_ptr<const detail::ErrorData> data)
        : Error(message, std::move(data))
    {
    }

    /** The exception the callback threw (never null). */
    std::exception_ptr callback_exception() const noexcept;

    /** Which callback threw: "log" or "progress". */
    const char *callback_name() const noexcept;

    /** Throws callback_exception() again, e.g. to let it propagate as its own type. */
    [[noreturn]] void rethrow_callback_exception() const
    {
        std::rethrow_exception(callback_exception());
    }
};

/**
 * A string argument: accepts `const char *` (NULL or `nullptr` means "absent",
 * which optional arguments allow), `std::string` and, in C++17, `std::string_view`.
 * Meant only as a parameter type: it refers to the caller's string, which must
 * outlive it (a string_view is copied).
 */
class str_arg {
public:
    /** An absent string (NULL for the C API). */
    str_arg() noexcept : ptr_(nullptr), owned_(false) {}

    /** A NUL-terminated string; NULL (also `nullptr` or C's `NULL`) means absent. */
    str_arg(const char *s) noexcept : ptr_(s), owned_(false) {}

    /** A std::string; throws Error (`SMTPC_ERR_INVALID_ARGUMENT`) if it contains a NUL byte. */
    str_arg(const std::string &s) : ptr_(s.c_str()), owned_(false) { reject_nul(s.data(), s.size()); }

#ifdef SMTPC_HPP_HAS_STRING_VIEW
    /** A string_view, copied; throws Error (`SMTPC_ERR_INVALID_ARGUMENT`) if it contains a NUL byte. */
    str_arg(std::string_view s) : ptr_(nullptr), copy_(s), owned_(true)
    {
        reject_nul(s.data(), s.size());
    }
#endif

    /** The NUL-terminated string for the C API, or NULL when absent. */
    const char *c_str() const noexcept { return owned_ ? copy_.c_str() : ptr_; }

    /** Whether the string is absent (NULL). */
    bool is_null() const noexcept { return c_str() == nullptr; }

private:
    static void reject_nul(const char *data, std::size_t size)
    {
        if (size != 0 && std::memchr(data, '\0', size) != nullptr)
            detail::throw_plain(SMTPC_ERR_INVALID_ARGUMENT, "smtpc::str_arg",
                                "a string argument contains a NUL byte");
    }

    const char *ptr_;
    std::string copy_;
    bool owned_;
};

/** One recipient of a Report: the reply to its RCPT TO and what became of the message there. */
struct RecipientResult {
    /** The address, as in the envelope. */
    std::string address;
    /** The server's reply code to its RCPT TO (e.g. 250, 550); 0 when the server never answered. */
    std::uint32_t code = 0;
    /** That reply's text, e.g. "5.1.1 User unknown". */
    std::string text;
    /** That reply's RFC 3463 enhanced code, e.g. "5.1.1" ("" when none). */
    std::string enhanced;
    /**
     * What became of the message there (`smtpc_report_recipient_status`):
     * `SMTPC_OK` delivered (or queued), `SMTPC_ERR_RECIPIENTS_REJECTED` refused at
     * RCPT, or the failure of the whole message (e.g. `SMTPC_ERR_UNKNOWN_OUTCOME`).
     */
    smtpc_status status = SMTPC_ERR_NULL_ARGUMENT;

    /** Whether the message reached this recipient. */
    bool ok() const noexcept { return status == SMTPC_OK; }
};

/**
 * The outcome of one message (owns an `smtpc_report`). Independent of the Client
 * and Message it came from; never changes, so it may be read from several threads.
 * An empty Report (default-constructed or moved-from) answers like the C getters
 * for NULL: status() `SMTPC_ERR_NULL_ARGUMENT`, no recipients, "" texts.
 */
class Report {
public:
    /** An empty report. */
    Report() noexcept : r_(nullptr) {}

    /** Takes ownership of `report` (may be NULL). */
    explicit Report(smtpc_report *report) noexcept : r_(report) {}

    /** Frees the report (`smtpc_report_free`). */
    ~Report() { smtpc_report_free(r_); }

    /** Takes the other's report; the other becomes empty. */
    Report(Report &&other) noexcept : r_(other.r_) { other.r_ = nullptr; }

    /** Frees this report and takes the other's; the other becomes empty. */
    Report &operator=(Report &&other) noexcept
    {
        if (this != &other) {
            smtpc_report_free(r_);
            r_ = other.r_;
            other.r_ = nullptr;
        }
        return *this;
    }

    /** Not copyable: a report has one owner (the C API has no copy); move it instead. */
    Report(const Report &) = delete;
    /** Not copyable: a report has one owner (the C API has no copy); move it instead. */
    Report &operator=(const Report &) = delete;

    /** Whether there is a report. */
    explicit operator bool() const noexcept { return r_ != nullptr; }

    /** Whether there is no report (default-constructed or moved-from). */
    bool empty() const noexcept { return r_ == nullptr; }

    /** The C handle (still owned by this object), or NULL. */
    smtpc_report *get() const noexcept { return r_; }

    /** Gives up ownership: the caller must `smtpc_report_free` the result. */
    smtpc_report *release() noexcept
    {
        smtpc_report *r = r_;
        r_ = nullptr;
        return r;
    }

    /** The message's status: `SMTPC_OK` when it reached every recipient, else why not. */
    smtpc_status status() const noexcept { return smtpc_report_status(r_); }

    /** Whether the message reached every recipient. */
    bool ok() const noexcept { return r_ != nullptr && status() == SMTPC_OK; }

    /** What went wrong with the message, with context ("" when it was delivered everywhere). */
    std::string error() const { return detail::copy_str(smtpc_report_error(r_)); }

    /** The number of recipients (0 for a batch message that was not sent). */
    std::size_t recipient_count() const noexcept { return smtpc_report_recipient_count(r_); }

    /**
     * Recipient `index` (0-based, envelope order). Throws Error
     * (`SMTPC_ERR_INVALID_ARGUMENT`) when `index >= recipient_count()`.
     */
    RecipientResult recipient(std::size_t index) const
    {
        const char *address = nullptr;
        const char *text = nullptr;
        std::uint32_t code = 0;
        smtpc_status st = smtpc_report_recipient(r_, index, &address, &code, &text);
        if (st != SMTPC_OK)
            detail::throw_plain(st, "smtpc::Report::recipient",
                                "recipient " + std::to_string(index) + " of " +
                                    std::to_string(recipient_count()));
        RecipientResult result;
        result.address = detail::copy_str(address);
        result.code = code;
        result.text = detail::copy_str(text);
        result.enhanced = detail::copy_str(smtpc_report_recipient_enhanced(r_, index));
        result.status = smtpc_report_recipient_status(r_, index);
        return result;
    }

    /** Every recipient, in envelope order. */
    std::vector<RecipientResult> recipients() const
    {
        std::vector<RecipientResult> all;
        std::size_t count = recipient_count();
        all.reserve(count);
        for (std::size_t i = 0; i < count; ++i)
            all.push_back(recipient(i));
        return all;
    }

    /** The code of the reply to the message data (e.g. 250, 554); 0 when never sent. */
    std::uint32_t final_code() const noexcept { return smtpc_report_final_code(r_); }

    /** The text of that reply without the code, e.g. "2.0.0 Ok: queued as 4ABC". */
    std::string final_reply() const { return detail::copy_str(smtpc_report_final_reply(r_)); }

    /** The enhanced code of that reply, e.g. "2.0.0" ("" when none). */
    std::string final_enhanced() const { return detail::copy_str(smtpc_report_final_enhanced(r_)); }

private:
    smtpc_report *r_;
};

namespace detail {

/** What an Error carries. */
struct ErrorData {
    smtpc_status status = SMTPC_OK;
    std::string detail;
    std::uint32_t reply_code = 0;
    std::string reply;
    std::string reply_enhanced;
    std::vector<Report> reports;
    std::exception_ptr callback;
    const char *callback_name = "";
};

/** "<what>: <status text> [<NAME>]: <detail>". */
inline std::string describe(const char *what, smtpc_status status, const std::string &detail)
{
    std::string s(what);
    s += ": ";
    s += smtpc_status_str(status);
    s += " [";
    s += smtpc::status_name(status);
    s += "]";
    if (!detail.empty()) {
        s += ": ";
        s += detail;
    }
    return s;
}

[[noreturn]] inline void throw_plain(smtpc_status status, const std::string &what,
                                     const std::string &detail)
{
    std::shared_ptr<ErrorData> data = std::make_shared<ErrorData>();
    data->status = status;
    data->detail = detail;
    throw Error(describe(what.c_str(), status, detail), std::move(data));
}

/** The text of an exception_ptr's exception, for messages. */
inline std::string exception_text(const std::exception_ptr &e)
{
    try {
        std::rethrow_exception(e);
    } catch (const std::exception &ex) {
        return ex.what();
    } catch (...) {
        return "an exception not derived from std::exception";
    }
}

/** The state behind the C callbacks; on the heap so that it survives moving the Client. */
struct CallbackState {
    smtpc_client *client = nullptr;
    LogCallback log;
    ProgressCallback progress;
    /** The first exception a callback threw during the current call. */
    std::exception_ptr pending;
    const char *pending_name = "";
    /** Set by the destructor: exceptions are discarded, nothing is cancelled. */
    bool closing = false;

    void store_current(const char *name) noexcept
    {
        pending = std::current_exception();
        pending_name = name;
    }
};

/** The C log callback: calls the std::function, never lets an exception out. */
inline void SMTPC_CALL log_trampoline(void *user_data, smtpc_log_kind kind, const char *line,
                                      std::size_t line_len) noexcept
{
    CallbackState *state = static_cast<CallbackState *>(user_data);
    if (state == nullptr || state->pending || !state->log)
        return;
    try {
        state->log(static_cast<LogKind>(kind), std::string(line != nullptr ? line : "", line_len));
    } catch (...) {
        state->store_current("log");
        if (!state->closing)
            smtpc_client_cancel(state->client);
    }
}

/** The C progress callback: calls the std::function, never lets an exception out. */
inline int SMTPC_CALL progress_trampoline(void *user_data, std::uint64_t bytes_sent,
                                          std::uint64_t bytes_total) noexcept
{
    CallbackState *state = static_cast<CallbackState *>(user_data);
    if (state == nullptr || state->pending)
        return 1;
    if (!state->progress)
        return 0;
    try {
        return state->progress(bytes_sent, bytes_total) ? 0 : 1;
    } catch (...) {
        state->store_current("progress");
        return 1;
    }
}

} // namespace detail

inline Error::Error(smtpc_status status, const std::string &message)
    : std::runtime_error(message)
{
    std::shared_ptr<detail::ErrorData> data = std::make_shared<detail::ErrorData>();
    data->status = status;
    data_ = std::move(data);
}

inline Error::Error(const std::string &message, std::shared_ptr<const detail::ErrorData> data)
    : std::runtime_error(message), data_(std::move(data))
{
    if (!data_)
        data_ = std::make_shared<detail::ErrorData>();
}

inline smtpc_status Error::status() const noexcept { return data_->status; }
inline const std::string &Error::detail() const noexcept { return data_->detail; }
inline std::uint32_t Error::reply_code() const noexcept { return data_->reply_code; }
inline const std::string &Error::reply() const noexcept { return data_->reply; }
inline const std::string &Error::reply_enhanced() const noexcept { return data_->reply_enhanced; }
inline const std::vector<Report> &Error::reports() const noexcept { return data_->reports; }

inline const Report *Error::report() const noexcept
{
    return data_->reports.empty() ? nullptr : &data_->reports.front();
}

inline std::exception_ptr CallbackError::callback_exception() const noexcept
{
    return data().callback;
}

inline const char *CallbackError::callback_name() const noexcept { return data().callback_name; }

/**
 * A mail being built (owns an `smtpc_message`): addresses, subject, headers,
 * bodies, attachments, DSN requests. Builder methods return `*this` for chaining
 * and throw Error on failure (with `smtpc_message_last_error` as detail()).
 * Sending does not change it: it may be sent by several Clients at once.
 */
class Message {
public:
    /** A new, empty message (`smtpc_message_new`). Throws Error on failure. */
    Message() : m_(nullptr)
    {
        smtpc_status st = smtpc_message_new(&m_);
        if (st != SMTPC_OK)
            detail::throw_plain(st, "smtpc::Message::Message", "");
    }

    /** Takes ownership of `message` (may be NULL: an empty Message). */
    explicit Message(smtpc_message *message) noexcept : m_(message) {}

    /** Frees the message (`smtpc_message_free`); reports of earlier sends stay valid. */
    ~Message() { smtpc_message_free(m_); }

    /** Takes the other's message; the other becomes empty. */
    Message(Message &&other) noexcept : m_(other.m_) { other.m_ = nullptr; }

    /** Frees this message and takes the other's; the other becomes empty. */
    Message &operator=(Message &&other) noexcept
    {
        if (this != &other) {
            smtpc_message_free(m_);
            m_ = other.m_;
            other.m_ = nullptr;
        }
        return *this;
    }

    /** Not copyable: a message has one owner (the C API has no copy); move it instead. */
    Message(const Message &) = delete;
    /** Not copyable: a message has one owner (the C API has no copy); move it instead. */
    Message &operator=(const Message &) = delete;

    /** Whether there is a message (false when moved-from). */
    explicit operator bool() const noexcept { return m_ != nullptr; }

    /** The C handle (still owned by this object), or NULL. */
    smtpc_message *get() const noexcept { return m_; }

    /** Gives up ownership: the caller must `smtpc_message_free` the result. */
    smtpc_message *release() noexcept
    {
        smtpc_message *m = m_;
        m_ = nullptr;
        return m;
    }

    /** Sets From (author and envelope sender) without a display name. */
    Message &set_from(str_arg address) { return set_from(str_arg(), address); }
    /** Sets From with a display name (non-ASCII is RFC 2047 encoded). */
    Message &set_from(str_arg name, str_arg address)
    {
        return check(smtpc_message_set_from(m_, name.c_str(), address.c_str()), "set_from");
    }

    /** Adds a To recipient (header and envelope). */
    Message &add_to(str_arg address) { return add_to(str_arg(), address); }
    /** Adds a To recipient with a display name. */
    Message &add_to(str_arg name, str_arg address)
    {
        return check(smtpc_message_add_to(m_, name.c_str(), address.c_str()), "add_to");
    }

    /** Adds a Cc recipient (header and envelope). */
    Message &add_cc(str_arg address) { return add_cc(str_arg(), address); }
    /** Adds a Cc recipient with a display name. */
    Message &add_cc(str_arg name, str_arg address)
    {
        return check(smtpc_message_add_cc(m_, name.c_str(), address.c_str()), "add_cc");
    }

    /** Adds a Bcc recipient (envelope only, never in a header). */
    Message &add_bcc(str_arg address)
    {
        return check(smtpc_message_add_bcc(m_, nullptr, address.c_str()), "add_bcc");
    }

    /** Sets Reply-To. */
    Message &set_reply_to(str_arg address) { return set_reply_to(str_arg(), address); }
    /** Sets Reply-To with a display name. */
    Message &set_reply_to(str_arg name, str_arg address)
    {
        return check(smtpc_message_set_reply_to(m_, name.c_str(), address.c_str()), "set_reply_to");
    }

    /** Sets the subject (any UTF-8 on one line). */
    Message &set_subject(str_arg subject)
    {
        return check(smtpc_message_set_subject(m_, subject.c_str()), "set_subject");
    }

    /** Sets the text/plain body (UTF-8; any line ends). */
    Message &set_text(str_arg text) { return check(smtpc_message_set_text(m_, text.c_str()), "set_text"); }

    /** Sets the text/html body (UTF-8); with a text body too it is multipart/alternative. */
    Message &set_html(str_arg html) { return check(smtpc_message_set_html(m_, html.c_str()), "set_html"); }

    /** Adds a custom header (not one the builder owns; Date and Message-ID replace the generated ones). */
    Message &add_header(str_arg name, str_arg value)
    {
        return check(smtpc_message_add_header(m_, name.c_str(), value.c_str()), "add_header");
    }

    /**
     * Attaches the file at `path`, read (streamed) when the message is sent or
     * written. `filename` defaults to the path's base name, `content_type` is
     * guessed from the extension when absent.
     */
    Message &attach_file(str_arg path, str_arg filename = str_arg(), str_arg content_type = str_arg())
    {
        return check(smtpc_message_attach_file(m_, path.c_str(), filename.c_str(), content_type.c_str()),
                     "attach_file");
    }

    /** Attaches `len` bytes from `data` (copied now). */
    Message &attach_data(const void *data, std::size_t len, str_arg filename = str_arg(),
                         str_arg content_type = str_arg())
    {
        return check(smtpc_message_attach_data(m_, static_cast<const std::uint8_t *>(data), len,
                                               filename.c_str(), content_type.c_str()),
                     "attach_data");
    }

    /** Attaches the bytes of `data` (any bytes, NUL included; copied now). */
    Message &attach_data(const std::string &data, str_arg filename = str_arg(),
                         str_arg content_type = str_arg())
    {
        return attach_data(data.data(), data.size(), filename, content_type);
    }

    /** Attaches the bytes of `data` (copied now). */
    Message &attach_data(const std::vector<unsigned char> &data, str_arg filename = str_arg(),
                         str_arg content_type = str_arg())
    {
        return attach_data(data.empty() ? nullptr : &data[0], data.size(), filename, content_type);
    }

    /**
     * Adds the file at `path` as an inline part referenced from the HTML body as
     * "cid:" + `content_id`; `content_type` is guessed when absent.
     */
    Message &embed_file(str_arg path, str_arg content_id, str_arg content_type = str_arg())
    {
        return check(smtpc_message_embed_file(m_, path.c_str(), content_id.c_str(), content_type.c_str()),
                     "embed_file");
    }

    /**
     * Asks for delivery status notifications (RFC 3461): what a failure report
     * returns, an envelope id (may be absent), and whether a server without DSN
     * makes the send fail (`SMTPC_ERR_UNSUPPORTED`) instead of going on without.
     */
    Message &set_dsn(DsnRet ret, str_arg envid = str_arg(), bool required = false)
    {
        return check(smtpc_message_set_dsn(m_, static_cast<smtpc_dsn_ret>(ret), envid.c_str(), required),
                     "set_dsn");
    }

    /**
     * Sets when the server should report on every recipient without a setting of
     * its own: 0 (server default), `SMTPC_DSN_NOTIFY_NEVER`, or a combination of
     * `SMTPC_DSN_NOTIFY_SUCCESS`, `_FAILURE`, `_DELAY`.
     */
    Message &set_dsn_notify(smtpc_dsn_notify notify)
    {
        return check(smtpc_message_set_dsn_notify(m_, nullptr, notify, nullptr), "set_dsn_notify");
    }

    /**
     * Sets when the server should report on recipient `address` (already added),
     * and optionally the original recipient (ORCPT) the report should quote.
     */
    Message &set_dsn_notify(str_arg address, smtpc_dsn_notify notify, str_arg orcpt = str_arg())
    {
        return check(smtpc_message_set_dsn_notify(m_, address.c_str(), notify, orcpt.c_str()),
                     "set_dsn_notify");
    }

    /** Writes the message to the file `path` exactly as a send transmits it (an .eml file). */
    void write_file(str_arg path) const
    {
        smtpc_status st = smtpc_message_write_file(m_, path.c_str());
        if (st != SMTPC_OK)
            fail(st, "write_file");
    }

    /** Why the last builder call or write_file failed ("" after a success or when empty). */
    std::string last_error() const { return detail::copy_str(smtpc_message_last_error(m_)); }

private:
    Message &check(smtpc_status st, const char *what)
    {
        if (st != SMTPC_OK)
            fail(st, what);
        return *this;
    }

    [[noreturn]] void fail(smtpc_status st, const char *what) const
    {
        std::string text = m_ != nullptr ? last_error() : std::string("empty (moved-from) Message");
        detail::throw_plain(st, std::string("smtpc::Message::") + what, text);
    }

    smtpc_message *m_;
};

/**
 * One SMTP session with one server (owns an `smtpc_client`): options, callbacks,
 * the connection, commands and the last reply. Move-only. The destructor ends the
 * session like `smtpc_client_free` (QUIT when connected, errors ignored).
 *
 * Every command throws Error on failure, filled from `smtpc_client_last_error`
 * and the last reply getters right after the call, and CallbackError when a
 * callback threw during the call. Used by one thread at a time, except cancel().
 */
class Client {
public:
    /**
     * A client for `host` (name or IP literal) and `port`; nothing is connected
     * yet. TLS defaults to implicit on port 465, STARTTLS otherwise. Throws Error
     * (`SMTPC_ERR_INVALID_ARGUMENT` for an empty or malformed host).
     */
    Client(str_arg host, std::uint16_t port) : c_(nullptr), cb_(new detail::CallbackState())
    {
        smtpc_status st = smtpc_client_new(host.c_str(), port, &c_);
        if (st != SMTPC_OK)
            detail::throw_plain(st, "smtpc::Client::Client", "");
        cb_->client = c_;
    }

    /** Ends the session and frees the client; exceptions of callbacks during the QUIT are discarded. */
    ~Client() { destroy(); }

    /** Takes the other's session and callbacks; the other becomes empty. */
    Client(Client &&other) noexcept : c_(other.c_), cb_(std::move(other.cb_)) { other.c_ = nullptr; }

    /** Ends this session, then takes the other's session and callbacks; the other becomes empty. */
    Client &operator=(Client &&other) noexcept
    {
        if (this != &other) {
            destroy();
            c_ = other.c_;
            cb_ = std::move(other.cb_);
            other.c_ = nullptr;
        }
        return *this;
    }

    /** Not copyable: a client has one owner (the C API has no copy); move it instead. */
    Client(const Client &) = delete;
    /** Not copyable: a client has one owner (the C API has no copy); move it instead. */
    Client &operator=(const Client &) = delete;

    /** Whether there is a client (false when moved-from). */
    explicit operator bool() const noexcept { return c_ != nullptr; }

    /**
     * The C handle, still owned by this object: do not free it and do not set its
     * callbacks (the wrapper's trampolines are installed there).
     */
    smtpc_client *get() const noexcept { return c_; }

    // ---- options (before connecting) ---------------------------------------

    /** Sets the TLS mode. Only while not connected. */
    Client &set_tls(TlsMode mode)
    {
        return check(smtpc_client_set_tls(c_, static_cast<smtpc_tls_mode>(mode)), "set_tls");
    }

    /** Trusts the PEM certificates in `pem_path` besides the system store. */
    Client &set_ca_file(str_arg pem_path)
    {
        return check(smtpc_client_set_ca_file(c_, pem_path.c_str()), "set_ca_file");
    }

    /** Sets the name to verify in the certificate (and send as SNI), e.g. when connecting by IP. */
    Client &set_tls_server_name(str_arg name)
    {
        return check(smtpc_client_set_tls_server_name(c_, name.c_str()), "set_tls_server_name");
    }

    /** Turns certificate verification off (true) or on. DANGEROUS: for tests only. */
    Client &dangerous_accept_invalid_certs(bool accept)
    {
        return check(smtpc_client_dangerous_accept_invalid_certs(c_, accept), "dangerous_accept_invalid_certs");
    }

    /** Sets the user and password for AUTH (copied; never logged). */
    Client &set_credentials(str_arg user, str_arg password)
    {
        return check(smtpc_client_set_credentials(c_, user.c_str(), password.c_str()), "set_credentials");
    }

    /** Sets the user and OAuth 2.0 bearer token for AUTH XOAUTH2 (copied; never logged). */
    Client &set_oauth2_token(str_arg user, str_arg token)
    {
        return check(smtpc_client_set_oauth2_token(c_, user.c_str(), token.c_str()), "set_oauth2_token");
    }

    /** Sets the name sent in EHLO/HELO. */
    Client &set_helo_name(str_arg name)
    {
        return check(smtpc_client_set_helo_name(c_, name.c_str()), "set_helo_name");
    }

    /** Sets the connect and I/O timeouts in milliseconds (both non-zero). */
    Client &set_timeout_ms(std::uint32_t connect_ms, std::uint32_t io_ms)
    {
        return check(smtpc_client_set_timeout_ms(c_, connect_ms, io_ms), "set_timeout_ms");
    }

    /** Sets a deadline in milliseconds for each whole call (0: none, the default). */
    Client &set_deadline_ms(std::uint32_t deadline_ms)
    {
        return check(smtpc_client_set_deadline_ms(c_, deadline_ms), "set_deadline_ms");
    }

    /** Whether to use PIPELINING when offered (default true). */
    Client &set_pipelining(bool enabled)
    {
        return check(smtpc_client_set_pipelining(c_, enabled), "set_pipelining");
    }

    /** Whether to use CHUNKING (BDAT) when offered (default true). */
    Client &set_chunking(bool enabled)
    {
        return check(smtpc_client_set_chunking(c_, enabled), "set_chunking");
    }

    // ---- callbacks ----------------------------------------------------------

    /**
     * Sets the log callback; an empty function removes it. Kept by the Client
     * (survives moves). Throws Error (`SMTPC_ERR_STATE`) while a call is running,
     * leaving the previous callback in place.
     */
    Client &set_log_callback(LogCallback callback)
    {
        require("set_log_callback");
        smtpc_status st = callback ? smtpc_client_set_log_callback(c_, detail::log_trampoline, cb_.get())
                                   : smtpc_client_set_log_callback(c_, nullptr, nullptr);
        check(st, "set_log_callback");
        cb_->log = std::move(callback);
        return *this;
    }

    /**
     * Sets the progress callback (return true to go on, false to cancel the send);
     * an empty function removes it. Same rules as set_log_callback().
     */
    Client &set_progress_callback(ProgressCallback callback)
    {
        require("set_progress_callback");
        smtpc_status st = callback
                              ? smtpc_client_set_progress_callback(c_, detail::progress_trampoline, cb_.get())
                              : smtpc_client_set_progress_callback(c_, nullptr, nullptr);
        check(st, "set_progress_callback");
        cb_->progress = std::move(callback);
        return *this;
    }

    // ---- commands -----------------------------------------------------------

    /**
     * Connects: TCP, greeting, EHLO, TLS as configured, AUTH when credentials are
     * set. Optional (send() connects on demand), but it separates "could not
     * connect or log in" from "the server refused the mail".
     */
    void connect()
    {
        begin("connect");
        finish(smtpc_client_connect(c_), "connect");
    }

    /**
     * Sends a built message (connecting first if needed). Returns the report on
     * `SMTPC_OK`; on any failure throws Error, whose report() is set when the
     * library gave one (`SMTPC_ERR_PARTIAL`: delivered to some recipients only;
     * `SMTPC_ERR_RECIPIENTS_REJECTED`; `SMTPC_ERR_UNKNOWN_OUTCOME`: may have been
     * delivered, do not resend blindly; ...).
     */
    Report send(const Message &message)
    {
        begin("send");
        smtpc_report *raw = nullptr;
        smtpc_status st = smtpc_client_send(c_, message.get(), &raw);
        Report report(raw);
        finish(st, "send", &report);
        return report;
    }

    /**
     * Sends a ready-made RFC 5322 message (`len` bytes at `data`) from `from` ("" for
     * the null reverse-path) to `recipients` (at least one). Line ends are
     * normalised and dot-stuffing is done. Returns and throws like send().
     */
    Report send_raw(str_arg from, const std::vector<std::string> &recipients, const void *data,
                    std::size_t len)
    {
        begin("send_raw");
        std::vector<const char *> list;
        list.reserve(recipients.size());
        for (std::size_t i = 0; i < recipients.size(); ++i) {
            if (std::memchr(recipients[i].data(), '\0', recipients[i].size()) != nullptr)
                detail::throw_plain(SMTPC_ERR_INVALID_ARGUMENT, "smtpc::Client::send_raw",
                                    "recipients[" + std::to_string(i) + "] contains a NUL byte");
            list.push_back(recipients[i].c_str());
        }
        const char *none = nullptr; // an empty list is "no recipient", not a NULL argument
        smtpc_report *raw = nullptr;
        smtpc_status st = smtpc_client_send_raw(c_, from.c_str(), list.empty() ? &none : &list[0],
                                                list.size(), static_cast<const std::uint8_t *>(data),
                                                len, &raw);
        Report report(raw);
        finish(st, "send_raw", &report);
        return report;
    }

    /** send_raw() with the message in a std::string (any bytes). */
    Report send_raw(str_arg from, const std::vector<std::string> &recipients, const std::string &data)
    {
        return send_raw(from, recipients, data.data(), data.size());
    }

    /**
     * Sends several messages over one session with one round trip per message
     * (the same message may appear several times). Returns one report per
     * message, in order — also when some failed: a refused message does not stop
     * the batch; a failure that ends the session does (that message reports it,
     * later ones `SMTPC_ERR_NOT_SENT`). `last_error()` names the first failure
     * ("message 2 of 3: ..."). Throws Error only when nothing was attempted (an
     * empty list or Message, a busy client), and CallbackError (with every
     * report in reports()) when a callback threw.
     */
    std::vector<Report> send_batch(const std::vector<const Message *> &messages)
    {
        begin("send_batch");
        std::vector<const smtpc_message *> list;
        list.reserve(messages.size());
        for (std::size_t i = 0; i < messages.size(); ++i)
            list.push_back(messages[i] != nullptr ? messages[i]->get() : nullptr);
        std::vector<smtpc_report *> raw(messages.size(), nullptr);
        std::vector<Report> reports;
        reports.reserve(messages.size()); // no allocation below, after the call
        // An empty list is a count of 0 (SMTPC_ERR_INVALID_ARGUMENT), not a NULL argument.
        const smtpc_message *no_message = nullptr;
        smtpc_report *no_report = nullptr;
        smtpc_status st = smtpc_client_send_batch(c_, list.empty() ? &no_message : &list[0], list.size(),
                                                  raw.empty() ? &no_report : &raw[0]);
        bool written = false;
        for (std::size_t i = 0; i < raw.size(); ++i) {
            reports.emplace_back(raw[i]);
            written = written || raw[i] != nullptr;
        }
        if (written) {
            // Per-message failures are in the reports; only a callback's exception is thrown.
            if (cb_->pending)
                finish_with(st, "send_batch", std::move(reports));
            return reports;
        }
        finish(st, "send_batch");
        return reports;
    }

    /** send_batch() of every message in `messages`. */
    std::vector<Report> send_batch(const std::vector<Message> &messages)
    {
        std::vector<const Message *> list;
        list.reserve(messages.size());
        for (std::size_t i = 0; i < messages.size(); ++i)
            list.push_back(&messages[i]);
        return send_batch(list);
    }

    /** Sends NOOP (checks that the session is alive). */
    void noop()
    {
        begin("noop");
        finish(smtpc_client_noop(c_), "noop");
    }

    /** Sends RSET. */
    void reset()
    {
        begin("reset");
        finish(smtpc_client_reset(c_), "reset");
    }

    /**
     * Sends VRFY `address`; returns the reply code (250, 251 or 252; the text is
     * in last_reply()). Throws Error (`SMTPC_ERR_RECIPIENTS_REJECTED`: unknown
     * there; `SMTPC_ERR_UNSUPPORTED`: VRFY disabled; ...).
     */
    std::uint32_t verify(str_arg address)
    {
        begin("verify");
        finish(smtpc_client_verify(c_, address.c_str()), "verify");
        return last_reply_code();
    }

    /**
     * Sends ETRN `node` ("example.com", "@example.com" or "#queue"), connecting
     * first if needed; returns the reply code (250 started, 251 nothing waiting,
     * 252 pending, 253 with a count). Throws Error (`SMTPC_ERR_UNSUPPORTED`,
     * `SMTPC_ERR_COMMAND_REJECTED` with the 45x in reply_code(), ...).
     */
    std::uint32_t etrn(str_arg node)
    {
        begin("etrn");
        finish(smtpc_client_etrn(c_, node.c_str()), "etrn");
        return last_reply_code();
    }

    /** Sends QUIT and closes the connection; a later connect() or send() opens a new session. */
    void quit()
    {
        begin("quit");
        finish(smtpc_client_quit(c_), "quit");
    }

    /**
     * Cancels the call in progress (it fails with `SMTPC_ERR_CANCELLED`, or
     * `SMTPC_ERR_UNKNOWN_OUTCOME` once the whole message was sent). The only
     * method that may be called from any thread at any time; with no call running
     * it closes the idle connection. No-op on an empty Client. The Client must not
     * be destroyed or moved while this runs.
     */
    void cancel() noexcept { smtpc_client_cancel(c_); }

    // ---- getters (copies; "" / 0 / false on an empty Client) ----------------

    /** Whether the server advertised the EHLO keyword (case-insensitive) in this session. */
    bool has_extension(str_arg keyword) const { return smtpc_client_has_extension(c_, keyword.c_str()); }

    /** The code of the last reply (after a failure: the reply that caused it), 0 when none. */
    std::uint32_t last_reply_code() const noexcept { return smtpc_client_last_reply_code(c_); }

    /** The full text of the last reply, "CODE text" lines joined with "\n". */
    std::string last_reply() const { return detail::copy_str(smtpc_client_last_reply(c_)); }

    /** The enhanced status code of the last reply, e.g. "5.7.8" ("" when none). */
    std::string last_reply_enhanced() const { return detail::copy_str(smtpc_client_last_reply_enhanced(c_)); }

    /** The description of the last failure ("" after a success). */
    std::string last_error() const { return detail::copy_str(smtpc_client_last_error(c_)); }

private:
    void destroy() noexcept
    {
        if (cb_)
            cb_->closing = true;
        smtpc_client_free(c_); // may still call the callbacks (the QUIT), so cb_ lives until after
        c_ = nullptr;
        cb_.reset();
    }

    /** Throws for an empty (moved-from) Client. */
    void require(const char *what) const
    {
        if (c_ == nullptr)
            detail::throw_plain(SMTPC_ERR_NULL_ARGUMENT, std::string("smtpc::Client::") + what,
                                "empty (moved-from) Client");
    }

    /** Before a command: a live client, and no exception left from an earlier call. */
    void begin(const char *what)
    {
        require(what);
        cb_->pending = nullptr;
    }

    Client &check(smtpc_status st, const char *what)
    {
        if (c_ == nullptr)
            require(what);
        finish(st, what);
        return *this;
    }

    /** After a command: throws CallbackError or Error, or returns for SMTPC_OK. */
    void finish(smtpc_status st, const char *what, Report *report = nullptr)
    {
        if (st == SMTPC_OK && !(cb_ && cb_->pending))
            return;
        std::vector<Report> reports;
        if (report != nullptr && !report->empty())
            reports.push_back(std::move(*report));
        finish_with(st, what, std::move(reports));
    }

    [[noreturn]] void finish_with(smtpc_status st, const char *what, std::vector<Report> reports)
    {
        std::shared_ptr<detail::ErrorData> data = std::make_shared<detail::ErrorData>();
        data->status = st;
        if (st != SMTPC_OK)
            data->detail = last_error();
        data->reply_code = last_reply_code();
        data->reply = last_reply();
        data->reply_enhanced = last_reply_enhanced();
        data->reports = std::move(reports);
        std::string name = std::string("smtpc::Client::") + what;
        if (cb_ && cb_->pending) {
            data->callback = cb_->pending;
            data->callback_name = cb_->pending_name;
            cb_->pending = nullptr;
            std::string message = name + ": the " + data->callback_name +
                                  " callback threw: " + detail::exception_text(data->callback) +
                                  "; " + detail::describe("the call ended with", st, data->detail);
            throw CallbackError(message, std::move(data));
        }
        std::string message = detail::describe(name.c_str(), st, data->detail);
        throw Error(message, std::move(data));
    }

    smtpc_client *c_;
    std::unique_ptr<detail::CallbackState> cb_;
};

} // namespace smtpc

#endif /* SMTPC_HPP */
