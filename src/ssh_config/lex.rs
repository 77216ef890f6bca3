//! One ssh_config line split into keyword and arguments exactly as OpenSSH does it
//! (readconf.c `process_config_line`, misc.c `strdelim` and `argv_split`): `=` or blanks after
//! the keyword, `"` and `'` quotes, `\` escapes, `#` comments at the start of a word.

/// Blanks `strdelim` skips: space, tab, CR, LF.
const WHITESPACE: &[u8] = b" \t\r\n";

/// A line that holds a keyword.
#[derive(Debug, PartialEq)]
pub struct Line {
    /// Lowercased, as OpenSSH compares keywords.
    pub keyword: String,
    /// Everything after the keyword and its separator, as written (`Match` criteria, the
    /// commands of `ProxyCommand`, `ProxyJump` lists are read from here).
    pub rest: String,
    /// `rest` split into words, quotes and escapes removed, a trailing comment dropped.
    pub args: Vec<String>,
}

#[derive(Debug, PartialEq)]
pub enum LexError {
    /// The keyword as written.
    NoArgument(String),
    Quotes,
}

/// `None` for a blank or comment line.
pub fn split(line: &str) -> Result<Option<Line>, LexError> {
    // OpenSSH strips trailing blanks (and form feeds) but never the line's first character.
    let bytes = line.as_bytes();
    let mut end = bytes.len();
    while end > 1 && b" \t\r\n\x0c".contains(&bytes[end - 1]) {
        end -= 1;
    }
    let line = &line[..end];
    let mut cursor = Some(0);
    let mut keyword = match strdelim(line, &mut cursor, true) {
        None => return Ok(None),
        Some(k) => k,
    };
    if keyword.is_empty() {
        keyword = match strdelim(line, &mut cursor, true) {
            None => return Ok(None),
            Some(k) => k,
        };
    }
    if keyword.is_empty() || keyword.starts_with('\n') || keyword.starts_with('#') {
        return Ok(None);
    }
    let rest = match cursor {
        Some(at) => {
            let skip = line[at..]
                .bytes()
                .take_while(|b| WHITESPACE.contains(b))
                .count();
            &line[at + skip..]
        }
        None => "",
    };
    if rest.is_empty() {
        return Err(LexError::NoArgument(keyword));
    }
    let args = argv_split(rest).ok_or(LexError::Quotes)?;
    Ok(Some(Line {
        keyword: keyword.to_ascii_lowercase(),
        rest: rest.to_string(),
        args,
    }))
}

/// The next word of `line` from `*cursor` (misc.c `strdelim`): ends at a blank, a `"` that
/// opens a quoted part, or (with `equals`) one `=`. `None` when nothing is left or a quote is
/// never closed; `*cursor` becomes `None` after the last word.
pub fn strdelim(line: &str, cursor: &mut Option<usize>, equals: bool) -> Option<String> {
    let start = (*cursor)?;
    let bytes = line.as_bytes();
    let is_delim = |b: u8| WHITESPACE.contains(&b) || b == b'"' || (equals && b == b'=');
    let Some(at) = (start..bytes.len()).find(|&i| is_delim(bytes[i])) else {
        *cursor = None;
        return Some(line[start..].to_string());
    };
    let skip_blanks = |from: usize| {
        from + bytes[from.min(bytes.len())..]
            .iter()
            .take_while(|b| WHITESPACE.contains(b))
            .count()
    };
    if bytes[at] == b'"' {
        // The quote is dropped and the word runs to the next one.
        let Some(close) = (at + 1..bytes.len()).find(|&i| bytes[i] == b'"') else {
            *cursor = None;
            return None;
        };
        *cursor = Some(skip_blanks(close + 1));
        return Some(format!("{}{}", &line[start..at], &line[at + 1..close]));
    }
    let was_equals = equals && bytes[at] == b'=';
    let mut next = skip_blanks(at + 1);
    if equals && !was_equals && bytes.get(next) == Some(&b'=') {
        next = skip_blanks(next + 1);
    }
    *cursor = Some(next);
    Some(line[start..at].to_string())
}

/// Words separated by spaces or tabs (misc.c `argv_split`): `"` and `'` quote, `\` escapes
/// `\`, quotes and (outside quotes) a space; a word starting with `#` ends the line. `None`
/// when a quote is never closed.
pub fn argv_split(s: &str) -> Option<Vec<String>> {
    let b = s.as_bytes();
    let mut args = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b' ' || b[i] == b'\t' {
            i += 1;
            continue;
        }
        if b[i] == b'#' {
            break;
        }
        let mut quote = 0u8;
        let mut arg = Vec::new();
        while i < b.len() {
            let c = b[i];
            if c == b'\\' {
                match b.get(i + 1) {
                    Some(&n)
                        if n == b'\'' || n == b'"' || n == b'\\' || (quote == 0 && n == b' ') =>
                    {
                        i += 1;
                        arg.push(n);
                    }
                    _ => arg.push(c),
                }
            } else if quote == 0 && (c == b' ' || c == b'\t') {
                break;
            } else if quote == 0 && (c == b'"' || c == b'\'') {
                quote = c;
            } else if quote != 0 && c == quote {
                quote = 0;
            } else {
                arg.push(c);
            }
            i += 1;
        }
        if i >= b.len() && quote != 0 {
            return None;
        }
        // Only ASCII bytes were removed, at character boundaries.
        args.push(String::from_utf8(arg).expect("split at ASCII"));
    }
    Some(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> (String, Vec<String>) {
        let l = split(line).unwrap().unwrap();
        (l.keyword, l.args)
    }

    #[test]
    fn keyword_separators() {
        let want = ("user".to_string(), vec!["x".to_string()]);
        for line in [
            "User x",
            "User=x",
            "User = x",
            "  User\t=\tx  ",
            "USER x\r",
            "=User x",
        ] {
            assert_eq!(words(line), want, "{line:?}");
        }
        // Only one `=` is a separator.
        assert_eq!(words("User==x").1, ["=x"]);
        assert_eq!(words("User = =x").1, ["=x"]);
    }

    #[test]
    fn blank_and_comment_lines() {
        for line in ["", " ", "\t", "# c", "   # c", "#User x", "\r"] {
            assert_eq!(split(line), Ok(None), "{line:?}");
        }
        assert_eq!(split("User"), Err(LexError::NoArgument("User".into())));
        assert_eq!(split("User   "), Err(LexError::NoArgument("User".into())));
        assert_eq!(
            split("User #x").unwrap().unwrap().args,
            Vec::<String>::new()
        );
    }

    #[test]
    fn quotes_escapes_and_comments() {
        assert_eq!(words("Host \"a b\" 'c d' e#f # g").1, ["a b", "c d", "e#f"]);
        assert_eq!(words(r#"IdentityFile a\ b\"c\\d\q"#).1, [r#"a b"c\d\q"#]);
        assert_eq!(words(r#"X "it's""#).1, ["it's"]);
        assert_eq!(words("X \"\"").1, [""]);
        assert_eq!(split("User \"open"), Err(LexError::Quotes));
        assert_eq!(split("User 'open"), Err(LexError::Quotes));
    }

    #[test]
    fn strdelim_splits_match_criteria() {
        let line = "host=web* user \"a b\"x  !localuser=root";
        let mut cursor = Some(0);
        let mut got = Vec::new();
        while let Some(w) = strdelim(line, &mut cursor, true) {
            if w.is_empty() {
                break;
            }
            got.push(w);
        }
        assert_eq!(
            got,
            ["host", "web*", "user", "a b", "x", "!localuser", "root"]
        );
    }
}
