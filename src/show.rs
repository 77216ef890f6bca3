//! How hostctl shows values to people: durations, sizes, and text a host chose.

use std::time::Duration;

/// Text a host chose (a file name, a message in a reason) as hostctl's own lines show it on a
/// terminal: control characters escaped (`\u{1b}`), so a host can never send the terminal a
/// command (retitle it, clear it, rewrite what was printed above). Host output itself is
/// printed raw, as ssh prints it.
pub fn visible(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return text.into();
    }
    text.chars()
        .map(|c| match c.is_control() {
            true => c.escape_default().to_string(),
            false => c.to_string(),
        })
        .collect::<String>()
        .into()
}

pub fn seconds(d: Duration) -> String {
    format!("{:.2}s", d.as_secs_f64())
}

/// `1.0 MiB`
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visible_escapes_what_a_terminal_would_obey() {
        assert_eq!(
            visible("a\u{1b}]0;x\u{7}b\r\n"),
            "a\\u{1b}]0;x\\u{7}b\\r\\n"
        );
        assert_eq!(visible("café `it's` fine"), "café `it's` fine");
        assert_eq!(visible("del\u{7f} c1\u{9b}"), "del\\u{7f} c1\\u{9b}");
    }
}
