//! A scripted SMTP server for fault-injection tests: it does exactly what its
//! script says (including what no real server would do) and records every byte the
//! client sent, so tests assert on what arrived at the server, not only on what the
//! client returned.
//!
//! Bounded by construction: it binds 127.0.0.1:0, every read waits at most the idle
//! timeout, every write has a timeout, and after the script it only counts further
//! connections until [`FaultServer::join`] (or drop) stops it.

// Each test file uses a different part of this module.
#![allow(dead_code)]

use smtpc::{Client, TlsMode};
use std::io::{ErrorKind as IoKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long one read waits for a byte before the step fails.
pub const DEFAULT_IDLE: Duration = Duration::from_secs(5);
/// How long the server waits for a connection.
const ACCEPT_TIMEOUT: Duration = Duration::from_secs(10);
/// Granularity of the polling reads (so that `join` is never kept waiting long).
const POLL: Duration = Duration::from_millis(20);
/// A command line longer than this is a script failure (the client is sending
/// something else, e.g. message data).
const MAX_LINE: usize = 1 << 20;
/// A BDAT chunk declared larger than this is a script failure.
const MAX_CHUNK: usize = 64 << 20;

/// One thing the server does.
#[derive(Clone, Debug)]
pub enum Step {
    /// Writes the bytes in one write.
    Send(Vec<u8>),
    /// Writes the bytes one at a time, sleeping after each.
    SendSlowly(Vec<u8>, Duration),
    /// Reads one line; it must start with the prefix (ASCII case-insensitive).
    Expect(String),
    /// Reads message data up to and including the terminating `CRLF.CRLF`.
    ExpectData,
    /// Reads one `BDAT <n> [LAST]` command line (recorded like any line) and then
    /// exactly n bytes of chunk data. The chunks of one message are concatenated;
    /// at the LAST chunk they become one entry of [`Conn::data`]. Chunks not ended
    /// by a LAST one are dropped when another command (RSET, MAIL) is read.
    ExpectBdat,
    /// Reads BDAT commands with their chunks (as [`Step::ExpectBdat`]), answering
    /// each with `reply`, until a line starting with `until` arrives; that line is
    /// read and recorded but not answered (the next step does).
    ReplyBdatsUntil {
        reply: Vec<u8>,
        until: String,
    },
    /// Reads the next `count` command lines (whatever they are), answering each
    /// with `reply`.
    ReplyNext {
        count: usize,
        reply: Vec<u8>,
    },
    /// Reads and discards exactly this many bytes.
    ReadBytes(usize),
    /// Waits this long; any byte from the client meanwhile (or one already read
    /// but not consumed) fails the step. Proves the client is waiting for a reply.
    ExpectSilence(Duration),
    /// Reads until the client closes the connection (EOF or reset).
    ReadUntilClose,
    /// Writes `prefix`, then filler bytes without any line end, up to `total` bytes
    /// or until the client stops reading (write error or timeout).
    Flood {
        prefix: Vec<u8>,
        total: usize,
    },
    Sleep(Duration),
    /// Closes the connection.
    Close,
    /// Closes the connection (if open) and accepts the next one.
    Accept,
}

/// The steps of a session, built with chained calls.
#[derive(Clone, Debug)]
pub struct Script {
    steps: Vec<Step>,
    idle: Duration,
}

impl Default for Script {
    fn default() -> Self {
        Script::new()
    }
}

fn crlf(text: &str) -> Vec<u8> {
    let mut out = text.as_bytes().to_vec();
    if !text.ends_with('\n') {
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// The multi-line 250 reply to EHLO advertising `extensions`.
pub fn ehlo_reply(extensions: &[&str]) -> String {
    let mut lines = vec!["fault.test greets you"];
    lines.extend_from_slice(extensions);
    let last = lines.len() - 1;
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| format!("250{}{l}\r\n", if i == last { ' ' } else { '-' }))
        .collect()
}

impl Script {
    /// An empty script (the server accepts one connection and closes it).
    pub fn new() -> Script {
        Script {
            steps: Vec::new(),
            idle: DEFAULT_IDLE,
        }
    }

    /// Appends a step.
    pub fn step(mut self, step: Step) -> Script {
        self.steps.push(step);
        self
    }

    /// Sets how long each read waits for data.
    pub fn idle(mut self, idle: Duration) -> Script {
        self.idle = idle;
        self
    }

    /// Sends bytes exactly as given.
    pub fn send(self, bytes: impl AsRef<[u8]>) -> Script {
        self.step(Step::Send(bytes.as_ref().to_vec()))
    }

    /// Sends bytes one at a time with `per_byte` between them.
    pub fn send_slowly(self, bytes: impl AsRef<[u8]>, per_byte: Duration) -> Script {
        self.step(Step::SendSlowly(bytes.as_ref().to_vec(), per_byte))
    }

    /// Reads a line starting with `prefix`.
    pub fn expect(self, prefix: &str) -> Script {
        self.step(Step::Expect(prefix.to_string()))
    }

    /// Reads a line starting with `prefix` and answers `reply` (CRLF added if missing).
    pub fn reply(self, prefix: &str, reply: &str) -> Script {
        self.expect(prefix).send(crlf(reply))
    }

    /// Reads message data up to its terminator.
    pub fn expect_data(self) -> Script {
        self.step(Step::ExpectData)
    }

    /// Reads one BDAT command and its chunk (see [`Step::ExpectBdat`]).
    pub fn expect_bdat(self) -> Script {
        self.step(Step::ExpectBdat)
    }

    /// Reads one BDAT command and its chunk, then answers `reply` (CRLF added if
    /// missing).
    pub fn reply_bdat(self, reply: &str) -> Script {
        self.expect_bdat().send(crlf(reply))
    }

    /// Answers every BDAT command (with its chunk) with `reply` until a line
    /// starting with `until` arrives; that line is left for the next step to answer.
    pub fn reply_bdats_until(self, reply: &str, until: &str) -> Script {
        self.step(Step::ReplyBdatsUntil {
            reply: crlf(reply),
            until: until.to_string(),
        })
    }

    /// A whole accepted transaction of a message sent as one BDAT chunk: MAIL,
    /// `rcpts` RCPTs, `BDAT n LAST` with its data.
    pub fn bdat_transaction(self, rcpts: usize) -> Script {
        self.reply("MAIL FROM:", "250 2.1.0 Ok")
            .reply_next_prefixed("RCPT TO:", rcpts, "250 2.1.5 Ok")
            .reply_bdat("250 2.0.0 Ok: queued")
    }

    /// Answers the next `count` commands, whatever they are, with `reply`.
    pub fn reply_next(self, count: usize, reply: &str) -> Script {
        self.step(Step::ReplyNext {
            count,
            reply: crlf(reply),
        })
    }

    pub fn read_bytes(self, n: usize) -> Script {
        self.step(Step::ReadBytes(n))
    }

    /// Fails if the client sends anything within `d` (see [`Step::ExpectSilence`]).
    pub fn expect_silence(self, d: Duration) -> Script {
        self.step(Step::ExpectSilence(d))
    }

    pub fn read_until_close(self) -> Script {
        self.step(Step::ReadUntilClose)
    }

    pub fn flood(self, prefix: &str, total: usize) -> Script {
        self.step(Step::Flood {
            prefix: prefix.as_bytes().to_vec(),
            total,
        })
    }

    pub fn sleep(self, d: Duration) -> Script {
        self.step(Step::Sleep(d))
    }

    pub fn close(self) -> Script {
        self.step(Step::Close)
    }

    pub fn accept(self) -> Script {
        self.step(Step::Accept)
    }

    /// The usual 220 greeting.
    pub fn greet(self) -> Script {
        self.send("220 fault.test ESMTP ready\r\n")
    }

    /// Reads EHLO and advertises `extensions`.
    pub fn ehlo(self, extensions: &[&str]) -> Script {
        self.expect("EHLO ").send(ehlo_reply(extensions))
    }

    /// Greeting and EHLO.
    pub fn hello(self, extensions: &[&str]) -> Script {
        self.greet().ehlo(extensions)
    }

    /// A whole accepted transaction: MAIL, `rcpts` RCPTs, DATA, the data.
    pub fn transaction(self, rcpts: usize) -> Script {
        self.reply("MAIL FROM:", "250 2.1.0 Ok")
            .reply_next_prefixed("RCPT TO:", rcpts, "250 2.1.5 Ok")
            .reply("DATA", "354 End data with <CR><LF>.<CR><LF>")
            .expect_data()
            .send("250 2.0.0 Ok: queued as FAULT1\r\n")
    }

    /// `count` times: a line starting with `prefix`, answered with `reply`.
    pub fn reply_next_prefixed(mut self, prefix: &str, count: usize, reply: &str) -> Script {
        for _ in 0..count {
            self = self.reply(prefix, reply);
        }
        self
    }

    /// Reads QUIT and answers 221.
    pub fn quit(self) -> Script {
        self.reply("QUIT", "221 2.0.0 Bye")
    }
}

/// One command line as the server read it.
#[derive(Clone, Debug)]
pub struct Line {
    /// The line without its line end.
    pub text: String,
    /// More bytes had already arrived behind this line when it was read (the client
    /// did not wait for a reply before sending them: pipelining).
    pub pipelined: bool,
    /// How many complete lines had already arrived behind it: commands the client
    /// sent before it had this one's reply.
    pub lines_behind: usize,
}

/// One BDAT chunk as the server read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// The size the BDAT command declared (and the bytes read).
    pub size: usize,
    /// The command said LAST.
    pub last: bool,
    /// More bytes had already arrived behind the chunk's data when it was read.
    pub pipelined: bool,
}

/// What happened on one connection.
#[derive(Clone, Debug, Default)]
pub struct Conn {
    /// Every command line read (lines inside message data are not here; BDAT
    /// command lines are, their chunk data is not).
    pub lines: Vec<Line>,
    /// Every message read by `ExpectData` (terminator included), or by BDAT (the
    /// chunks of one message concatenated, added at its LAST chunk).
    pub data: Vec<Vec<u8>>,
    /// For each entry of `data`: more bytes had already arrived behind its end
    /// (the terminator or the LAST chunk) when it was read.
    pub data_pipelined: Vec<bool>,
    /// Every BDAT chunk read, in order.
    pub chunks: Vec<Chunk>,
    /// Every byte received.
    pub raw: Vec<u8>,
    /// Bytes the server wrote.
    pub written: u64,
    /// The client closed (EOF) or reset the connection while the server read.
    pub closed_by_client: bool,
}

impl Conn {
    /// The command lines' texts.
    pub fn texts(&self) -> Vec<String> {
        self.lines.iter().map(|l| l.text.clone()).collect()
    }

    /// The raw bytes the client sent after its `DATA` command line.
    pub fn bytes_after_data(&self) -> &[u8] {
        let start = self
            .raw
            .windows(6)
            .position(|w| w == b"DATA\r\n")
            .expect("DATA sent")
            + 6;
        &self.raw[start..]
    }
}

/// Everything the server saw.
#[derive(Clone, Debug, Default)]
pub struct Record {
    /// Connections accepted, including any made after the script ended.
    pub accepted: usize,
    /// The scripted connections, in order.
    pub conns: Vec<Conn>,
    /// Where the client did not follow the script (the script stops there).
    pub errors: Vec<String>,
    /// The script ran to its end.
    pub done: bool,
}

impl Record {
    /// Every command line of every connection, in order.
    pub fn lines(&self) -> Vec<String> {
        self.conns.iter().flat_map(|c| c.texts()).collect()
    }

    /// How many command lines start with `prefix` (ASCII case-insensitive).
    pub fn count(&self, prefix: &str) -> usize {
        self.lines()
            .iter()
            .filter(|l| starts_with_ci(l, prefix))
            .count()
    }

    /// Whether any command line starts with `prefix`.
    pub fn saw(&self, prefix: &str) -> bool {
        self.count(prefix) > 0
    }

    /// Every message received, over all connections.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        self.conns.iter().flat_map(|c| c.data.clone()).collect()
    }

    /// Every byte received, over all connections.
    pub fn raw(&self) -> Vec<u8> {
        self.conns.iter().flat_map(|c| c.raw.clone()).collect()
    }

    /// Panics unless the client followed the whole script.
    pub fn assert_script_done(&self) {
        assert!(
            self.errors.is_empty() && self.done,
            "script not completed (done: {}): {:?}\nlines: {:?}",
            self.done,
            self.errors,
            self.lines()
        );
    }
}

/// The error of a call that must fail.
pub fn fails<T: std::fmt::Debug>(result: smtpc::Result<T>) -> smtpc::Error {
    match result {
        Ok(v) => panic!("expected an error, got Ok({v:?})"),
        Err(e) => e,
    }
}

/// Asserts the time since `start` lies in `min..max`.
pub fn assert_elapsed(start: Instant, min: Duration, max: Duration) {
    let elapsed = start.elapsed();
    assert!(
        elapsed >= min && elapsed < max,
        "took {elapsed:?}, expected between {min:?} and {max:?}"
    );
}

/// ASCII case-insensitive `starts_with`.
pub fn starts_with_ci(text: &str, prefix: &str) -> bool {
    text.len() >= prefix.len()
        && text.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// Whether `needle` occurs in `haystack`.
pub fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A running scripted server.
pub struct FaultServer {
    port: u16,
    stop: Arc<AtomicBool>,
    record: Arc<Mutex<Record>>,
    thread: Option<JoinHandle<()>>,
}

impl FaultServer {
    /// Binds a free port and runs `script` in a thread.
    pub fn start(script: Script) -> FaultServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local addr").port();
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let stop = Arc::new(AtomicBool::new(false));
        let record = Arc::new(Mutex::new(Record::default()));
        let mut runner = Runner {
            listener,
            stop: stop.clone(),
            record: record.clone(),
            idle: script.idle,
            conn: None,
        };
        let thread = std::thread::spawn(move || runner.run(script.steps));
        FaultServer {
            port,
            stop,
            record,
            thread: Some(thread),
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A client for this server: no TLS, 2 s connect and 1 s I/O timeouts.
    pub fn client(&self) -> Client {
        self.client_with(Some(TlsMode::None))
    }

    /// A client with the given TLS mode (`None`: the library's default for the port).
    pub fn client_with(&self, mode: Option<TlsMode>) -> Client {
        let mut client = Client::new("127.0.0.1", self.port).expect("client");
        if let Some(mode) = mode {
            client.set_tls(mode).expect("set_tls");
        }
        client
            .set_timeouts(Duration::from_secs(2), Duration::from_secs(1))
            .expect("set_timeouts");
        client.set_helo_name("client.test").expect("helo name");
        client
    }

    /// A copy of what the server saw so far.
    pub fn snapshot(&self) -> Record {
        lock(&self.record).clone()
    }

    /// Waits until `what` holds for the record (true) or `timeout` passes (false).
    pub fn wait_for(&self, timeout: Duration, what: impl Fn(&Record) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if what(&lock(&self.record)) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        false
    }

    /// Stops the server (a step still waiting for data gives up once nothing more
    /// arrives) and returns what it saw.
    pub fn join(mut self) -> Record {
        self.shutdown();
        let record = lock(&self.record).clone();
        record
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            // A panic in the server thread is a bug in this module: surface it.
            if thread.join().is_err() && !std::thread::panicking() {
                panic!("fault server thread panicked");
            }
        }
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn lock(record: &Mutex<Record>) -> MutexGuard<'_, Record> {
    record.lock().unwrap_or_else(|e| e.into_inner())
}

/// Why a step could not go on.
enum Stop {
    /// The client did not follow the script (or went away); recorded as an error.
    Failed(String),
    /// `join` was called while the step waited.
    Stopped,
}

/// The open connection: the socket and the bytes read but not yet consumed.
struct Open {
    stream: TcpStream,
    buf: Vec<u8>,
    /// BDAT chunk data of a message whose LAST chunk has not come yet (discarded
    /// when a command other than BDAT is read, e.g. the RSET after a refused chunk).
    bdat: Vec<u8>,
}

struct Runner {
    listener: TcpListener,
    stop: Arc<AtomicBool>,
    record: Arc<Mutex<Record>>,
    idle: Duration,
    conn: Option<Open>,
}

impl Runner {
    fn run(&mut self, steps: Vec<Step>) {
        let mut outcome = self.accept();
        for step in steps {
            if outcome.is_err() {
                break;
            }
            outcome = self.step(step);
        }
        match outcome {
            Ok(()) => lock(&self.record).done = true,
            Err(Stop::Failed(why)) => lock(&self.record).errors.push(why),
            Err(Stop::Stopped) => lock(&self.record)
                .errors
                .push("stopped by join before the script ended".to_string()),
        }
        self.close();
        self.count_late_connections();
    }

    /// After the script: counts (and closes) any further connection until `join`,
    /// so tests can check that the client did not silently reconnect.
    fn count_late_connections(&self) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while !self.stop.load(Ordering::SeqCst) && Instant::now() < deadline {
            if let Ok((stream, _)) = self.listener.accept() {
                lock(&self.record).accepted += 1;
                drop(stream);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        // One last look, for a connection made just before join.
        if let Ok((stream, _)) = self.listener.accept() {
            lock(&self.record).accepted += 1;
            drop(stream);
        }
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    fn accept(&mut self) -> Result<(), Stop> {
        self.close();
        let deadline = Instant::now() + ACCEPT_TIMEOUT;
        loop {
            match self.listener.accept() {
                Ok((stream, _)) => {
                    let setup = stream
                        .set_nonblocking(false)
                        .and_then(|_| stream.set_nodelay(true))
                        .and_then(|_| stream.set_read_timeout(Some(POLL)))
                        .and_then(|_| stream.set_write_timeout(Some(Duration::from_secs(2))));
                    if let Err(e) = setup {
                        return Err(Stop::Failed(format!("socket setup: {e}")));
                    }
                    let mut rec = lock(&self.record);
                    rec.accepted += 1;
                    rec.conns.push(Conn::default());
                    drop(rec);
                    self.conn = Some(Open {
                        stream,
                        buf: Vec::new(),
                        bdat: Vec::new(),
                    });
                    return Ok(());
                }
                Err(e) if e.kind() == IoKind::WouldBlock => {
                    if self.stopped() {
                        return Err(Stop::Stopped);
                    }
                    if Instant::now() >= deadline {
                        return Err(Stop::Failed("no connection came".to_string()));
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(e) => return Err(Stop::Failed(format!("accept: {e}"))),
            }
        }
    }

    fn close(&mut self) {
        if let Some(open) = self.conn.take() {
            let _ = open.stream.shutdown(Shutdown::Both);
        }
    }

    fn open(&mut self) -> Result<&mut Open, Stop> {
        self.conn
            .as_mut()
            .ok_or_else(|| Stop::Failed("no open connection".to_string()))
    }

    fn with_conn(&self, f: impl FnOnce(&mut Conn)) {
        let mut rec = lock(&self.record);
        if let Some(conn) = rec.conns.last_mut() {
            f(conn);
        }
    }

    fn step(&mut self, step: Step) -> Result<(), Stop> {
        match step {
            Step::Send(bytes) => self.write(&bytes),
            Step::SendSlowly(bytes, per_byte) => {
                for b in bytes {
                    self.write(&[b])?;
                    self.sleep(per_byte)?;
                }
                Ok(())
            }
            Step::Expect(prefix) => {
                let line = self.read_line()?;
                if starts_with_ci(&line, &prefix) {
                    Ok(())
                } else {
                    Err(Stop::Failed(format!("expected {prefix:?}, got {line:?}")))
                }
            }
            Step::ExpectData => self.read_data(),
            Step::ExpectBdat => {
                let line = self.read_line()?;
                self.read_chunk(&line)
            }
            Step::ReplyBdatsUntil { reply, until } => loop {
                let line = self.read_line()?;
                if starts_with_ci(&line, &until) {
                    return Ok(());
                }
                self.read_chunk(&line)?;
                self.write(&reply)?;
            },
            Step::ReplyNext { count, reply } => {
                for _ in 0..count {
                    self.read_line()?;
                    self.write(&reply)?;
                }
                Ok(())
            }
            Step::ReadBytes(n) => {
                while self.open()?.buf.len() < n {
                    self.fill()?;
                }
                self.open()?.buf.drain(..n);
                Ok(())
            }
            Step::ExpectSilence(d) => self.expect_silence(d),
            Step::ReadUntilClose => loop {
                self.open()?.buf.clear();
                match self.fill() {
                    Ok(()) => {}
                    Err(Stop::Failed(_)) if self.closed_by_client() => return Ok(()),
                    Err(e) => return Err(e),
                }
            },
            Step::Flood { prefix, total } => self.flood(&prefix, total),
            Step::Sleep(d) => self.sleep(d),
            Step::Close => {
                self.close();
                Ok(())
            }
            Step::Accept => self.accept(),
        }
    }

    fn closed_by_client(&self) -> bool {
        lock(&self.record)
            .conns
            .last()
            .is_some_and(|c| c.closed_by_client)
    }

    /// Sleeps, giving up early on `join`.
    fn sleep(&self, d: Duration) -> Result<(), Stop> {
        let deadline = Instant::now() + d;
        while Instant::now() < deadline {
            if self.stopped() {
                return Err(Stop::Stopped);
            }
            std::thread::sleep((deadline - Instant::now()).min(Duration::from_millis(10)));
        }
        Ok(())
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), Stop> {
        let open = self.open()?;
        let result = open
            .stream
            .write_all(bytes)
            .and_then(|_| open.stream.flush());
        match result {
            Ok(()) => {
                self.with_conn(|c| c.written += bytes.len() as u64);
                Ok(())
            }
            Err(e) => Err(Stop::Failed(format!("write failed: {e}"))),
        }
    }

    /// Writes `prefix` then filler until `total` bytes or the client stops reading.
    /// Stopping early is the expected outcome, so it is not a script failure.
    fn flood(&mut self, prefix: &[u8], total: usize) -> Result<(), Stop> {
        self.write(prefix)?;
        let chunk = vec![b'A'; 64 * 1024];
        let mut sent = prefix.len();
        while sent < total {
            let n = chunk.len().min(total - sent);
            if self.write(&chunk[..n]).is_err() {
                break;
            }
            sent += n;
        }
        Ok(())
    }

    /// Reads once more into the buffer, waiting up to the idle timeout. EOF or a
    /// reset marks the connection closed by the client and fails the step.
    fn fill(&mut self) -> Result<(), Stop> {
        let deadline = Instant::now() + self.idle;
        let mut chunk = [0u8; 64 * 1024];
        loop {
            let result = self.open()?.stream.read(&mut chunk);
            match result {
                Ok(0) => {
                    self.with_conn(|c| c.closed_by_client = true);
                    return Err(Stop::Failed("the client closed the connection".to_string()));
                }
                Ok(n) => {
                    self.open()?.buf.extend_from_slice(&chunk[..n]);
                    self.with_conn(|c| c.raw.extend_from_slice(&chunk[..n]));
                    return Ok(());
                }
                Err(e) if matches!(e.kind(), IoKind::WouldBlock | IoKind::TimedOut) => {
                    if self.stopped() {
                        return Err(Stop::Stopped);
                    }
                    if Instant::now() >= deadline {
                        return Err(Stop::Failed(format!(
                            "nothing received for {:?}",
                            self.idle
                        )));
                    }
                }
                Err(e) if e.kind() == IoKind::Interrupted => {}
                Err(e) => {
                    self.with_conn(|c| c.closed_by_client = true);
                    return Err(Stop::Failed(format!("read failed: {e}")));
                }
            }
        }
    }

    /// Reads one command line (CRLF or LF) and records it.
    fn read_line(&mut self) -> Result<String, Stop> {
        loop {
            let open = self.open()?;
            if let Some(lf) = open.buf.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = open.buf.drain(..=lf).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                let text = String::from_utf8_lossy(&line).into_owned();
                let pipelined = !open.buf.is_empty();
                let lines_behind = open.buf.iter().filter(|&&b| b == b'\n').count();
                if !starts_with_ci(&text, "BDAT ") {
                    open.bdat.clear();
                }
                let recorded = text.clone();
                self.with_conn(|c| {
                    c.lines.push(Line {
                        text: recorded,
                        pipelined,
                        lines_behind,
                    })
                });
                return Ok(text);
            }
            if open.buf.len() > MAX_LINE {
                return Err(Stop::Failed("command line too long".to_string()));
            }
            self.fill()?;
        }
    }

    /// Reads message data up to and including `CRLF.CRLF` (or a lone `.CRLF` for an
    /// empty message) and records it.
    fn read_data(&mut self) -> Result<(), Stop> {
        let mut scanned: usize = 0;
        loop {
            let open = self.open()?;
            let end = if open.buf.starts_with(b".\r\n") {
                Some(3)
            } else {
                let from = scanned.saturating_sub(4);
                open.buf[from..]
                    .windows(5)
                    .position(|w| w == b"\r\n.\r\n")
                    .map(|p| from + p + 5)
            };
            if let Some(end) = end {
                let data: Vec<u8> = open.buf.drain(..end).collect();
                let pipelined = !open.buf.is_empty();
                self.with_conn(|c| {
                    c.data.push(data);
                    c.data_pipelined.push(pipelined);
                });
                return Ok(());
            }
            scanned = open.buf.len();
            self.fill()?;
        }
    }

    /// Waits `d`, failing if any byte arrives (or is already waiting).
    fn expect_silence(&mut self, d: Duration) -> Result<(), Stop> {
        let deadline = Instant::now() + d;
        let mut chunk = [0u8; 64 * 1024];
        loop {
            let waiting = self.open()?.buf.len();
            if waiting > 0 {
                return Err(Stop::Failed(format!(
                    "expected silence, but {waiting} byte(s) arrived"
                )));
            }
            if Instant::now() >= deadline {
                return Ok(());
            }
            if self.stopped() {
                return Err(Stop::Stopped);
            }
            let result = self.open()?.stream.read(&mut chunk);
            match result {
                Ok(0) => {
                    self.with_conn(|c| c.closed_by_client = true);
                    return Err(Stop::Failed(
                        "the client closed the connection (expected silence)".to_string(),
                    ));
                }
                Ok(n) => {
                    self.open()?.buf.extend_from_slice(&chunk[..n]);
                    self.with_conn(|c| c.raw.extend_from_slice(&chunk[..n]));
                }
                Err(e) if matches!(e.kind(), IoKind::WouldBlock | IoKind::TimedOut) => {}
                Err(e) if e.kind() == IoKind::Interrupted => {}
                Err(e) => {
                    self.with_conn(|c| c.closed_by_client = true);
                    return Err(Stop::Failed(format!("read failed: {e}")));
                }
            }
        }
    }

    /// Reads the chunk data of the BDAT command `line` (already read and recorded)
    /// and records the chunk; at LAST the message's chunks become one message.
    fn read_chunk(&mut self, line: &str) -> Result<(), Stop> {
        let Some((size, last)) = parse_bdat(line) else {
            return Err(Stop::Failed(format!(
                "expected BDAT <size> [LAST], got {line:?}"
            )));
        };
        if size > MAX_CHUNK {
            return Err(Stop::Failed(format!(
                "BDAT chunk of {size} bytes is too large"
            )));
        }
        while self.open()?.buf.len() < size {
            self.fill()?;
        }
        let open = self.open()?;
        let chunk: Vec<u8> = open.buf.drain(..size).collect();
        let pipelined = !open.buf.is_empty();
        open.bdat.extend_from_slice(&chunk);
        let message = last.then(|| std::mem::take(&mut open.bdat));
        self.with_conn(|c| {
            c.chunks.push(Chunk {
                size,
                last,
                pipelined,
            });
            if let Some(message) = message {
                c.data.push(message);
                c.data_pipelined.push(pipelined);
            }
        });
        Ok(())
    }
}

/// The size and LAST flag of a `BDAT <size> [LAST]` line (ASCII case-insensitive).
fn parse_bdat(line: &str) -> Option<(usize, bool)> {
    let mut words = line.split(' ');
    if !words.next()?.eq_ignore_ascii_case("BDAT") {
        return None;
    }
    let size_word = words.next()?;
    if size_word.is_empty() || !size_word.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let size = size_word.parse().ok()?;
    let last = match words.next() {
        None => false,
        Some(w) if w.eq_ignore_ascii_case("LAST") => true,
        Some(_) => return None,
    };
    if words.next().is_some() {
        return None;
    }
    Some((size, last))
}
