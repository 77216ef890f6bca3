//! Durations and sizes as operators write them, in `hosts.toml` and on the command line.

use std::time::Duration;

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

/// `"10s"`, `"1m30s"`, `"500ms"`; a bare number is seconds.
pub fn parse_duration(text: &str) -> Result<Duration, BadDuration> {
    let text = text.trim();
    let parsed = match text.parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs >= 0.0 => Ok(Duration::from_secs_f64(secs)),
        Ok(_) => Err(()),
        Err(_) => humantime::parse_duration(text).map_err(|_| ()),
    };
    match parsed {
        Ok(d) if !d.is_zero() => Ok(d),
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
}
