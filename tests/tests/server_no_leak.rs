//! A thousand connections opened, served and closed in one run leave no
//! descriptor and no mapping behind. Alone in its binary: it counts
//! process-wide resources, which tests running in parallel would disturb.

use coffi::net::{TcpListener, TcpStream};
use coffi_test_support::{mappings, open_fds};
use coffi_tests::request::{expected_reply, nth_request, serve};
use std::io::{BufRead, BufReader, Write};

/// Runs a server for `connections` connections, made `at_once` at a time,
/// each sending one request and checking its reply before closing.
fn serve_and_close(connections: u64, at_once: u64) {
    coffi::Builder::new()
        .initial_stack(16 * 1024)
        .run(move || {
            let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
            let addr = listener.local_addr().expect("local_addr");
            let server = coffi::spawn(move || {
                let handles: Vec<_> = (0..connections)
                    .map(|_| {
                        let (conn, _) = listener.accept().expect("accept");
                        coffi::spawn(move || serve(conn))
                    })
                    .collect();
                for handle in handles {
                    handle.join().expect("no panic").expect("served");
                }
            });
            for wave in 0..connections / at_once {
                let clients: Vec<_> = (0..at_once)
                    .map(|i| {
                        let id = wave * at_once + i;
                        coffi::spawn(move || {
                            let stream = TcpStream::connect(addr).expect("connect");
                            let request = nth_request(id, id);
                            (&stream)
                                .write_all(format!("{request}\n").as_bytes())
                                .expect("write");
                            let mut reply = String::new();
                            BufReader::new(&stream).read_line(&mut reply).expect("read");
                            assert_eq!(reply, format!("{}\n", expected_reply(&request).unwrap()));
                        })
                    })
                    .collect();
                clients.into_iter().for_each(|c| c.join().unwrap());
            }
            server.join().unwrap();
        })
        .unwrap();
}

#[test]
fn a_thousand_connections_leave_no_descriptor_or_mapping_behind() {
    // Warm up: the reactor (its epoll, eventfd and thread) and the stack
    // pool are made once per process or thread and kept.
    serve_and_close(100, 100);
    let (fds, maps) = (open_fds(), mappings());

    serve_and_close(1000, 250);

    let (fds_after, maps_after) = (open_fds(), mappings());
    eprintln!("descriptors {fds} -> {fds_after}, mappings {maps} -> {maps_after}");
    assert!(
        fds_after <= fds,
        "open descriptors: {fds} before, {fds_after} after 1000 connections"
    );
    assert!(
        maps_after <= maps + 4,
        "mappings: {maps} before, {maps_after} after 1000 connections"
    );
}
