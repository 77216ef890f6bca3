//! Durations, sizes, amounts and times as operators write them, in `hosts.toml` and on the
//! command line, each refused with its own error type.

use std::time::{Duration, SystemTime};

/// A duration that does not parse, or is zero; `text` is as written, trimmed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid duration `{text}` (examples: `10s`, `1m30s`, `500ms`)")]
pub struct BadDuration {
    pub text: String,
}

/// A size that does not parse or overflows; `text` is as written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid size `{text}` (examples: `65536`, `64K`, `1M`)")]
pub struct BadSize {
    pub text: String,
}

/// The longest duration hostctl takes (about 31 years): beyond it a deadline would overflow
/// the clock, and no timeout or interval means that much.
const MAX_DURATION: Duration = Duration::from_secs(1_000_000_000);

/// `"10s"`, `"1m30s"`, `"500ms"`; a bare number is seconds.
pub fn parse_duration(text: &str) -> Result<Duration, BadDuration> {
    let text = text.trim();
    let parsed = match text.parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs >= 0.0 => {
            Duration::try_from_secs_f64(secs).map_err(|_| ())
        }
        Ok(_) => Err(()),
        Err(_) => humantime::parse_duration(text).map_err(|_| ()),
    };
    match parsed {
        Ok(d) if !d.is_zero() && d <= MAX_DURATION => Ok(d),
        _ => Err(BadDuration { text: text.into() }),
    }
}

/// `1048576`, `64K`, `1M`, `2G` (powers of 1024).
pub fn parse_size(text: &str) -> Result<usize, BadSize> {
    let t = text.trim();
    let (digits, mult) = match t.char_indices().last() {
        Some((i, c)) if c.eq_ignore_ascii_case(&'k') => (&t[..i], 1 << 10),
        Some((i, c)) if c.eq_ignore_ascii_case(&'m') => (&t[..i], 1 << 20),
        Some((i, c)) if c.eq_ignore_ascii_case(&'g') => (&t[..i], 1 << 30),
        _ => (t, 1),
    };
    digits
        .trim()
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| BadSize { text: text.into() })
}

/// A `--batch` or `--max-fail` amount that is not a count above 0 or a percentage in (0, 100];
/// `text` is as written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid amount `{text}` (examples: `5`, `25%`)")]
pub struct BadAmount {
    pub text: String,
}

/// `N` hosts, or `N%` of `total` (rounded up, at least 1).
pub fn parse_amount(text: &str, total: usize) -> Result<usize, BadAmount> {
    let t = text.trim();
    let bad = || BadAmount { text: text.into() };
    match t.strip_suffix('%') {
        Some(pct) => {
            let pct: f64 = pct.trim().parse().map_err(|_| bad())?;
            if !(pct > 0.0 && pct <= 100.0) {
                return Err(bad());
            }
            Ok(((total as f64 * pct / 100.0).ceil() as usize).max(1))
        }
        None => t.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(bad),
    }
}

/// `2h`/`3d` ago, a date (UTC midnight), or an RFC 3339 time, in the log's own time format
/// (which compares correctly as text).
pub fn parse_when(text: &str, now: SystemTime) -> Result<String, BadTime> {
    let t = text.trim();
    let when = if let Ok(ago) = humantime::parse_duration(t) {
        now.checked_sub(ago).unwrap_or(SystemTime::UNIX_EPOCH)
    } else if t.len() == 10 && t.as_bytes()[4] == b'-' {
        humantime::parse_rfc3339(&format!("{t}T00:00:00Z")).map_err(|_| bad_when(t))?
    } else {
        humantime::parse_rfc3339_weak(t).map_err(|_| bad_when(t))?
    };
    Ok(humantime::format_rfc3339_millis(when).to_string())
}

/// A `--since`/`--until` time that is neither an age, a date nor an RFC 3339 time; `text` is
/// as written, trimmed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid time `{text}` (examples: `2h`, `3d`, `2026-11-24`, `2026-11-24T08:00:00Z`)")]
pub struct BadTime {
    pub text: String,
}

fn bad_when(t: &str) -> BadTime {
    BadTime { text: t.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("2.5"), Ok(Duration::from_millis(2500)));
        assert!(parse_duration("0").is_err());
    }

    /// A number too large for a `Duration` used to panic (`from_secs_f64`); a huge one with a
    /// unit would overflow a deadline later. Both are refused like any bad duration.
    #[test]
    fn durations_too_long_are_refused_not_a_panic() {
        for text in [
            "99999999999999999999",
            "1e300",
            "100000000000000000000s",
            "32y",
        ] {
            assert_eq!(
                parse_duration(text).unwrap_err().to_string(),
                format!("invalid duration `{text}` (examples: `10s`, `1m30s`, `500ms`)")
            );
        }
        assert_eq!(parse_duration("30y"), Ok(Duration::from_secs(946_728_000)));
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1M"), Ok(1 << 20));
        assert_eq!(parse_size("64k"), Ok(64 << 10));
        assert_eq!(parse_size("100"), Ok(100));
        assert!(parse_size("lots").is_err());
    }

    /// The whole messages, as `--connect-timeout`, `--output-limit` and `hosts.toml` show them.
    #[test]
    fn refusals_say_exactly_this() {
        assert_eq!(
            parse_duration(" 0 ").unwrap_err().to_string(),
            "invalid duration `0` (examples: `10s`, `1m30s`, `500ms`)"
        );
        assert_eq!(
            parse_duration("soon").unwrap_err().to_string(),
            "invalid duration `soon` (examples: `10s`, `1m30s`, `500ms`)"
        );
        assert_eq!(
            parse_size(" lots").unwrap_err().to_string(),
            "invalid size ` lots` (examples: `65536`, `64K`, `1M`)"
        );
    }

    #[test]
    fn amounts() {
        assert_eq!(super::parse_amount("5", 100), Ok(5));
        assert_eq!(super::parse_amount("25%", 10), Ok(3));
        assert_eq!(super::parse_amount("1%", 10), Ok(1));
        assert!(super::parse_amount("0", 10).is_err());
        assert!(super::parse_amount("150%", 10).is_err());
    }

    /// The whole message `--batch` and `--max-fail` show after their flag.
    #[test]
    fn bad_amounts_say_exactly_this() {
        for bad in ["0", "150%", "x%", " -1 "] {
            assert_eq!(
                super::parse_amount(bad, 10).unwrap_err().to_string(),
                format!("invalid amount `{bad}` (examples: `5`, `25%`)")
            );
        }
    }

    #[test]
    fn when_forms() {
        let now = humantime::parse_rfc3339("2026-11-24T10:00:00Z").unwrap();
        assert_eq!(parse_when("2h", now).unwrap(), "2026-11-24T08:00:00.000Z");
        assert_eq!(parse_when("3d", now).unwrap(), "2026-11-21T10:00:00.000Z");
        assert_eq!(
            parse_when("2026-11-20", now).unwrap(),
            "2026-11-20T00:00:00.000Z"
        );
        assert_eq!(
            parse_when("2026-11-20T08:30:00Z", now).unwrap(),
            "2026-11-20T08:30:00.000Z"
        );
        assert!(
            parse_when("yesterday", now)
                .unwrap_err()
                .to_string()
                .starts_with("invalid time `yesterday`")
        );
    }

    /// The whole message `--since` and `--until` show after their flag.
    #[test]
    fn bad_times_say_exactly_this() {
        let now = SystemTime::UNIX_EPOCH;
        for (bad, shown) in [(" yesterday ", "yesterday"), ("2026-13-01", "2026-13-01")] {
            assert_eq!(
                parse_when(bad, now).unwrap_err().to_string(),
                format!(
                    "invalid time `{shown}` (examples: `2h`, `3d`, `2026-11-24`, `2026-11-24T08:00:00Z`)"
                )
            );
        }
    }
}
