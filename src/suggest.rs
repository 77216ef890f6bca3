//! "Did you mean": the known name close enough to a mistyped one to be the intended one.
//! Shared by `-g` patterns, the inventory's group names and `@` terms.

/// ` (did you mean `web`?)` when a known name is close enough to be the intended one. A name
/// that differs only in zero-padding (`web3` for `web03`) is the best match of all.
pub fn did_you_mean<'a>(name: &str, known: impl Iterator<Item = &'a str>) -> String {
    suggest(closest(name, known))
}

/// ` (did you mean `web`?)`, or nothing.
pub fn suggest(name: Option<&str>) -> String {
    name.map(|k| format!(" (did you mean `{k}`?)"))
        .unwrap_or_default()
}

/// The known name close enough to `name` to be the intended one, if any.
pub fn closest<'a>(name: &str, known: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(2);
    let unpadded = unpad(name);
    known
        .map(|k| match unpad(k) == unpadded {
            true => (0, k),
            false => (strsim::damerau_levenshtein(name, k) + 1, k),
        })
        .filter(|(d, _)| *d <= limit + 1)
        .min()
        .map(|(_, k)| k)
}

/// `name` with the leading zeros of every digit run removed: `web03` and `web3` agree.
fn unpad(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_digits = false;
    let mut chars = name.chars().peekable();
    while let Some(c) = chars.next() {
        let leading_zero =
            c == '0' && !in_digits && chars.peek().is_some_and(|n| n.is_ascii_digit());
        if !leading_zero {
            out.push(c);
            in_digits = c.is_ascii_digit();
        }
    }
    out
}
