//! A TCP server and its clients on one thread: every request goes through
//! the C of `c/request.c`, which calls back into Rust per reply line while
//! the connection's 16 KiB stack moves.

mod common;

use coffi::net::{TcpListener, TcpStream};
use coffi_tests::request::{Replies, expected_reply, nth_request, serve};
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;

const CLIENTS: u64 = 200;
const REQUESTS: u64 = 12;

/// Sends `REQUESTS` requests in writes of one, two and three lines (so one C
/// call may answer several), checks every reply, returns how many it checked.
fn client(addr: SocketAddr, id: u64) -> u64 {
    let stream = TcpStream::connect(addr).expect("connect");
    let mut replies = BufReader::new(&stream);
    let (mut sent, mut checked) = (0, 0);
    for batch in [1, 2, 3].into_iter().cycle() {
        if sent == REQUESTS {
            break;
        }
        let requests: Vec<String> = (sent..(sent + batch).min(REQUESTS))
            .map(|n| nth_request(id, n))
            .collect();
        sent += requests.len() as u64;
        let lines: String = requests.iter().map(|r| format!("{r}\n")).collect();
        (&stream).write_all(lines.as_bytes()).expect("write");
        for request in &requests {
            let mut reply = String::new();
            replies.read_line(&mut reply).expect("read");
            let expected = expected_reply(request).expect("a well-formed request");
            assert_eq!(reply, format!("{expected}\n"), "client {id}, {request:?}");
            checked += 1;
        }
    }
    checked
}

#[test]
fn two_hundred_clients_and_their_server_on_one_thread() {
    let (checked, stats) = common::strict_16k()
        .run(|| {
            let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
            let addr = listener.local_addr().expect("local_addr");
            let server = coffi::spawn(move || {
                let connections: Vec<_> = (0..CLIENTS)
                    .map(|_| {
                        let (conn, _) = listener.accept().expect("accept");
                        coffi::spawn(move || serve(conn))
                    })
                    .collect();
                for connection in connections {
                    connection.join().expect("no panic").expect("served");
                }
            });
            let clients: Vec<_> = (0..CLIENTS)
                .map(|id| coffi::spawn(move || client(addr, id)))
                .collect();
            let checked: u64 = clients.into_iter().map(|c| c.join().unwrap()).sum();
            server.join().unwrap();
            (checked, coffi::stats())
        })
        .unwrap();
    assert_eq!(checked, CLIENTS * REQUESTS);
    assert!(
        stats.callbacks >= checked,
        "one callback per reply line: {stats:?}"
    );
    assert!(
        stats.relocations >= 1,
        "the callback's 64 KiB must have moved a 16 KiB stack: {stats:?}"
    );
    assert!(stats.spawned > 2 * CLIENTS, "{stats:?}");
}

#[test]
fn malformed_lines_get_errors_and_partial_lines_wait() {
    common::strict_16k()
        .run(|| {
            let mut replies = Replies::new();
            let input = b"BOGUS\r\nADD 1\nADD 1 x\nADD -5 +3\nECHO \nSUM \nADD 2";
            let consumed = replies.handle(input).unwrap();
            assert_eq!(&input[consumed..], b"ADD 2");
            assert_eq!(
                String::from_utf8_lossy(replies.bytes()),
                "ERR unknown command\nERR ADD takes two numbers\nERR ADD takes two numbers\n\
                 -2\n\n811c9dc5\n"
            );
            assert_eq!(replies.lines(), 6);
            replies.clear();
            assert_eq!(replies.handle(b"ADD 2 3\n"), Ok(8));
            assert_eq!(replies.bytes(), b"5\n");
        })
        .unwrap();
}
