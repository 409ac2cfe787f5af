"""Tests that need only the library: the enums mirror the header, every C
function is declared, the exception mapping is complete, input checks, the
loader's error messages, reports and messages without a server."""

from __future__ import annotations

import ctypes
import email
import os
import pickle
import re
import subprocess
import sys
from email import policy
from pathlib import Path

import pytest

import smtpc
from smtpc import Status, _lib
from smtpc.errors import STATUS_CLASSES

HEADER = Path(__file__).resolve().parents[2] / "include" / "smtpc.h"


def header_text() -> str:
    if not HEADER.is_file():
        pytest.skip("include/smtpc.h not found (tests run outside the repository)")
    text = HEADER.read_text(encoding="utf-8")
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def test_status_mirrors_every_header_value():
    defines = dict(re.findall(r"#define SMTPC_((?:OK|ERR_\w+))\s+(\d+)", header_text()))
    assert defines, "no status defines found in the header"
    assert {name: int(v) for name, v in defines.items()} == {s.name: int(s) for s in Status}


@pytest.mark.parametrize("prefix,enum", [
    ("TLS_", smtpc.TlsMode), ("LOG_", smtpc.LogKind), ("DSN_RET_", smtpc.DsnRet),
    ("DSN_NOTIFY_", smtpc.DsnNotify)])
def test_other_enums_mirror_the_header(prefix, enum):
    defines = dict(re.findall(r"#define SMTPC_%s(\w+)\s+(\d+)" % prefix, header_text()))
    ours = {m.name: int(m) for m in enum if int(m) != 0 or enum is not smtpc.DsnNotify}
    assert {k: int(v) for k, v in defines.items()} == ours


def test_every_header_function_is_declared():
    functions = set(re.findall(r"\b(smtpc_[a-z0-9_]+)\s*\(", header_text()))
    declared = {name for name, _, _ in _lib.PROTOTYPES}
    assert functions == declared
    lib = _lib.lib()
    for name, restype, argtypes in _lib.PROTOTYPES:
        fn = getattr(lib, name)
        assert fn.restype is restype and fn.argtypes == argtypes, name


def test_every_status_maps_to_exactly_one_class():
    for status in Status:
        if status == Status.OK:
            assert status not in STATUS_CLASSES
            continue
        cls = STATUS_CLASSES[status]
        assert issubclass(cls, smtpc.SmtpcError)
        assert smtpc.exception_class(status) is cls
        # The library has a text for every status we know.
        assert smtpc.status_str(status) != "unknown status"
    assert smtpc.exception_class(4242) is smtpc.SmtpcError
    assert Status(4242).name == "UNKNOWN_4242"


def test_mapping_groups():
    assert smtpc.exception_class(Status.ERR_INVALID_ARGUMENT) is smtpc.ArgumentError
    assert issubclass(smtpc.ArgumentError, ValueError)
    for s in (Status.ERR_DNS, Status.ERR_CONNECT, Status.ERR_TIMEOUT,
              Status.ERR_CONNECTION_LOST, Status.ERR_IO):
        assert smtpc.exception_class(s) is smtpc.NetworkError
    for s in (Status.ERR_SENDER_REJECTED, Status.ERR_RECIPIENTS_REJECTED,
              Status.ERR_MESSAGE_REJECTED, Status.ERR_MESSAGE_TOO_BIG):
        assert smtpc.exception_class(s) is smtpc.RejectedError
    # Retrying on these would deliver twice: they must not look like the others.
    assert not issubclass(smtpc.PartialDelivery, smtpc.RejectedError)
    assert not issubclass(smtpc.UnknownOutcome, smtpc.NetworkError)


def test_exceptions_pickle_and_print():
    report = smtpc.Report(Status.ERR_PARTIAL, "partial", [
        smtpc.RecipientResult("a@example.test", 250, "2.1.5 Ok", "2.1.5", Status.OK)])
    exc = smtpc.PartialDelivery(Status.ERR_PARTIAL, "some refused", 550, "550 no", report)
    again = pickle.loads(pickle.dumps(exc))
    assert type(again) is smtpc.PartialDelivery and again.report == report
    assert again.reply_code == 550 and again.status is Status.ERR_PARTIAL
    assert str(exc) == "some refused (SMTPC_ERR_PARTIAL)"


def test_report_helpers():
    ok = smtpc.RecipientResult("a@example.test", 250, "2.1.5 Ok", "2.1.5", Status.OK)
    bad = smtpc.RecipientResult("b@example.test", 550, "5.1.1 no", "5.1.1",
                                Status.ERR_RECIPIENTS_REJECTED)
    report = smtpc.Report(Status.ERR_PARTIAL, "partial", [ok, bad], 250, "2.0.0 Ok", "2.0.0")
    assert not report.ok and report.delivered == ["a@example.test"]
    assert report.refused == ["b@example.test"]
    with pytest.raises(smtpc.PartialDelivery) as info:
        report.raise_for_status()
    assert info.value.report is report
    with pytest.raises(Exception):
        report.status = Status.OK  # frozen
    assert smtpc.Reply(451, "451 later").is_temporary
    assert smtpc.Reply(550, "550 no").is_permanent


@pytest.mark.parametrize("call", [
    lambda m: m.set_from("a\0b@example.test"),
    lambda m: m.add_to("ok@example.test", "Na\0me"),
    lambda m: m.subject("sub\0ject"),
    lambda m: m.text("body\0"),
    lambda m: m.add_header("X-Test", "v\0"),
    lambda m: m.attach_data(b"\0 is fine in data", "na\0me.bin"),
    lambda m: m.attach_file("/tmp/x\0y"),
])
def test_nul_is_refused_before_calling_c(call):
    with smtpc.Message() as m:
        with pytest.raises(ValueError) as info:
            call(m)
        assert isinstance(info.value, smtpc.ArgumentError)
        assert info.value.status == Status.ERR_INVALID_ARGUMENT
        assert "NUL" in info.value.message
        assert m.last_error == ""  # the library was never called


def test_nul_in_password_is_refused_without_showing_it():
    with pytest.raises(smtpc.ArgumentError) as info:
        smtpc.Client("127.0.0.1", 25, credentials=("user", "sec\0ret-pw"))
    assert "ret-pw" not in str(info.value) and "credentials password" in str(info.value)


@pytest.mark.parametrize("call", [
    lambda m: m.add_to("victim@example.test>\r\nRCPT TO:<evil@example.test"),
    lambda m: m.set_from("a@example.test\nX: y"),
    lambda m: m.subject("line one\r\nBcc: evil@example.test"),
    lambda m: m.add_header("X-Test", "v\r\nBcc: evil@example.test"),
    lambda m: m.add_header("Bad Name", "v"),
    lambda m: m.add_to("not an address"),
])
def test_injection_is_the_librarys_invalid_argument(call):
    with smtpc.Message() as m:
        with pytest.raises(smtpc.ArgumentError) as info:
            call(m)
        assert info.value.status == Status.ERR_INVALID_ARGUMENT
        assert info.value.message == m.last_error != ""


def test_wrong_types():
    with smtpc.Message() as m:
        with pytest.raises(TypeError):
            m.add_to(42)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            m.attach_data("text, not bytes")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        smtpc.Client("127.0.0.1", "25")  # type: ignore[arg-type]
    with pytest.raises(smtpc.ArgumentError):
        smtpc.Client("127.0.0.1", 70000)  # would wrap around in a uint16_t
    with pytest.raises(smtpc.ArgumentError):
        smtpc.Client("127.0.0.1", 25, io_timeout=0)
    with pytest.raises(smtpc.ArgumentError):
        smtpc.Client("127.0.0.1", 25, tls=7)  # the library refuses it


def test_write_file_round_trip(tmp_path):
    attachment = tmp_path / "rapport annuel.pdf"
    payload = os.urandom(5000)
    attachment.write_bytes(payload)
    out = tmp_path / "out.eml"
    with smtpc.Message() as m:
        (m.set_from("me@example.test", "Zoë")
          .add_to("you@example.test", "张三")
          .add_cc("cc@example.test")
          .add_bcc("hidden@example.test")
          .set_reply_to("replies@example.test")
          .subject("年度报告 / annual report")
          .text("Hello\nworld\n")
          .html("<p>Hello <img src='cid:logo'></p>")
          .add_header("X-Python", "yes")
          .attach_file(attachment, content_type="application/pdf"))
        m.write_file(out)
        m.write_file(str(out) + ".2")
    raw = out.read_bytes()
    assert raw == Path(str(out) + ".2").read_bytes()  # same bytes every time
    assert b"\r\n" in raw and b"hidden@example.test" not in raw
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert parsed["subject"] == "年度报告 / annual report"
    assert parsed["x-python"] == "yes"
    assert str(parsed["to"]) == "张三 <you@example.test>"
    parts = {p.get_filename(): p.get_content() for p in parsed.iter_attachments()}
    assert parts == {"rapport annuel.pdf": payload}


def test_write_file_errors(tmp_path):
    with smtpc.Message() as m:
        m.set_from("me@example.test").add_to("you@example.test")
        m.attach_file(tmp_path / "missing.bin")
        with pytest.raises(smtpc.FileError) as info:
            m.write_file(tmp_path / "y.eml")
        assert "missing.bin" in info.value.message


def test_closed_handles_refuse_work():
    m = smtpc.Message()
    m.close()
    m.close()  # idempotent
    with pytest.raises(smtpc.StateError):
        m.subject("x")
    c = smtpc.Client("127.0.0.1", 25)
    c.close()
    c.close()
    c.cancel()  # a no-op
    assert c.closed
    with pytest.raises(smtpc.StateError):
        c.noop()
    with pytest.raises(smtpc.StateError):
        c.send(m)


def test_no_extensions_before_connecting():
    with smtpc.Client("127.0.0.1", 25) as c:
        assert not c.has_extension("PIPELINING")
        assert c.last_reply == smtpc.Reply(0, "", "")
        with pytest.raises(smtpc.ArgumentError):
            c.has_extension("SIZE\0")


def test_version_check_refuses_another_major():
    _lib.check_version(_lib.MINIMUM_VERSION_NUMBER, "x")
    with pytest.raises(ImportError, match=r"libsmtpc 1\.0\.0, but this Python package needs 0\.x"):
        _lib.check_version(1000000, "x")
    assert smtpc.library_version_number() // 1000000 == _lib.EXPECTED_MAJOR
    assert smtpc.library_version() == "%d.%d.%d" % _lib._split_version(
        smtpc.library_version_number())


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    environment = dict(os.environ, **env)
    return subprocess.run([sys.executable, "-c", code], env=environment,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_loader_names_what_it_tried(tmp_path):
    missing = str(tmp_path / "nope" / "libsmtpc.so")
    out = run_python("import smtpc; smtpc.Message()", SMTPC_LIBRARY=missing)
    assert out.returncode != 0
    assert "ImportError" in out.stdout and "SMTPC_LIBRARY=%s: no such file" % missing in out.stdout
    not_a_library = tmp_path / "libsmtpc.so"
    not_a_library.write_bytes(b"not an ELF file")
    out = run_python("import smtpc; smtpc.load_library()", SMTPC_LIBRARY=str(not_a_library))
    assert out.returncode != 0 and "could not load the smtpc C library" in out.stdout
    # Importing the package (enums, exceptions) works without the library.
    out = run_python("import smtpc; print(smtpc.Status.ERR_PARTIAL.c_name)",
                     SMTPC_LIBRARY=missing)
    assert out.returncode == 0 and out.stdout.strip() == "SMTPC_ERR_PARTIAL"


def test_loaded_from_smtpc_library():
    expected = os.environ.get("SMTPC_LIBRARY")
    if expected:
        assert smtpc.library_path() == expected


def test_report_is_copied_and_freed_exactly_once(monkeypatch):
    """take_report frees the C report once, also when copying fails."""
    lib = _lib.lib()
    freed = []
    real_free = lib.smtpc_report_free
    monkeypatch.setattr(lib, "smtpc_report_free", lambda p: freed.append(p))
    from smtpc import report as report_module
    assert report_module.take_report(_lib.ReportPtr()) is None
    assert freed == []  # NULL: nothing to free

    def boom(ptr):
        raise MemoryError("copy failed")
    fake = ctypes.cast(ctypes.c_void_p(0x1000), _lib.ReportPtr)
    monkeypatch.setattr(report_module, "copy_report", boom)
    with pytest.raises(MemoryError):
        report_module.take_report(fake)
    assert len(freed) == 1  # freed although the copy failed (the fake is not really freed)
    assert real_free is not None


def test_imports_the_installed_package():
    """run-tests.sh installs the package: make sure that copy is what is tested."""
    if os.environ.get("SMTPC_PY_EXPECT_INSTALLED") != "1":
        pytest.skip("not run by python/run-tests.sh")
    location = Path(smtpc.__file__).resolve()
    assert "site-packages" in location.parts, location
    assert (location.parent / "py.typed").is_file()
