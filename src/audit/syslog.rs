//! Records as RFC 5424 syslog messages, over UDP (RFC 5426), TCP with octet-counting framing
//! (RFC 6587) or TLS (RFC 5425, through rustls).
//!
//! The structured data (`[hostctl@32473 op="…" operator="…" …]`) carries what a SIEM filters
//! on; the record's JSON line is the MSG, unchanged, so it can be checked against the local
//! log by its `hash`.
//!
//! Plain syslog has no acknowledgement. A TCP or TLS batch counts as delivered only when the
//! collector, after reading everything up to our end of stream, closes the connection in turn:
//! a collector that died or reset the connection earlier leaves the batch in the spool, to be
//! sent again. UDP cannot know: a datagram handed to the network counts as delivered.

use super::link::{Envelope, IO_TIMEOUT, Link};
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The SD-ID of hostctl's structured data element (32473 is the private enterprise number
/// RFC 5612 reserves for documentation and examples).
pub const SD_ID: &str = "hostctl@32473";

/// Facility `authpriv` (10): records of privileged actions, which syslog keeps apart.
const FACILITY: u8 = 10;

/// The largest UDP payload over IPv4, less the headers.
const UDP_MAX: usize = 65_507;

/// TCP and TLS messages above this are cut (the local log keeps the whole record).
pub const STREAM_MAX: usize = 1 << 20;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// CA bundles tried when `ca_file` is not set (Debian/Ubuntu, then Fedora/RHEL).
const SYSTEM_CA_FILES: [&str; 2] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
];

/// An SD-PARAM value with `"`, `\` and `]` escaped (RFC 5424 section 6.3.3).
pub fn escape_param(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '"' | '\\' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A header field: printable US-ASCII without spaces, at most `max` long, else the NILVALUE.
fn header_field(value: &str, max: usize) -> &str {
    if value.is_empty() || value.len() > max || !value.bytes().all(|b| (33..=126).contains(&b)) {
        "-"
    } else {
        value
    }
}

/// The RFC 5424 message for one record, its MSG cut to fit `max` bytes if needed (then the
/// structured data says how long the record was: `truncated="BYTES"`).
pub fn message(entry: &Envelope, record: &str, max: usize) -> Vec<u8> {
    let pri = FACILITY * 8 + entry.severity.min(7);
    let mut sd = format!("[{SD_ID}");
    for (name, value) in &entry.fields {
        sd.push_str(&format!(" {name}=\"{}\"", escape_param(value)));
    }
    sd.push_str(&format!(" hash=\"{}\"", escape_param(&entry.hash)));
    let head = format!(
        "<{pri}>1 {} {} hostctl {} {} ",
        header_field(&entry.time, 64),
        header_field(&entry.hostname, 255),
        entry.procid,
        header_field(&entry.kind, 32),
    );
    let whole = head.len() + sd.len() + 2 + record.len();
    let mut msg = record;
    if whole > max {
        let note = format!(" truncated=\"{}\"", record.len());
        let room = max.saturating_sub(head.len() + sd.len() + note.len() + 2);
        let mut cut = room.min(record.len());
        while !record.is_char_boundary(cut) {
            cut -= 1;
        }
        msg = &record[..cut];
        sd.push_str(&note);
    }
    sd.push(']');
    let mut out = Vec::with_capacity(head.len() + sd.len() + 1 + msg.len());
    out.extend_from_slice(head.as_bytes());
    out.extend_from_slice(sd.as_bytes());
    out.push(b' ');
    out.extend_from_slice(msg.as_bytes());
    out
}

/// RFC 6587 octet counting: `LENGTH SP MESSAGE`.
pub fn frame(message: &[u8]) -> Vec<u8> {
    let mut out = format!("{} ", message.len()).into_bytes();
    out.extend_from_slice(message);
    out
}

/// How the messages travel: `syslog+udp://`, `syslog+tcp://` or `syslog+tls://`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    Udp,
    Tcp,
    Tls,
}

pub struct SyslogLink {
    transport: Transport,
    host: String,
    port: u16,
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl SyslogLink {
    pub fn new(
        transport: Transport,
        host: &str,
        port: u16,
        ca_file: Option<&Path>,
    ) -> Result<SyslogLink, String> {
        let tls = match transport {
            Transport::Tls => Some(Arc::new(tls_config(ca_file)?)),
            _ => None,
        };
        Ok(SyslogLink {
            transport,
            host: host.to_string(),
            port,
            tls,
        })
    }

    fn addresses(&self) -> std::io::Result<Vec<SocketAddr>> {
        let addrs: Vec<SocketAddr> = (self.host.as_str(), self.port).to_socket_addrs()?.collect();
        if addrs.is_empty() {
            return Err(std::io::Error::other(format!(
                "`{}` has no address",
                self.host
            )));
        }
        Ok(addrs)
    }

    fn connect(&self) -> std::io::Result<TcpStream> {
        let mut last = None;
        for addr in self.addresses()? {
            match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
                Ok(stream) => {
                    stream.set_write_timeout(Some(IO_TIMEOUT))?;
                    stream.set_read_timeout(Some(IO_TIMEOUT))?;
                    stream.set_nodelay(true)?;
                    return Ok(stream);
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.expect("at least one address"))
    }

    fn messages(lines: &[&[u8]], max: usize) -> Vec<Vec<u8>> {
        lines
            .iter()
            .filter_map(|line| Envelope::from_spool(line))
            .map(|(entry, record)| message(&entry, record, max))
            .collect()
    }

    fn udp(&self, lines: &[&[u8]]) -> std::io::Result<()> {
        let addr = self.addresses()?[0];
        let local: SocketAddr = if addr.is_ipv4() {
            "0.0.0.0:0".parse().expect("address")
        } else {
            "[::]:0".parse().expect("address")
        };
        let socket = UdpSocket::bind(local)?;
        // Connected, so an ICMP "port unreachable" from an earlier datagram fails a later send.
        socket.connect(addr)?;
        socket.set_write_timeout(Some(IO_TIMEOUT))?;
        for msg in Self::messages(lines, UDP_MAX) {
            socket.send(&msg)?;
        }
        match socket.take_error()? {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn tcp(&self, lines: &[&[u8]]) -> std::io::Result<()> {
        let mut stream = self.connect()?;
        let mut data = Vec::new();
        for msg in Self::messages(lines, STREAM_MAX) {
            data.extend_from_slice(&frame(&msg));
        }
        stream.write_all(&data)?;
        stream.shutdown(Shutdown::Write)?;
        confirm(&mut stream)
    }

    fn tls(&self, lines: &[&[u8]], config: &Arc<rustls::ClientConfig>) -> std::io::Result<()> {
        let name = rustls_pki_types::ServerName::try_from(self.host.clone())
            .map_err(|e| std::io::Error::other(format!("`{}`: {e}", self.host)))?;
        let conn =
            rustls::ClientConnection::new(config.clone(), name).map_err(std::io::Error::other)?;
        let mut tls = rustls::StreamOwned::new(conn, self.connect()?);
        let mut data = Vec::new();
        for msg in Self::messages(lines, STREAM_MAX) {
            data.extend_from_slice(&frame(&msg));
        }
        tls.write_all(&data)?;
        tls.conn.send_close_notify();
        tls.flush()?;
        tls.sock.shutdown(Shutdown::Write)?;
        match confirm(&mut tls) {
            // Collectors commonly close without a close_notify of their own: still a clean end.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(()),
            other => other,
        }
    }
}

/// After our end of stream, the collector's: it read everything we sent. Anything else (a
/// reset, a timeout) leaves the batch undelivered.
fn confirm(stream: &mut impl Read) -> std::io::Result<()> {
    let mut buf = [0u8; 512];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(_) => continue, // a collector has nothing to say; ignore it
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

impl Link for SyslogLink {
    fn deliver(&mut self, lines: &[&[u8]]) -> std::io::Result<()> {
        match (self.transport, &self.tls) {
            (Transport::Udp, _) => self.udp(lines),
            (Transport::Tcp, _) => self.tcp(lines),
            (Transport::Tls, Some(config)) => {
                let config = config.clone();
                self.tls(lines, &config)
            }
            (Transport::Tls, None) => unreachable!("a TLS link has its configuration"),
        }
    }
}

/// Trusts exactly the CA certificates of `ca_file` (PEM), else the system bundle.
fn tls_config(ca_file: Option<&Path>) -> Result<rustls::ClientConfig, String> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let path = match ca_file {
        Some(p) => p.to_path_buf(),
        None => SYSTEM_CA_FILES
            .iter()
            .map(Path::new)
            .find(|p| p.exists())
            .map(Path::to_path_buf)
            .ok_or_else(|| {
                "no CA file for syslog+tls: set `[audit] ca_file` or `--audit-ca FILE`".to_string()
            })?,
    };
    let certs: Vec<CertificateDer> = CertificateDer::pem_file_iter(&path)
        .and_then(|it| it.collect::<Result<_, _>>())
        .map_err(|e| format!("CA file `{}`: {e}", path.display()))?;
    let mut roots = rustls::RootCertStore::empty();
    let (added, _) = roots.add_parsable_certificates(certs);
    if added == 0 {
        return Err(format!(
            "CA file `{}` holds no usable certificate",
            path.display()
        ));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Envelope {
        Envelope {
            hash: "ab12".into(),
            time: "2026-11-24T08:00:00.123Z".into(),
            kind: "host".into(),
            severity: 6,
            hostname: "ctl".into(),
            procid: 42,
            fields: vec![
                ("op".into(), "19a".into()),
                ("pattern".into(), r#"web[01:02],"x"\y"#.into()),
            ],
        }
    }

    #[test]
    fn a_message_has_the_rfc5424_header_structured_data_and_the_record() {
        let msg = message(&entry(), r#"{"kind":"host"}"#, STREAM_MAX);
        assert_eq!(
            String::from_utf8(msg).unwrap(),
            r#"<86>1 2026-11-24T08:00:00.123Z ctl hostctl 42 host [hostctl@32473 op="19a" pattern="web[01:02\],\"x\"\\y" hash="ab12"] {"kind":"host"}"#
        );
    }

    #[test]
    fn a_message_too_long_is_cut_and_says_so() {
        let record = format!("{{\"x\":\"{}\"}}", "é".repeat(100));
        let msg = message(&entry(), &record, 150);
        let text = String::from_utf8(msg.clone()).unwrap();
        assert!(msg.len() <= 150, "{}", msg.len());
        assert!(
            text.contains(&format!(" truncated=\"{}\"]", record.len())),
            "{text}"
        );
    }

    #[test]
    fn frames_count_octets() {
        assert_eq!(frame(b"<86>1 x"), b"7 <86>1 x");
        assert_eq!(frame("é".as_bytes()), "2 é".as_bytes());
    }

    #[test]
    fn header_fields_that_are_not_printable_ascii_are_nil() {
        assert_eq!(header_field("host name", 255), "-");
        assert_eq!(header_field("", 255), "-");
        assert_eq!(header_field("ctl.example", 255), "ctl.example");
    }
}
