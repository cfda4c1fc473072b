//! TCP: [`TcpListener`] and [`TcpStream`].

use super::each_addr;
use crate::wait;
use async_io::Async;
use std::io::{self, Read, Write};
use std::net::{self, Shutdown, SocketAddr, ToSocketAddrs};

/// A TCP socket server, listening for connections: std's
/// [`TcpListener`](std::net::TcpListener), whose `accept` parks only the
/// calling coroutine.
///
/// ```
/// let listener = coffi::net::TcpListener::bind("127.0.0.1:0").unwrap();
/// assert!(listener.local_addr().unwrap().port() > 0);
/// ```
#[derive(Debug)]
pub struct TcpListener {
    inner: Async<net::TcpListener>,
}

impl TcpListener {
    /// Binds to `addr` and listens (the first address that works).
    ///
    /// ```
    /// let listener = coffi::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    /// assert!(listener.local_addr().unwrap().ip().is_loopback());
    /// ```
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        let inner = each_addr(addr, Async::<net::TcpListener>::bind)?;
        Ok(TcpListener { inner })
    }

    /// Waits for a connection and returns it with the peer's address.
    ///
    /// ```
    /// coffi::run(|| {
    ///     let listener = coffi::net::TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let addr = listener.local_addr().unwrap();
    ///     let client = coffi::spawn(move || coffi::net::TcpStream::connect(addr).unwrap());
    ///     let (conn, peer) = listener.accept().unwrap();
    ///     let client = client.join().unwrap();
    ///     assert_eq!(peer, client.local_addr().unwrap());
    ///     assert_eq!(conn.peer_addr().unwrap(), peer);
    /// });
    /// ```
    pub fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (inner, peer) = wait(self.inner.accept())?;
        Ok((TcpStream { inner }, peer))
    }

    /// An endless iterator of accepted connections.
    ///
    /// ```
    /// coffi::run(|| {
    ///     let listener = coffi::net::TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let addr = listener.local_addr().unwrap();
    ///     coffi::spawn(move || {
    ///         for _ in 0..3 {
    ///             coffi::net::TcpStream::connect(addr).unwrap();
    ///         }
    ///     });
    ///     assert_eq!(listener.incoming().take(3).filter(|c| c.is_ok()).count(), 3);
    /// });
    /// ```
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming { listener: self }
    }

    /// The address the listener is bound to.
    ///
    /// ```
    /// let listener = coffi::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// assert_eq!(listener.local_addr().unwrap().ip().to_string(), "127.0.0.1");
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
    }

    /// Another handle to the same listening socket.
    ///
    /// ```
    /// let listener = coffi::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let other = listener.try_clone().unwrap();
    /// assert_eq!(other.local_addr().unwrap(), listener.local_addr().unwrap());
    /// ```
    pub fn try_clone(&self) -> io::Result<TcpListener> {
        let inner = Async::new(self.inner.get_ref().try_clone()?)?;
        Ok(TcpListener { inner })
    }

    /// Sets the IP time-to-live of sockets accepted from now on.
    ///
    /// ```
    /// let listener = coffi::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// listener.set_ttl(42).unwrap();
    /// assert_eq!(listener.ttl().unwrap(), 42);
    /// ```
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.inner.get_ref().set_ttl(ttl)
    }

    /// The IP time-to-live.
    ///
    /// ```
    /// let listener = coffi::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// assert!(listener.ttl().unwrap() > 0);
    /// ```
    pub fn ttl(&self) -> io::Result<u32> {
        self.inner.get_ref().ttl()
    }
}

/// The iterator of [`TcpListener::incoming`].
#[derive(Debug)]
pub struct Incoming<'a> {
    listener: &'a TcpListener,
}

impl Iterator for Incoming<'_> {
    type Item = io::Result<TcpStream>;

    fn next(&mut self) -> Option<io::Result<TcpStream>> {
        Some(self.listener.accept().map(|(stream, _)| stream))
    }
}

/// A TCP connection: std's [`TcpStream`](std::net::TcpStream), whose reads,
/// writes and `connect` park only the calling coroutine. `Read` and `Write`
/// work on the value and on `&TcpStream`, so two coroutines can read and
/// write one connection at once.
///
/// ```
/// use std::io::{Read, Write};
/// coffi::run(|| {
///     let listener = coffi::net::TcpListener::bind("127.0.0.1:0").unwrap();
///     let addr = listener.local_addr().unwrap();
///     let echo = coffi::spawn(move || {
///         let (conn, _) = listener.accept().unwrap();
///         std::io::copy(&mut &conn, &mut &conn).unwrap();
///     });
///     let mut stream = coffi::net::TcpStream::connect(addr).unwrap();
///     stream.write_all(b"ping").unwrap();
///     stream.shutdown(std::net::Shutdown::Write).unwrap();
///     let mut back = Vec::new();
///     stream.read_to_end(&mut back).unwrap();
///     assert_eq!(back, b"ping");
///     echo.join().unwrap();
/// });
/// ```
#[derive(Debug)]
pub struct TcpStream {
    inner: Async<net::TcpStream>,
}

impl TcpStream {
    /// Connects to `addr` (the first address that accepts).
    ///
    /// ```
    /// let err = coffi::run(|| coffi::net::TcpStream::connect("127.0.0.1:1").unwrap_err());
    /// assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    /// ```
    pub fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        let inner = each_addr(addr, |addr| wait(Async::<net::TcpStream>::connect(addr)))?;
        Ok(TcpStream { inner })
    }

    /// The address of the remote end.
    ///
    /// ```
    /// coffi::run(|| {
    ///     let listener = coffi::net::TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let addr = listener.local_addr().unwrap();
    ///     let stream = coffi::net::TcpStream::connect(addr).unwrap();
    ///     assert_eq!(stream.peer_addr().unwrap(), addr);
    /// });
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().peer_addr()
    }

    /// The address of the local end.
    ///
    /// ```
    /// coffi::run(|| {
    ///     let listener = coffi::net::TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let stream = coffi::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    ///     assert!(stream.local_addr().unwrap().ip().is_loopback());
    /// });
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
    }

    /// Shuts down the read half, the write half, or both.
    ///
    /// ```
    /// use std::io::Read;
    /// coffi::run(|| {
    ///     let listener = coffi::net::TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let addr = listener.local_addr().unwrap();
    ///     let peer = coffi::spawn(move || {
    ///         let (conn, _) = listener.accept().unwrap();
    ///         conn.shutdown(std::net::Shutdown::Write).unwrap();
    ///     });
    ///     let mut stream = coffi::net::TcpStream::connect(addr).unwrap();
    ///     assert_eq!(stream.read(&mut [0u8; 8]).unwrap(), 0); // end of stream
    ///     peer.join().unwrap();
    /// });
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.get_ref().shutdown(how)
    }

    /// Sets `TCP_NODELAY`.
    ///
    /// ```
    /// coffi::run(|| {
    ///     let listener = coffi::net::TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let stream = coffi::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    ///     stream.set_nodelay(true).unwrap();
    ///     assert!(stream.nodelay().unwrap());
    /// });
    /// ```
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.inner.get_ref().set_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set.
    ///
    /// ```
    /// coffi::run(|| {
    ///     let listener = coffi::net::TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let stream = coffi::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    ///     assert!(!stream.nodelay().unwrap());
    /// });
    /// ```
    pub fn nodelay(&self) -> io::Result<bool> {
        self.inner.get_ref().nodelay()
    }

    /// Sets the IP time-to-live.
    ///
    /// ```
    /// coffi::run(|| {
    ///     let listener = coffi::net::TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let stream = coffi::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    ///     stream.set_ttl(7).unwrap();
    ///     assert_eq!(stream.ttl().unwrap(), 7);
    /// });
    /// ```
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.inner.get_ref().set_ttl(ttl)
    }

    /// The IP time-to-live.
    ///
    /// ```
    /// coffi::run(|| {
    ///     let listener = coffi::net::TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let stream = coffi::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    ///     assert!(stream.ttl().unwrap() > 0);
    /// });
    /// ```
    pub fn ttl(&self) -> io::Result<u32> {
        self.inner.get_ref().ttl()
    }

    /// Another handle to the same connection (for example one coroutine
    /// reading while another writes).
    ///
    /// ```
    /// coffi::run(|| {
    ///     let listener = coffi::net::TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let stream = coffi::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    ///     let other = stream.try_clone().unwrap();
    ///     assert_eq!(other.local_addr().unwrap(), stream.local_addr().unwrap());
    /// });
    /// ```
    pub fn try_clone(&self) -> io::Result<TcpStream> {
        let inner = Async::new(self.inner.get_ref().try_clone()?)?;
        Ok(TcpStream { inner })
    }

    /// Reads into `buf` without consuming the data.
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// coffi::run(|| {
    ///     let listener = coffi::net::TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let mut client = coffi::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    ///     let (mut conn, _) = listener.accept().unwrap();
    ///     client.write_all(b"abc").unwrap();
    ///     let mut peeked = [0u8; 3];
    ///     assert_eq!(conn.peek(&mut peeked).unwrap(), 3);
    ///     let mut read = [0u8; 3];
    ///     conn.read_exact(&mut read).unwrap();
    ///     assert_eq!(peeked, read);
    /// });
    /// ```
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        wait(self.inner.read_with(|io| io.peek(buf)))
    }
}

impl Read for &TcpStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        wait(self.inner.read_with(|mut io| io.read(buf)))
    }
}

impl Write for &TcpStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        wait(self.inner.write_with(|mut io| io.write(buf)))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for TcpStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }
}

impl Write for TcpStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
