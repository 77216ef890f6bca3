//! Records into the systemd journal over its native protocol: one datagram per record on the
//! journal's unix socket, fields as `NAME=value\n`, or for values that may hold a newline
//! `NAME\n`, a 64-bit little-endian length, the value and `\n`. A record too large for one
//! datagram goes in a sealed memfd passed with the datagram (SCM_RIGHTS), as `sd_journal_send`
//! does.
//!
//! The fields mirror the syslog structured data: `HOSTCTL_OP`, `HOSTCTL_OPERATOR`,
//! `HOSTCTL_OPERATION`, `HOSTCTL_PATTERN`, `HOSTCTL_HOST`, `HOSTCTL_STATUS`, `HOSTCTL_HASH`;
//! `MESSAGE` is the record's JSON line. A datagram the socket accepted counts as delivered.

use super::link::{Envelope, IO_TIMEOUT, Link};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};

pub struct JournaldLink {
    socket: PathBuf,
}

impl JournaldLink {
    pub fn new(socket: &Path) -> JournaldLink {
        JournaldLink {
            socket: socket.to_path_buf(),
        }
    }
}

/// Appends one field in the form that is safe for any value.
fn field(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    if value.contains(&b'\n') {
        out.extend_from_slice(name.as_bytes());
        out.push(b'\n');
        out.extend_from_slice(&(value.len() as u64).to_le_bytes());
    } else {
        out.extend_from_slice(name.as_bytes());
        out.push(b'=');
    }
    out.extend_from_slice(value);
    out.push(b'\n');
}

/// `op` -> `HOSTCTL_OP`: journal field names are upper case letters, digits and `_`.
fn field_name(name: &str) -> String {
    let upper: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("HOSTCTL_{upper}")
}

/// The native-protocol payload of one record.
pub fn payload(entry: &Envelope, record: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(record.len() + 512);
    // The record's line always goes length-prefixed: nothing in it can end the field early.
    out.extend_from_slice(b"MESSAGE\n");
    out.extend_from_slice(&(record.len() as u64).to_le_bytes());
    out.extend_from_slice(record.as_bytes());
    out.push(b'\n');
    field(&mut out, "PRIORITY", entry.severity.to_string().as_bytes());
    field(&mut out, "SYSLOG_FACILITY", b"10");
    field(&mut out, "SYSLOG_IDENTIFIER", b"hostctl");
    field(&mut out, "SYSLOG_PID", entry.procid.to_string().as_bytes());
    field(&mut out, "HOSTCTL_KIND", entry.kind.as_bytes());
    field(&mut out, "HOSTCTL_TIME", entry.time.as_bytes());
    for (name, value) in &entry.fields {
        field(&mut out, &field_name(name), value.as_bytes());
    }
    field(&mut out, "HOSTCTL_HASH", entry.hash.as_bytes());
    out
}

impl Link for JournaldLink {
    fn deliver(&mut self, lines: &[&[u8]]) -> std::io::Result<()> {
        let socket = UnixDatagram::unbound()?;
        socket.set_write_timeout(Some(IO_TIMEOUT))?;
        socket.connect(&self.socket)?;
        for line in lines {
            let Some((entry, record)) = Envelope::from_spool(line) else {
                continue;
            };
            let data = payload(&entry, record);
            match socket.send(&data) {
                Ok(_) => {}
                Err(e)
                    if matches!(e.raw_os_error(), Some(libc::EMSGSIZE) | Some(libc::ENOBUFS)) =>
                {
                    send_in_memfd(&socket, &data)?
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// Too large for a datagram: the payload in a sealed memfd, the descriptor in an empty
/// datagram (journald reads it from there).
fn send_in_memfd(socket: &UnixDatagram, data: &[u8]) -> std::io::Result<()> {
    // SAFETY: memfd_create with a static NUL-terminated name; the result is checked.
    let fd = unsafe {
        libc::memfd_create(
            c"hostctl-journal".as_ptr(),
            libc::MFD_ALLOW_SEALING | libc::MFD_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: a descriptor we just created and own from here on.
    let memfd = unsafe { OwnedFd::from_raw_fd(fd) };
    let mut file = std::fs::File::from(memfd);
    std::io::Write::write_all(&mut file, data)?;
    let seals = libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_WRITE | libc::F_SEAL_SEAL;
    // SAFETY: fcntl on a valid descriptor we own.
    if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_ADD_SEALS, seals) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    let raw = file.as_raw_fd();
    // SAFETY: a zeroed msghdr with one SCM_RIGHTS control message sized by CMSG_SPACE for one
    // descriptor; every pointer refers to locals that outlive the sendmsg call.
    unsafe {
        let space = libc::CMSG_SPACE(std::mem::size_of::<libc::c_int>() as u32) as usize;
        let mut control = vec![0u8; space];
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = space as _;
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        (*cmsg).cmsg_level = libc::SOL_SOCKET;
        (*cmsg).cmsg_type = libc::SCM_RIGHTS;
        (*cmsg).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<libc::c_int>() as u32) as _;
        std::ptr::write_unaligned(libc::CMSG_DATA(cmsg).cast::<libc::c_int>(), raw);
        if libc::sendmsg(socket.as_raw_fd(), &msg, libc::MSG_NOSIGNAL) < 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_use_the_length_form_only_when_a_value_has_a_newline() {
        let mut out = Vec::new();
        field(&mut out, "A", b"one");
        field(&mut out, "B", b"two\nlines");
        let mut expected = b"A=one\nB\n".to_vec();
        expected.extend_from_slice(&9u64.to_le_bytes());
        expected.extend_from_slice(b"two\nlines\n");
        assert_eq!(out, expected);
        assert_eq!(field_name("operator"), "HOSTCTL_OPERATOR");
    }
}
