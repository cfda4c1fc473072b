//! A TCP server of the line protocol of `c/request.h`, on one thread: every
//! connection is a coroutine with a 16 KiB first stack, and every batch of
//! request lines it reads goes through the C handler, which calls back into
//! Rust once per reply line. That callback declares 64 KiB of room, so each
//! connection's stack moves on its first request, while C is on the call
//! stack.
//!
//! ```sh
//! cargo run --release -p coffi-tests --example server -- 7878   # port; 0 picks one
//! printf 'ADD 3 4\nECHO hi\nSUM abc\n' | nc -q1 127.0.0.1 7878
//! cargo run --release -p coffi-tests --example loadgen -- --addr 127.0.0.1:7878
//! ```
//!
//! The port is the first argument, else `COFFI_SERVER_PORT`, else 7878. It
//! listens on 127.0.0.1 only, prints `listening on ADDR (pid PID)` once
//! bound, and exits by itself after `COFFI_SERVER_SECS` seconds (600), so a
//! forgotten server does not linger. On SIGTERM it just dies, like the Go
//! server it is compared with (`tests/benches/cgo-server`).

use coffi::net::{TcpListener, TcpStream};
use coffi_tests::request::serve;
use std::io::{self, Write};
use std::time::Duration;

fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("COFFI_SERVER_PORT").ok())
        .map_or(7878, |p| p.parse().expect("the port is a number"));
    let secs: u64 = std::env::var("COFFI_SERVER_SECS")
        .map_or(600, |s| s.parse().expect("COFFI_SERVER_SECS is a number"));

    // A plain thread, not a coroutine's `coffi::sleep`: the exit timer stays
    // out of the reactor the connections wait in.
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(secs));
        eprintln!("server: {secs} s are up, exiting");
        std::process::exit(0);
    });
    let outcome = coffi::Builder::new()
        .initial_stack(16 * 1024)
        .run(move || -> io::Result<()> {
            let listener = TcpListener::bind(("127.0.0.1", port))?;
            println!(
                "listening on {} (pid {})",
                listener.local_addr()?,
                std::process::id()
            );
            io::stdout().flush()?;
            loop {
                match listener.accept() {
                    Ok((conn, _)) => {
                        // Dropping the handle detaches the coroutine.
                        drop(coffi::spawn(move || connection(conn)));
                    }
                    Err(err) => {
                        // Out of descriptors, most likely: back off a little.
                        eprintln!("server: accept: {err}");
                        coffi::sleep(Duration::from_millis(10));
                    }
                }
            }
        });
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(err)) => {
            eprintln!("server: {err}");
            std::process::exit(1);
        }
        Err(err) => {
            eprintln!("server: cannot start the runtime: {err}");
            std::process::exit(1);
        }
    }
}

/// One connection, answered by [`serve`] until the peer closes it.
fn connection(conn: TcpStream) {
    if let Err(err) = conn.set_nodelay(true).and_then(|()| serve(&conn)) {
        // A client that resets its connection is no reason to stop.
        if err.kind() != io::ErrorKind::ConnectionReset {
            eprintln!("server: connection: {err}");
        }
    }
}
