//! Measures the ways libssh2 can move a file to a host, to back hostctl's choice of transport:
//! a plain exec channel (`cat > file`), SFTP, and SCP. One host, one file, same session setup.
//!
//!   cargo run --release --example transport -- ADDRESS PORT USER KEY [MIB]
//!
//! (`bench/run transport` starts a fleet host and runs this against it.)

use std::io::Write;
use std::net::TcpStream;
use std::path::Path;
use std::time::Instant;

fn session(addr: &str, port: u16, user: &str, key: &Path) -> ssh2::Session {
    let tcp = TcpStream::connect((addr, port)).expect("connect");
    let mut s = ssh2::Session::new().unwrap();
    s.set_tcp_stream(tcp);
    // The cipher hostctl negotiates on a CPU with AES instructions.
    s.method_pref(
        ssh2::MethodType::CryptCs,
        "aes128-gcm@openssh.com,chacha20-poly1305@openssh.com",
    )
    .unwrap();
    s.handshake().expect("handshake");
    s.userauth_pubkey_file(user, None, key, None).expect("auth");
    s
}

fn report(name: &str, bytes: usize, started: Instant) {
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{name:<24} {secs:7.3} s {:9.1} MB/s",
        bytes as f64 / secs / 1e6
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 5 {
        eprintln!("usage: transport ADDRESS PORT USER KEY [MIB]");
        std::process::exit(2);
    }
    let (addr, port, user, key) = (
        &args[1],
        args[2].parse().unwrap(),
        &args[3],
        Path::new(&args[4]),
    );
    let mib: usize = args.get(5).map(|m| m.parse().unwrap()).unwrap_or(64);
    let data = vec![0x5au8; mib << 20];
    let chunk = 64 * 1024;

    let s = session(addr, port, user, key);
    let started = Instant::now();
    let mut ch = s.channel_session().unwrap();
    ch.exec("cat > /tmp/transport-exec").unwrap();
    for part in data.chunks(chunk) {
        ch.write_all(part).unwrap();
    }
    ch.send_eof().unwrap();
    ch.wait_eof().unwrap();
    ch.wait_close().unwrap();
    report("exec channel (cat)", data.len(), started);

    let s = session(addr, port, user, key);
    let started = Instant::now();
    let sftp = s.sftp().unwrap();
    let mut f = sftp.create(Path::new("/tmp/transport-sftp")).unwrap();
    for part in data.chunks(chunk) {
        f.write_all(part).unwrap();
    }
    drop(f);
    report("sftp (libssh2)", data.len(), started);

    let s = session(addr, port, user, key);
    let started = Instant::now();
    let mut ch = s
        .scp_send(
            Path::new("/tmp/transport-scp"),
            0o644,
            data.len() as u64,
            None,
        )
        .unwrap();
    for part in data.chunks(chunk) {
        ch.write_all(part).unwrap();
    }
    ch.send_eof().unwrap();
    ch.wait_eof().unwrap();
    ch.close().unwrap();
    ch.wait_close().unwrap();
    report("scp (libssh2)", data.len(), started);
}
