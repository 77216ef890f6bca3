//! Durations as operators write them, in `hosts.toml` and on the command line.

use std::time::Duration;

/// `"10s"`, `"1m30s"`, `"500ms"`; a bare number is seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let parsed = match text.parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs >= 0.0 => Ok(Duration::from_secs_f64(secs)),
        Ok(_) => Err(()),
        Err(_) => humantime::parse_duration(text).map_err(|_| ()),
    };
    match parsed {
        Ok(d) if !d.is_zero() => Ok(d),
        _ => Err(format!(
            "invalid duration `{text}` (examples: `10s`, `1m30s`, `500ms`)"
        )),
    }
}
