//! Load generator for the line-protocol servers (`examples/server.rs`, and
//! the Go one in `tests/benches/cgo-server`): opens `--conns` connections to
//! a server on this machine, one coroutine each, all on one thread; each
//! sends one request line at a time, waits for the reply and checks it
//! against [`expected_reply`] (a wrong or missing reply stops the run with a
//! non-zero exit), for `--secs` seconds. It then prints requests per second
//! and the p50 / p99 / max latency (write of the request to the end of the
//! reply).
//!
//! With `--pid` (the server's process), it also reads the server's VmRSS
//! (`/proc/PID/status`) before connecting, once all connections are open,
//! and once every connection has made one request and gone idle, and prints
//! the growth per connection.
//!
//! ```sh
//! cargo run --release -p coffi-tests --example loadgen -- \
//!     --addr 127.0.0.1:7878 --conns 1000 --secs 10 --pid "$(pgrep -nx server)"
//! ```
//!
//! The last line is `RESULT key=value ...`, for `scripts/bench-server.sh`.
//! Only loopback addresses are accepted. Open descriptors must allow
//! `--conns` plus a few (`ulimit -n`).

use coffi::net::TcpStream;
use coffi_tests::request::{expected_reply, nth_request};
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Coroutines that open the connections (so the server's accept backlog is
/// never flooded by a thousand SYNs at once).
const CONNECTORS: usize = 32;
/// Time to let the server settle before reading its memory.
const SETTLE: Duration = Duration::from_millis(300);

struct Opts {
    addr: SocketAddr,
    conns: usize,
    secs: f64,
    pid: Option<u32>,
}

fn usage(problem: &str) -> ! {
    eprintln!(
        "loadgen: {problem}\nusage: loadgen [--addr 127.0.0.1:7878] [--conns 1000] [--secs 10] [--pid PID]"
    );
    std::process::exit(2);
}

fn parse<T: std::str::FromStr>(flag: &str, value: &str) -> T {
    value
        .parse()
        .unwrap_or_else(|_| usage(&format!("bad value {value:?} for {flag}")))
}

impl Opts {
    fn parse() -> Opts {
        let mut opts = Opts {
            addr: "127.0.0.1:7878".parse().expect("a socket address"),
            conns: 1000,
            secs: 10.0,
            pid: None,
        };
        let mut args = std::env::args().skip(1);
        while let Some(flag) = args.next() {
            let value = args
                .next()
                .unwrap_or_else(|| usage(&format!("{flag} needs a value")));
            match flag.as_str() {
                "--addr" => opts.addr = parse(&flag, &value),
                "--conns" => opts.conns = parse(&flag, &value),
                "--secs" => opts.secs = parse(&flag, &value),
                "--pid" => opts.pid = Some(parse(&flag, &value)),
                _ => usage(&format!("unknown flag {flag}")),
            }
        }
        if !opts.addr.ip().is_loopback() {
            usage("only loopback addresses (127.0.0.1, ::1) are load-tested");
        }
        if opts.conns == 0 || !(0.1..=3600.0).contains(&opts.secs) {
            usage("--conns must be positive and --secs within 0.1..=3600");
        }
        opts
    }
}

/// The resident memory of a process, in KiB: VmRSS and its three parts
/// (`/proc/PID/status`).
#[derive(Clone, Copy)]
struct Resident {
    total: u64,
    anon: u64,
    file: u64,
    shmem: u64,
}

impl Resident {
    fn of(pid: u32) -> Resident {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .unwrap_or_else(|err| fail(&format!("cannot read /proc/{pid}/status: {err}")));
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
                .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
                .unwrap_or_else(|| fail(&format!("no {name} in /proc/{pid}/status")))
        };
        Resident {
            total: field("VmRSS"),
            anon: field("RssAnon"),
            file: field("RssFile"),
            shmem: field("RssShmem"),
        }
    }

    /// Growth from `base`, per connection, in KiB, as
    /// `(total, anon, file, shmem)`.
    fn per_conn(self, base: Resident, n: usize) -> [f64; 4] {
        let per = |now: u64, then: u64| now.saturating_sub(then) as f64 / n as f64;
        [
            per(self.total, base.total),
            per(self.anon, base.anon),
            per(self.file, base.file),
            per(self.shmem, base.shmem),
        ]
    }
}

/// CPU time (user + system) process `pid` (or this process, for `None`)
/// has used, in seconds, at the kernel's clock-tick resolution.
fn cpu_secs(pid: Option<u32>) -> f64 {
    let path = pid.map_or_else(
        || "/proc/self/stat".to_string(),
        |pid| format!("/proc/{pid}/stat"),
    );
    let stat = std::fs::read_to_string(&path)
        .unwrap_or_else(|err| fail(&format!("cannot read {path}: {err}")));
    // The fields after the command name (which may hold spaces) in
    // parentheses: state is field 3, utime 14, stime 15.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = fields
        .get(11..13)
        .map_or(0, |f| f.iter().filter_map(|t| t.parse::<u64>().ok()).sum());
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    ticks as f64 / hz
}

fn fail(message: &str) -> ! {
    eprintln!("loadgen: {message}");
    std::process::exit(1);
}

/// One connection of the load: its number, its stream, the requests it sent.
struct Client {
    id: u64,
    stream: TcpStream,
    sent: u64,
    reply: Vec<u8>,
}

impl Client {
    /// Sends the next request, waits for its reply and checks it.
    fn round_trip(&mut self) -> Result<(), String> {
        let request = nth_request(self.id, self.sent);
        let expected = expected_reply(&request).expect("loadgen sends well-formed requests");
        self.sent += 1;
        let mut line = request.into_bytes();
        line.push(b'\n');
        self.stream
            .write_all(&line)
            .map_err(|err| format!("client {}: write: {err}", self.id))?;
        self.reply.clear();
        let mut chunk = [0u8; 128];
        while self.reply.last() != Some(&b'\n') {
            let n = self
                .stream
                .read(&mut chunk)
                .map_err(|err| format!("client {}: read: {err}", self.id))?;
            if n == 0 {
                return Err(format!(
                    "client {}: the server closed the connection",
                    self.id
                ));
            }
            self.reply.extend_from_slice(&chunk[..n]);
        }
        if self.reply.strip_suffix(b"\n") != Some(expected.as_bytes()) {
            return Err(format!(
                "client {}: request {:?} got {:?}, expected {expected:?}",
                self.id,
                String::from_utf8_lossy(&line),
                String::from_utf8_lossy(&self.reply)
            ));
        }
        Ok(())
    }
}

/// Opens `n` connections, [`CONNECTORS`] at a time.
fn connect_all(addr: SocketAddr, n: usize) -> Vec<Client> {
    let connectors: Vec<_> = (0..CONNECTORS.min(n))
        .map(|first| {
            coffi::spawn(move || {
                (first..n)
                    .step_by(CONNECTORS)
                    .map(|id| {
                        let stream = TcpStream::connect(addr)
                            .map_err(|err| format!("connection {id}: connect: {err}"))?;
                        stream
                            .set_nodelay(true)
                            .map_err(|err| format!("connection {id}: nodelay: {err}"))?;
                        let id = id as u64;
                        Ok(Client {
                            id,
                            stream,
                            sent: 0,
                            reply: Vec::with_capacity(128),
                        })
                    })
                    .collect::<Result<Vec<_>, String>>()
            })
        })
        .collect();
    let mut clients = Vec::with_capacity(n);
    for connector in connectors {
        match connector.join() {
            Ok(Ok(some)) => clients.extend(some),
            Ok(Err(err)) => fail(&err),
            Err(_) => fail("a connecting coroutine panicked"),
        }
    }
    clients.sort_by_key(|c| c.id);
    clients
}

/// Runs `work` on every client in a coroutine of its own; returns the
/// clients and what `work` returned.
fn on_each<T: 'static>(
    clients: Vec<Client>,
    work: impl Fn(&mut Client) -> Result<T, String> + Clone + 'static,
) -> (Vec<Client>, Vec<T>) {
    let handles: Vec<_> = clients
        .into_iter()
        .map(|mut client| {
            let work = work.clone();
            coffi::spawn(move || work(&mut client).map(|out| (client, out)))
        })
        .collect();
    let mut clients = Vec::with_capacity(handles.len());
    let mut outs = Vec::with_capacity(handles.len());
    for handle in handles {
        match handle.join() {
            Ok(Ok((client, out))) => {
                clients.push(client);
                outs.push(out);
            }
            Ok(Err(err)) => fail(&err),
            Err(_) => fail("a client coroutine panicked"),
        }
    }
    (clients, outs)
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn main() {
    let opts = Opts::parse();
    let outcome = coffi::Builder::new()
        .initial_stack(16 * 1024)
        .run(move || load(&opts));
    if let Err(err) = outcome {
        fail(&format!("cannot start the runtime: {err}"));
    }
}

fn load(opts: &Opts) {
    let n = opts.conns;
    let rss = |_: ()| opts.pid.map(Resident::of);
    let rss_base = rss(());

    let started = Instant::now();
    let clients = connect_all(opts.addr, n);
    println!("{n} connections open in {:.2?}", started.elapsed());
    coffi::sleep(SETTLE);
    let rss_connected = rss(());

    // One request on every connection, so the server's per-connection
    // state is what it is between requests.
    let (clients, _) = on_each(clients, Client::round_trip);
    coffi::sleep(SETTLE);
    let rss_idle = rss(());

    let secs = opts.secs;
    let started = Instant::now();
    let cpu_before = (opts.pid.map(|pid| cpu_secs(Some(pid))), cpu_secs(None));
    let deadline = started + Duration::from_secs_f64(secs);
    let (clients, latencies) = on_each(clients, move |client| {
        let mut latencies = Vec::with_capacity(4096);
        loop {
            let sent = Instant::now();
            if sent >= deadline {
                return Ok(latencies);
            }
            client.round_trip()?;
            latencies.push(sent.elapsed().as_nanos() as u64);
        }
    });
    let elapsed = started.elapsed().as_secs_f64();
    let cpu_after = (opts.pid.map(|pid| cpu_secs(Some(pid))), cpu_secs(None));
    drop(clients);

    let mut all: Vec<u64> = latencies.into_iter().flatten().collect();
    all.sort_unstable();
    let requests = all.len();
    let rps = requests as f64 / elapsed;
    let us = |ns: u64| ns as f64 / 1000.0;
    let (p50, p99, max) = (
        us(percentile(&all, 50.0)),
        us(percentile(&all, 99.0)),
        us(all.last().copied().unwrap_or(0)),
    );
    println!(
        "{requests} requests in {elapsed:.2} s over {n} connections, every reply checked: \
         {rps:.0} requests/s; latency p50 {p50:.0} us, p99 {p99:.0} us, max {max:.0} us"
    );
    let mut result = format!(
        "RESULT conns={n} secs={elapsed:.3} requests={requests} rps={rps:.1} \
         p50_us={p50:.1} p99_us={p99:.1} max_us={max:.1}"
    );
    let own_cpu = (cpu_after.1 - cpu_before.1) / elapsed;
    println!("loadgen CPU: {:.0} % of a core", own_cpu * 100.0);
    result += &format!(" loadgen_cpu={own_cpu:.3}");
    if let (Some(before), Some(after)) = (cpu_before.0, cpu_after.0) {
        let busy = (after - before) / elapsed;
        let per_request = (after - before) / requests.max(1) as f64 * 1e6;
        println!(
            "server CPU: {:.0} % of a core, {per_request:.2} us per request",
            busy * 100.0
        );
        result += &format!(" server_cpu={busy:.3} server_cpu_us_per_req={per_request:.3}");
    }
    if let (Some(base), Some(connected), Some(idle)) = (rss_base, rss_connected, rss_idle) {
        for (when, now) in [("open", connected), ("idle after one request", idle)] {
            let [total, anon, file, shmem] = now.per_conn(base, n);
            println!(
                "server VmRSS {} KiB -> {} KiB with {n} connections {when}: {total:.2} KiB per \
                 connection (anon {anon:.2}, file {file:.2}, shmem {shmem:.2})",
                base.total, now.total
            );
        }
        let [connected_each, ..] = connected.per_conn(base, n);
        let [idle_each, ..] = idle.per_conn(base, n);
        result += &format!(
            " rss_base_kib={} rss_connected_kib={} rss_idle_kib={} \
             per_conn_connected_kib={connected_each:.2} per_conn_idle_kib={idle_each:.2}",
            base.total, connected.total, idle.total
        );
    }
    println!("{result}");
}
