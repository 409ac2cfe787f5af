//! Every call ends within the time the caller set, however slowly the peer (or
//! the resolver) answers: a trickled greeting, a trickled TLS handshake and a
//! trickled TLS reply (Postfix behind a proxy that forwards its real bytes one at
//! a time), replies that each come just within the I/O timeout, a resolver that
//! never answers and addresses that never accept (in a network namespace the test
//! makes), each ended by its timeout, by the call's deadline or by a cancel.
//!
//! The TLS cases need the test mail server (`SMTPC_TEST_ENV`); the namespace case
//! needs root and `ip` (it is skipped without them, unless `SMTPC_REQUIRE_NETNS=1`,
//! which `tests/run-all.sh` sets).

mod common;
mod fault_server;

use fault_server::{FaultServer, Script};
use smtpc::{Client, Error, ErrorKind, TlsMode};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

const FROM: &str = "sender@example.test";
const BODY: &[u8] = b"Subject: time bounds\r\n\r\nbody\r\n";

/// How much later than its bound a call may end (thread wake-ups, a loaded CI
/// machine), and how much earlier it must not.
const LATE: Duration = Duration::from_millis(700);
const EARLY: Duration = Duration::from_millis(100);

/// Runs `call` and checks it failed with `kind` after about `bound`.
fn ends_within<T: std::fmt::Debug>(
    bound: Duration,
    kind: ErrorKind,
    call: impl FnOnce() -> smtpc::Result<T>,
) -> Error {
    let start = Instant::now();
    let result = call();
    let took = start.elapsed();
    let e = result.expect_err("the call must fail");
    assert_eq!(e.kind(), kind, "{e}");
    assert!(
        took + EARLY >= bound && took <= bound + LATE,
        "took {took:?}, bound {bound:?}: {e}"
    );
    e
}

#[test]
fn a_trickled_greeting_is_bounded_by_the_io_timeout() {
    let server = FaultServer::start(Script::new().send_slowly(
        "220 fault.test ESMTP this greeting takes 200 ms per byte to arrive\r\n",
        Duration::from_millis(200),
    ));
    let mut client = server.client();
    let e = ends_within(Duration::from_secs(1), ErrorKind::Timeout, || {
        client.connect()
    });
    assert!(e.message().contains("greeting"), "{e}");
    drop(client);
    drop(server);
}

/// Ten replies that each come 300 ms late (well within the 1 s I/O timeout) would
/// take 3 s; the 1.2 s deadline ends the call, and the message names the step.
#[test]
fn the_deadline_ends_a_call_of_many_slow_replies() {
    let mut script = Script::new().hello(&[]).reply("MAIL FROM:", "250 2.1.0 Ok");
    for _ in 0..10 {
        script = script
            .expect("RCPT TO:")
            .sleep(Duration::from_millis(300))
            .send("250 2.1.5 Ok\r\n");
    }
    let server = FaultServer::start(script);
    let mut client = server.client();
    client
        .set_deadline(Some(Duration::from_millis(1200)))
        .expect("deadline");
    let recipients: Vec<String> = (0..10).map(|i| format!("r{i}@example.test")).collect();
    let recipients: Vec<&str> = recipients.iter().map(String::as_str).collect();
    let e = ends_within(Duration::from_millis(1200), ErrorKind::Timeout, || {
        client.send_raw(FROM, &recipients, BODY)
    });
    assert!(
        e.message()
            .starts_with("the deadline of 1200 ms for the whole call ran out"),
        "{e}"
    );
    assert!(e.message().contains("RCPT TO"), "{e}");
    let record = server.snapshot();
    assert!(
        !record.saw("DATA"),
        "no DATA after the deadline: {:?}",
        record.lines()
    );
    drop(client);
    drop(server);
}

#[test]
fn a_zero_deadline_is_refused_and_none_clears_it() {
    let mut client = Client::new("127.0.0.1", 25).expect("client");
    let e = client.set_deadline(Some(Duration::ZERO)).expect_err("zero");
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    client.set_deadline(None).expect("none");
}

// ----- TLS through a trickling proxy in front of Postfix -----------------------

/// Forwards one connection to `upstream`; what the server sends goes on to the
/// client one byte per `per_byte` while `trickle` is set, at full speed otherwise.
struct TrickleProxy {
    port: u16,
    trickle: Arc<AtomicBool>,
}

impl TrickleProxy {
    fn start(upstream: u16, per_byte: Duration, trickle_from_start: bool) -> TrickleProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let port = listener.local_addr().unwrap().port();
        let trickle = Arc::new(AtomicBool::new(trickle_from_start));
        let flag = trickle.clone();
        thread::spawn(move || {
            let Ok((client, _)) = listener.accept() else {
                return;
            };
            let server = TcpStream::connect(("127.0.0.1", upstream)).expect("upstream");
            let (mut c_in, mut s_out) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            thread::spawn(move || {
                let _ = std::io::copy(&mut c_in, &mut s_out);
                let _ = s_out.shutdown(Shutdown::Write);
            });
            let (mut s_in, mut c_out) = (server, client);
            let mut buf = [0u8; 16 * 1024];
            while let Ok(n) = s_in.read(&mut buf) {
                if n == 0 {
                    break;
                }
                for byte in &buf[..n] {
                    if flag.load(Ordering::SeqCst) {
                        thread::sleep(per_byte);
                    }
                    if c_out.write_all(std::slice::from_ref(byte)).is_err() {
                        return;
                    }
                }
            }
            let _ = c_out.shutdown(Shutdown::Write);
        });
        TrickleProxy { port, trickle }
    }
}

fn tls_client(port: u16) -> Client {
    let env = common::env();
    let mut client = Client::new("localhost", port).expect("client");
    client.set_tls(TlsMode::Implicit).expect("tls");
    client.set_ca_file(&env.ca_file).expect("ca file");
    client
        .set_timeouts(Duration::from_secs(2), Duration::from_secs(1))
        .expect("timeouts");
    client
}

/// Each byte of the handshake comes well within the I/O timeout; the whole
/// handshake must still end within it.
#[test]
fn a_trickled_tls_handshake_is_bounded_by_the_io_timeout() {
    let env = common::env();
    let proxy = TrickleProxy::start(env.smtps_port, Duration::from_millis(20), true);
    let mut client = tls_client(proxy.port);
    let e = ends_within(Duration::from_secs(1), ErrorKind::Timeout, || {
        client.connect()
    });
    assert!(e.message().contains("TLS"), "{e}");
}

/// After a handshake at full speed, a reply trickled inside TLS records: the
/// reply must still arrive within the I/O timeout.
#[test]
fn a_trickled_tls_reply_is_bounded_by_the_io_timeout() {
    let env = common::env();
    let proxy = TrickleProxy::start(env.smtps_port, Duration::from_millis(100), false);
    let mut client = tls_client(proxy.port);
    client.connect().expect("handshake and EHLO at full speed");
    assert!(client.is_tls());
    proxy.trickle.store(true, Ordering::SeqCst);
    let e = ends_within(Duration::from_secs(1), ErrorKind::Timeout, || client.noop());
    assert!(
        e.message().contains("NOOP") || e.message().contains("command"),
        "{e}"
    );
}

/// The deadline also cuts the TLS handshake short.
#[test]
fn the_deadline_cuts_a_trickled_handshake_short() {
    let env = common::env();
    let proxy = TrickleProxy::start(env.smtps_port, Duration::from_millis(20), true);
    let mut client = tls_client(proxy.port);
    client
        .set_timeouts(Duration::from_secs(5), Duration::from_secs(5))
        .expect("timeouts");
    client
        .set_deadline(Some(Duration::from_millis(800)))
        .expect("deadline");
    let e = ends_within(Duration::from_millis(800), ErrorKind::Timeout, || {
        client.connect()
    });
    assert!(e.message().starts_with("the deadline of 800 ms"), "{e}");
}

// ----- a silent resolver and addresses that never accept ------------------------

/// Set in the copy of this test that runs inside the namespace.
const INNER: &str = "SMTPC_TIME_BOUNDS_IN_NETNS";
/// A name the namespace's hosts file does not know: asked of the silent resolver.
const SILENT_NAME: &str = "mail.silent-resolver.test";
/// A name the hosts file gives ten addresses that never answer.
const BLACKHOLED_NAME: &str = "many.blackholed.test";

/// The namespace: its own loopback with a DNS server that reads queries and never
/// answers, and a veth link whose far end has no address, so connects to
/// 10.203.0.x wait for an ARP reply that never comes. Removed on drop.
struct Netns {
    name: String,
    etc: PathBuf,
    dns: Option<Child>,
}

impl Netns {
    fn create() -> Result<Netns, String> {
        let name = format!("smtpc-tb-{}", std::process::id());
        let etc = PathBuf::from("/etc/netns").join(&name);
        std::fs::create_dir_all(&etc).map_err(|e| format!("{}: {e}", etc.display()))?;
        let mut ns = Netns {
            name,
            etc,
            dns: None,
        };
        std::fs::write(
            ns.etc.join("resolv.conf"),
            "nameserver 127.0.0.1\nsearch one.test two.test three.test\n\
             options timeout:30 attempts:3\n",
        )
        .map_err(|e| e.to_string())?;
        let mut hosts = String::from("127.0.0.1 localhost\n");
        for i in 11..21 {
            hosts.push_str(&format!("10.203.0.{i} {BLACKHOLED_NAME}\n"));
        }
        std::fs::write(ns.etc.join("hosts"), hosts).map_err(|e| e.to_string())?;
        let name = ns.name.clone();
        ns.ip(&["netns", "add", &name])?;
        for args in [
            &["link", "set", "lo", "up"][..],
            &["link", "add", "tb0", "type", "veth", "peer", "name", "tb1"],
            &["addr", "add", "10.203.0.1/24", "dev", "tb0"],
            &["link", "set", "tb0", "up"],
            &["link", "set", "tb1", "up"],
        ] {
            let mut full = vec!["netns", "exec", name.as_str(), "ip"];
            full.extend_from_slice(args);
            ns.ip(&full)?;
        }
        let mut dns = Command::new("ip")
            .args(["netns", "exec", &ns.name, "python3", "-c"])
            .arg(
                "import socket,sys,time\n\
                 s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n\
                 s.bind(('127.0.0.1',53))\n\
                 print('ready',flush=True)\n\
                 end=time.time()+300\n\
                 s.settimeout(1)\n\
                 while time.time()<end:\n\
                 \x20try: s.recv(4096)\n\
                 \x20except OSError: pass\n",
            )
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("starting the silent DNS server: {e}"))?;
        let mut line = String::new();
        let stdout = dns.stdout.take().expect("stdout");
        ns.dns = Some(dns);
        BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        if line.trim() != "ready" {
            return Err("the silent DNS server did not start".into());
        }
        Ok(ns)
    }

    fn ip(&self, args: &[&str]) -> Result<(), String> {
        let out = Command::new("ip")
            .args(args)
            .output()
            .map_err(|e| format!("ip: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "ip {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(())
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        if let Some(mut dns) = self.dns.take() {
            let _ = dns.kill();
            let _ = dns.wait();
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
        let _ = std::fs::remove_dir_all(&self.etc);
    }
}

fn client_for(host: &str, connect: Duration, deadline: Option<Duration>) -> Client {
    let mut client = Client::new(host, 25).expect("client");
    client.set_tls(TlsMode::None).expect("tls");
    client
        .set_timeouts(connect, Duration::from_secs(1))
        .expect("timeouts");
    client.set_deadline(deadline).expect("deadline");
    client
}

/// Cancels `client`'s call from another thread after `after`; the call must end
/// with `Cancelled` soon after.
fn cancel_after(mut client: Client, after: Duration) {
    let cancel = client.cancel_handle();
    let canceller = thread::spawn(move || {
        thread::sleep(after);
        cancel.cancel();
    });
    let e = ends_within(after, ErrorKind::Cancelled, || client.connect());
    canceller.join().unwrap();
    drop(e);
}

/// What runs inside the namespace.
fn inside_the_namespace() {
    // The lookup gets the connect timeout (without the fix: 30 s per try, three
    // tries, four names).
    let mut c = client_for(SILENT_NAME, Duration::from_secs(1), None);
    let e = ends_within(Duration::from_secs(1), ErrorKind::Timeout, || c.connect());
    assert!(
        e.message().contains(&format!("resolving {SILENT_NAME}")),
        "{e}"
    );

    // The deadline cuts a longer connect timeout short.
    let mut c = client_for(
        SILENT_NAME,
        Duration::from_secs(20),
        Some(Duration::from_millis(1200)),
    );
    let e = ends_within(Duration::from_millis(1200), ErrorKind::Timeout, || {
        c.connect()
    });
    assert!(e.message().starts_with("the deadline of 1200 ms"), "{e}");
    assert!(e.message().contains("resolving"), "{e}");

    // A cancel ends the lookup: Cancelled, not a DNS error.
    cancel_after(
        client_for(SILENT_NAME, Duration::from_secs(20), None),
        Duration::from_millis(300),
    );

    // Ten addresses that never accept: each gets the connect timeout, all of
    // them together the deadline (without it: 10 s).
    let mut c = client_for(
        BLACKHOLED_NAME,
        Duration::from_secs(1),
        Some(Duration::from_millis(2500)),
    );
    let e = ends_within(Duration::from_millis(2500), ErrorKind::Timeout, || {
        c.connect()
    });
    assert!(e.message().starts_with("the deadline of 2500 ms"), "{e}");
    assert!(
        e.message()
            .contains("10.203.0.11:25: timed out after 1000 ms"),
        "{e}"
    );
    assert!(e.message().contains("10.203.0.13:25"), "{e}");

    // A cancel ends a connect that hangs.
    cancel_after(
        client_for(BLACKHOLED_NAME, Duration::from_secs(20), None),
        Duration::from_millis(300),
    );
}

#[test]
fn a_silent_resolver_and_blackholed_addresses_are_bounded_and_cancellable() {
    if std::env::var_os(INNER).is_some() {
        inside_the_namespace();
        return;
    }
    let required = std::env::var("SMTPC_REQUIRE_NETNS").is_ok_and(|v| v == "1");
    let ns = match Netns::create() {
        Ok(ns) => ns,
        Err(why) if !required => {
            eprintln!("skipped: no network namespace ({why}); needs root and iproute2");
            return;
        }
        Err(why) => panic!("SMTPC_REQUIRE_NETNS=1 but no network namespace: {why}"),
    };
    let exe = std::env::current_exe().expect("test binary");
    let out = Command::new("ip")
        .args(["netns", "exec", &ns.name])
        .arg(&exe)
        .args([
            "--exact",
            "a_silent_resolver_and_blackholed_addresses_are_bounded_and_cancellable",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(INNER, "1")
        .output()
        .expect("run the test inside the namespace");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "inside the namespace:\n{text}");
    assert!(text.contains("1 passed"), "the inner test ran:\n{text}");
    drop(ns);
}
