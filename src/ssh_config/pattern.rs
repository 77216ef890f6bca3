//! OpenSSH's patterns (match.c): `*` and `?` over bytes, comma-separated lists with `!`
//! negation. `Host` lines match one pattern per word, case-sensitively; `Match host` and
//! `Match originalhost` match lists without regard to case, `Match user` and `localuser` with.

/// `s` against one pattern (match.c `match_pattern`).
pub fn matches(s: &[u8], pattern: &[u8]) -> bool {
    let (mut s, mut p) = (s, pattern);
    loop {
        let Some(&first) = p.first() else {
            return s.is_empty();
        };
        if first == b'*' {
            while p.first() == Some(&b'*') {
                p = &p[1..];
            }
            if p.is_empty() {
                return true;
            }
            return (0..=s.len()).any(|i| matches(&s[i..], p));
        }
        match s.first() {
            Some(&c) if first == b'?' || first == c => {
                s = &s[1..];
                p = &p[1..];
            }
            _ => return false,
        }
    }
}

/// How a string fares against a pattern list (match.c `match_pattern_list`).
#[derive(Debug, PartialEq, Clone, Copy)]
pub enum ListMatch {
    /// A `!pattern` matched: whatever else matches, the answer is no.
    Negated,
    Positive,
    None,
}

/// `s` against a comma-separated list; `lower` lowercases the patterns (the caller lowercases
/// `s`). A pattern longer than OpenSSH's 1023-byte buffer makes the whole list fail.
pub fn list(s: &str, patterns: &str, lower: bool) -> ListMatch {
    let p = patterns.as_bytes();
    let mut positive = false;
    let mut i = 0;
    // As match.c walks it: an item ends at a comma; a trailing comma adds no empty item.
    while i < p.len() {
        let negated = p[i] == b'!';
        if negated {
            i += 1;
        }
        let start = i;
        while i < p.len() && p[i] != b',' {
            i += 1;
        }
        if i - start >= 1023 {
            return ListMatch::None;
        }
        let mut sub = p[start..i].to_vec();
        if lower {
            sub.make_ascii_lowercase();
        }
        if i < p.len() {
            i += 1;
        }
        if matches(s.as_bytes(), &sub) {
            if negated {
                return ListMatch::Negated;
            }
            positive = true;
        }
    }
    if positive {
        ListMatch::Positive
    } else {
        ListMatch::None
    }
}

/// A host name against a list, ignoring case (match.c `match_hostname`).
pub fn hostname(host: &str, patterns: &str) -> ListMatch {
    list(&host.to_ascii_lowercase(), patterns, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        let m = |s: &str, p: &str| matches(s.as_bytes(), p.as_bytes());
        assert!(m("web1", "web*") && m("web", "web*") && m("web1", "w?b1") && m("", "*"));
        assert!(!m("web", "web?") && !m("Web1", "web*") && !m("web1", "web"));
        assert!(m("a.b.c", "*.*") && m("bastion", "b*st*n") && !m("bastio", "b*st*n"));
    }

    #[test]
    fn lists_and_negation() {
        assert_eq!(list("web1", "db*,web*", false), ListMatch::Positive);
        assert_eq!(list("web1", "*,!web1", false), ListMatch::Negated);
        assert_eq!(list("web1", "!db*", false), ListMatch::None);
        assert_eq!(list("root", "ROOT", false), ListMatch::None);
        assert_eq!(hostname("Web1.Example", "*.EXAMPLE"), ListMatch::Positive);
        // An empty item (`a,,b`) matches only the empty string; a trailing comma adds none.
        assert_eq!(list("", "a,,b", false), ListMatch::Positive);
        assert_eq!(list("", "a,", false), ListMatch::None);
    }
}
