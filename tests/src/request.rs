//! The line protocol of `c/request.h`, handled by C that calls back into
//! Rust once per reply line (`request_reply` in [`ffi`](crate::ffi)); used by
//! the server example, the load generator's checks and the server tests.
//!
//! ```
//! use coffi_tests::request::{Replies, expected_reply};
//! coffi::Builder::new().initial_stack(16 * 1024).run(|| {
//!     let mut replies = Replies::new();
//!     let consumed = replies.handle(b"ADD 3 4\nECHO hi\nSUM abc\nPART").unwrap();
//!     assert_eq!(consumed, 24); // "PART" waits for its '\n'
//!     assert_eq!(replies.bytes(), b"7\nhi\n1a47e90b\n");
//!     assert_eq!(expected_reply("SUM abc").as_deref(), Some("1a47e90b"));
//! }).unwrap();
//! ```

use crate::ffi::request_handle;
use core::ffi::c_int;
use std::io::{self, Read, Write};

/// Bytes a connection reads at once (the Go server uses the same), and so
/// the longest request line [`serve`] takes.
pub const READ_BUF: usize = 4096;

/// Where `request_reply` appends. It lives on the heap (see [`Replies`]).
#[derive(Debug, Default)]
pub struct ReplyBuf {
    bytes: Vec<u8>,
    lines: usize,
}

impl ReplyBuf {
    /// Appends one reply line and its `'\n'`; returns 0 (go on).
    pub(crate) fn push_line(&mut self, line: &[u8]) -> c_int {
        self.bytes.extend_from_slice(line);
        self.bytes.push(b'\n');
        self.lines += 1;
        0
    }
}

/// The replies to the requests handled so far.
///
/// C gets the address of a heap-allocated [`ReplyBuf`], never of a value on
/// the coroutine's stack: the stack may move while C runs (the callback needs
/// more room than a small coroutine has), and an address into it would then
/// point into the old copy, which is what cgo's pointer rules forbid too.
#[derive(Debug, Default)]
pub struct Replies {
    buf: Box<ReplyBuf>,
}

/// `request_handle` returned -1: a callback asked to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped;

impl Replies {
    /// No replies yet.
    pub fn new() -> Replies {
        Replies::default()
    }

    /// Runs the C handler over `input`: every complete line gets its reply
    /// appended. Returns how many bytes of `input` were consumed (a trailing
    /// partial line is left for the next call).
    pub fn handle(&mut self, input: &[u8]) -> Result<usize, Stopped> {
        let user = std::ptr::from_mut::<ReplyBuf>(&mut self.buf).expose_provenance();
        // SAFETY: `input` is valid for `input.len()` bytes; `user` is the
        // address of the boxed `ReplyBuf`, which `request_reply` alone uses
        // until `request_handle` returns (we hold `&mut self`).
        let consumed = unsafe { request_handle(input.as_ptr().cast(), input.len(), user) };
        usize::try_from(consumed).map_err(|_| Stopped)
    }

    /// The reply lines, each ending in `'\n'`.
    pub fn bytes(&self) -> &[u8] {
        &self.buf.bytes
    }

    /// How many reply lines [`bytes`](Self::bytes) holds.
    pub fn lines(&self) -> usize {
        self.buf.lines
    }

    /// Forgets the replies (keeps the allocation).
    pub fn clear(&mut self) {
        self.buf.bytes.clear();
        self.buf.lines = 0;
    }
}

/// FNV-1a (32-bit) of `bytes`, as `SUM` computes it.
pub fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(2_166_136_261u32, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(16_777_619)
    })
}

/// The reply the protocol gives to one request line (without `'\n'`), for
/// the well-formed `ADD`, `ECHO` and `SUM` requests a client sends; `None`
/// for anything else.
pub fn expected_reply(request: &str) -> Option<String> {
    if let Some(args) = request.strip_prefix("ADD ") {
        let mut nums = args.split(' ').map(|n| n.parse::<i64>().ok());
        let (Some(Some(a)), Some(Some(b)), None) = (nums.next(), nums.next(), nums.next()) else {
            return None;
        };
        return Some((a + b).to_string());
    }
    if let Some(text) = request.strip_prefix("ECHO ") {
        return Some(text.to_string());
    }
    request
        .strip_prefix("SUM ")
        .map(|text| format!("{:08x}", fnv1a(text.as_bytes())))
}

/// The `n`-th request a client numbered `client` sends: `ADD`, `ECHO` and
/// `SUM` in turn, with arguments that depend on both numbers, so a reply
/// sent to the wrong connection or out of order is caught.
pub fn nth_request(client: u64, n: u64) -> String {
    match n % 3 {
        0 => format!("ADD {client} {n}"),
        1 => format!("ECHO client {client} request {n}"),
        _ => format!("SUM {client}:{n}"),
    }
}

/// Answers the requests on `conn` until the peer closes it: reads, runs
/// every complete line through the C handler, writes the replies. A line
/// longer than [`READ_BUF`] gets `ERR line too long` and the connection is
/// closed.
///
/// ```
/// use coffi::net::{TcpListener, TcpStream};
/// use std::io::{BufRead, BufReader, Write};
/// coffi::run(|| {
///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
///     let addr = listener.local_addr().unwrap();
///     let server = coffi::spawn(move || coffi_tests::request::serve(listener.accept().unwrap().0));
///     let stream = TcpStream::connect(addr).unwrap();
///     (&stream).write_all(b"ADD 40 2\n").unwrap();
///     let mut reply = String::new();
///     BufReader::new(&stream).read_line(&mut reply).unwrap();
///     assert_eq!(reply, "42\n");
///     drop(stream);
///     server.join().unwrap().unwrap();
/// });
/// ```
pub fn serve<S: Read + Write>(mut conn: S) -> io::Result<()> {
    let mut buf = vec![0u8; READ_BUF];
    let mut filled = 0;
    let mut replies = Replies::new();
    loop {
        let n = conn.read(&mut buf[filled..])?;
        if n == 0 {
            return Ok(());
        }
        filled += n;
        let consumed = replies
            .handle(&buf[..filled])
            .map_err(|Stopped| io::Error::other("the request handler stopped"))?;
        if replies.lines() > 0 {
            conn.write_all(replies.bytes())?;
            replies.clear();
        }
        buf.copy_within(consumed..filled, 0);
        filled -= consumed;
        if filled == buf.len() {
            return conn.write_all(b"ERR line too long\n");
        }
    }
}
