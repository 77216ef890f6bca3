//! Shell-style wildcard matching (`*` any run, `?` one character), shared by host selection
//! patterns and known_hosts patterns.

pub fn matches(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn wildcards() {
        assert!(matches("web*", "web"));
        assert!(matches("web*", "web01"));
        assert!(!matches("web?", "web"));
        assert!(matches("*b*1", "web01"));
        assert!(matches("10.0.0.*", "10.0.0.7"));
        assert!(!matches("10.0.0.*", "10.0.1.7"));
        assert!(matches("*", ""));
    }
}
