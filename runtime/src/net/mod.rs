//! Networking for coroutines: std's types and methods, where a would-block
//! parks only the calling coroutine.
//!
//! [`TcpListener`], [`TcpStream`] and [`UdpSocket`] wrap the std sockets in
//! `async_io::Async` (non-blocking, registered with async-io's reactor) and
//! wait on them with [`wait`](crate::wait): on a coroutine the others run
//! meanwhile; outside one (a plain thread) the thread blocks, as with std.
//!
//! ```
//! use std::io::{Read, Write};
//! use coffi::net::{TcpListener, TcpStream};
//!
//! let reply = coffi::run(|| {
//!     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
//!     let addr = listener.local_addr().unwrap();
//!     let server = coffi::spawn(move || {
//!         let (mut conn, _) = listener.accept().unwrap();
//!         let mut buf = [0u8; 5];
//!         conn.read_exact(&mut buf).unwrap();
//!         conn.write_all(&buf.to_ascii_uppercase()).unwrap();
//!     });
//!     let mut client = TcpStream::connect(addr).unwrap();
//!     client.write_all(b"hello").unwrap();
//!     let mut reply = String::new();
//!     client.read_to_string(&mut reply).unwrap();
//!     server.join().unwrap();
//!     reply
//! });
//! assert_eq!(reply, "HELLO");
//! ```

mod tcp;
mod udp;

pub use tcp::{Incoming, TcpListener, TcpStream};
pub use udp::UdpSocket;

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

/// Tries `f` on each address `addr` resolves to, returning the first
/// success or the last error (as std does).
fn each_addr<T>(
    addr: impl ToSocketAddrs,
    mut f: impl FnMut(SocketAddr) -> io::Result<T>,
) -> io::Result<T> {
    let mut last = None;
    for addr in addr.to_socket_addrs()? {
        match f(addr) {
            Ok(value) => return Ok(value),
            Err(err) => last = Some(err),
        }
    }
    Err(last.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "could not resolve to any addresses",
        )
    }))
}
