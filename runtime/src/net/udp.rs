//! UDP: [`UdpSocket`].

use super::each_addr;
use crate::wait;
use async_io::Async;
use std::io;
use std::net::{self, SocketAddr, ToSocketAddrs};

/// A UDP socket: std's [`UdpSocket`](std::net::UdpSocket), whose sends and
/// receives park only the calling coroutine.
///
/// ```
/// coffi::run(|| {
///     let a = coffi::net::UdpSocket::bind("127.0.0.1:0").unwrap();
///     let b = coffi::net::UdpSocket::bind("127.0.0.1:0").unwrap();
///     let to = b.local_addr().unwrap();
///     let receiver = coffi::spawn(move || {
///         let mut buf = [0u8; 16];
///         let (n, from) = b.recv_from(&mut buf).unwrap();
///         (buf[..n].to_vec(), from)
///     });
///     a.send_to(b"datagram", to).unwrap();
///     let (got, from) = receiver.join().unwrap();
///     assert_eq!(got, b"datagram");
///     assert_eq!(from, a.local_addr().unwrap());
/// });
/// ```
#[derive(Debug)]
pub struct UdpSocket {
    inner: Async<net::UdpSocket>,
}

impl UdpSocket {
    /// Binds to `addr` (the first address that works).
    ///
    /// ```
    /// let socket = coffi::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// assert!(socket.local_addr().unwrap().port() > 0);
    /// ```
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        let inner = each_addr(addr, Async::<net::UdpSocket>::bind)?;
        Ok(UdpSocket { inner })
    }

    /// Sends `buf` to `addr`; returns the bytes sent.
    ///
    /// ```
    /// let socket = coffi::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let to = socket.local_addr().unwrap();
    /// assert_eq!(socket.send_to(b"me", to).unwrap(), 2);
    /// ```
    pub fn send_to(&self, buf: &[u8], addr: impl ToSocketAddrs) -> io::Result<usize> {
        each_addr(addr, |addr| wait(self.inner.send_to(buf, addr)))
    }

    /// Receives a datagram; returns its length and sender.
    ///
    /// ```
    /// let socket = coffi::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let me = socket.local_addr().unwrap();
    /// socket.send_to(b"loop", me).unwrap();
    /// let mut buf = [0u8; 8];
    /// assert_eq!(socket.recv_from(&mut buf).unwrap(), (4, me));
    /// ```
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        wait(self.inner.recv_from(buf))
    }

    /// Receives a datagram without consuming it.
    ///
    /// ```
    /// let socket = coffi::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let me = socket.local_addr().unwrap();
    /// socket.send_to(b"twice", me).unwrap();
    /// let mut buf = [0u8; 8];
    /// assert_eq!(socket.peek_from(&mut buf).unwrap().0, 5);
    /// assert_eq!(socket.recv_from(&mut buf).unwrap().0, 5);
    /// ```
    pub fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        wait(self.inner.peek_from(buf))
    }

    /// Connects the socket: `send` and `recv` use `addr`.
    ///
    /// ```
    /// let a = coffi::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let b = coffi::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// a.connect(b.local_addr().unwrap()).unwrap();
    /// assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());
    /// a.send(b"hi").unwrap();
    /// let mut buf = [0u8; 2];
    /// assert_eq!(b.recv_from(&mut buf).unwrap().0, 2);
    /// ```
    pub fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        each_addr(addr, |addr| self.inner.get_ref().connect(addr))
    }

    /// Sends `buf` to the connected peer.
    ///
    /// ```
    /// let a = coffi::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// a.connect(a.local_addr().unwrap()).unwrap();
    /// assert_eq!(a.send(b"x").unwrap(), 1);
    /// ```
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        wait(self.inner.send(buf))
    }

    /// Receives a datagram from the connected peer.
    ///
    /// ```
    /// let a = coffi::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// a.connect(a.local_addr().unwrap()).unwrap();
    /// a.send(b"self").unwrap();
    /// let mut buf = [0u8; 8];
    /// assert_eq!(a.recv(&mut buf).unwrap(), 4);
    /// ```
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        wait(self.inner.recv(buf))
    }

    /// The address the socket is bound to.
    ///
    /// ```
    /// let socket = coffi::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// assert!(socket.local_addr().unwrap().ip().is_loopback());
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
    }

    /// The address of the connected peer.
    ///
    /// ```
    /// let socket = coffi::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// assert!(socket.peer_addr().is_err()); // not connected
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().peer_addr()
    }

    /// Another handle to the same socket.
    ///
    /// ```
    /// let socket = coffi::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let other = socket.try_clone().unwrap();
    /// assert_eq!(other.local_addr().unwrap(), socket.local_addr().unwrap());
    /// ```
    pub fn try_clone(&self) -> io::Result<UdpSocket> {
        let inner = Async::new(self.inner.get_ref().try_clone()?)?;
        Ok(UdpSocket { inner })
    }

    /// Sets `SO_BROADCAST`.
    ///
    /// ```
    /// let socket = coffi::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// socket.set_broadcast(true).unwrap();
    /// assert!(socket.broadcast().unwrap());
    /// ```
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.inner.get_ref().set_broadcast(on)
    }

    /// Whether `SO_BROADCAST` is set.
    ///
    /// ```
    /// let socket = coffi::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// assert!(!socket.broadcast().unwrap());
    /// ```
    pub fn broadcast(&self) -> io::Result<bool> {
        self.inner.get_ref().broadcast()
    }
}
