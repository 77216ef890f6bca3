//! Host ranges (`web[01:20].example.com`, `10.0.0.[20:29]`) and the natural order of host names.

use std::cmp::Ordering;

/// More names than this from one entry is almost certainly a typo (`[1:100000]`).
const MAX_EXPANSION: usize = 65_536;

/// Why a range does not expand; `spec` is the entry as written, `body` what is between `[]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    #[error("`]` without `[` in `{spec}`")]
    Unopened { spec: String },
    #[error("unclosed `[` in `{spec}`")]
    Unclosed { spec: String },
    #[error("range `[{body}]` in `{spec}` needs the form `[START:END]`")]
    NoColon { body: String, spec: String },
    #[error("range `[{body}]` in `{spec}` must have decimal bounds, like `[01:20]`")]
    NotDecimal { body: String, spec: String },
    #[error("range bound `{bound}` in `{spec}` is too large")]
    TooLarge { bound: String, spec: String },
    #[error("range `[{body}]` in `{spec}` goes backwards ({start} > {end})")]
    Backwards {
        body: String,
        spec: String,
        start: u64,
        end: u64,
    },
    #[error("`{spec}` expands to more than {MAX_EXPANSION} hosts")]
    TooMany { spec: String },
}

/// Expands every `[A:B]` in `spec` into the names it stands for, in order. Zero-padding is kept:
/// `[01:10]` gives `01`..`10`, `[1:10]` gives `1`..`10`. Several ranges multiply
/// (`r[1:2]n[1:2]` gives `r1n1 r1n2 r2n1 r2n2`). A spec without brackets is returned as is.
pub fn expand(spec: &str) -> Result<Vec<String>, RangeError> {
    let Some(open) = spec.find('[') else {
        if spec.contains(']') {
            return Err(RangeError::Unopened { spec: spec.into() });
        }
        return Ok(vec![spec.to_string()]);
    };
    let close = spec[open..]
        .find(']')
        .map(|i| open + i)
        .ok_or_else(|| RangeError::Unclosed { spec: spec.into() })?;
    let (prefix, body, rest) = (&spec[..open], &spec[open + 1..close], &spec[close + 1..]);
    let (lo, hi) = body.split_once(':').ok_or_else(|| RangeError::NoColon {
        body: body.into(),
        spec: spec.into(),
    })?;
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !numeric(lo) || !numeric(hi) {
        return Err(RangeError::NotDecimal {
            body: body.into(),
            spec: spec.into(),
        });
    }
    let parse = |s: &str| {
        s.parse::<u64>().map_err(|_| RangeError::TooLarge {
            bound: s.into(),
            spec: spec.into(),
        })
    };
    let (start, end) = (parse(lo)?, parse(hi)?);
    if start > end {
        return Err(RangeError::Backwards {
            body: body.into(),
            spec: spec.into(),
            start,
            end,
        });
    }
    let width = if lo.len() > 1 && lo.starts_with('0') {
        lo.len()
    } else {
        0
    };
    let tails = expand(rest)?;
    let count = (end - start + 1) as usize;
    if count.saturating_mul(tails.len()) > MAX_EXPANSION {
        return Err(RangeError::TooMany { spec: spec.into() });
    }
    let mut out = Vec::with_capacity(count * tails.len());
    for n in start..=end {
        for tail in &tails {
            out.push(format!("{prefix}{n:0width$}{tail}"));
        }
    }
    Ok(out)
}

/// Folds host names into ClusterShell-style ranges: `web01 web02 web03 web05` becomes
/// `web[01-03,05]`. Names are split around their last run of digits; zero-padded numbers fold
/// with numbers of the same width. Output is in natural order, so it is stable for diffs.
pub fn fold(names: &[&str]) -> String {
    use std::collections::BTreeMap;
    // (prefix, suffix, width or 0 for unpadded) -> numbers
    let mut groups: BTreeMap<(String, String, usize), Vec<(u64, String)>> = BTreeMap::new();
    let mut plain: Vec<String> = Vec::new();
    for name in names {
        let bytes = name.as_bytes();
        let Some(end) = bytes.iter().rposition(u8::is_ascii_digit).map(|i| i + 1) else {
            plain.push(name.to_string());
            continue;
        };
        let start = bytes[..end]
            .iter()
            .rposition(|b| !b.is_ascii_digit())
            .map_or(0, |i| i + 1);
        let digits = &name[start..end];
        let Ok(n) = digits.parse::<u64>() else {
            plain.push(name.to_string());
            continue;
        };
        let width = if digits.len() > 1 && digits.starts_with('0') {
            digits.len()
        } else {
            0
        };
        groups
            .entry((name[..start].to_string(), name[end..].to_string(), width))
            .or_default()
            .push((n, digits.to_string()));
    }
    // Unpadded numbers as wide as a padded group (`10` beside `09`) belong to it.
    let keys: Vec<_> = groups.keys().cloned().collect();
    for (prefix, suffix, width) in keys.iter().filter(|k| k.2 == 0) {
        let padded: Vec<usize> = keys
            .iter()
            .filter(|k| k.0 == *prefix && k.1 == *suffix && k.2 > 0)
            .map(|k| k.2)
            .collect();
        if padded.is_empty() {
            continue;
        }
        let unpadded = groups
            .remove(&(prefix.clone(), suffix.clone(), *width))
            .unwrap_or_default();
        let (moved, kept): (Vec<_>, Vec<_>) = unpadded
            .into_iter()
            .partition(|(_, d)| padded.contains(&d.len()));
        for (n, d) in moved {
            groups
                .entry((prefix.clone(), suffix.clone(), d.len()))
                .or_default()
                .push((n, d));
        }
        if !kept.is_empty() {
            groups.insert((prefix.clone(), suffix.clone(), 0), kept);
        }
    }
    let mut parts: Vec<String> = plain;
    for ((prefix, suffix, width), mut nums) in groups {
        nums.sort();
        nums.dedup();
        if nums.len() == 1 {
            parts.push(format!("{prefix}{}{suffix}", nums[0].1));
            continue;
        }
        let fmt = |n: u64| format!("{n:0width$}");
        let mut ranges: Vec<String> = Vec::new();
        let mut i = 0;
        while i < nums.len() {
            let mut j = i;
            while j + 1 < nums.len() && nums[j + 1].0 == nums[j].0 + 1 {
                j += 1;
            }
            ranges.push(if i == j {
                fmt(nums[i].0)
            } else {
                format!("{}-{}", fmt(nums[i].0), fmt(nums[j].0))
            });
            i = j + 1;
        }
        parts.push(format!("{prefix}[{}]{suffix}", ranges.join(",")));
    }
    parts.sort_by(|a, b| natural_cmp(a, b));
    parts.join(",")
}

/// Orders names the way people count: `web2` before `web10`.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let da = a.iter().take_while(|c| c.is_ascii_digit()).count();
                let db = b.iter().take_while(|c| c.is_ascii_digit()).count();
                let (na, nb) = (trim_zeros(&a[..da]), trim_zeros(&b[..db]));
                let ord = na.len().cmp(&nb.len()).then(na.cmp(nb)).then(da.cmp(&db));
                if ord != Ordering::Equal {
                    return ord;
                }
                a = &a[da..];
                b = &b[db..];
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                a = &a[1..];
                b = &b[1..];
            }
        }
    }
}

fn trim_zeros(digits: &[u8]) -> &[u8] {
    let first = digits
        .iter()
        .position(|&d| d != b'0')
        .unwrap_or(digits.len());
    &digits[first..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_name_is_itself() {
        assert_eq!(expand("db1").unwrap(), ["db1"]);
    }

    #[test]
    fn zero_padding_is_kept() {
        assert_eq!(
            expand("web[01:03].example.com").unwrap(),
            [
                "web01.example.com",
                "web02.example.com",
                "web03.example.com"
            ]
        );
        assert_eq!(expand("n[008:010]").unwrap(), ["n008", "n009", "n010"]);
    }

    #[test]
    fn unpadded_and_address_ranges() {
        assert_eq!(expand("db[1:3]").unwrap(), ["db1", "db2", "db3"]);
        assert_eq!(
            expand("10.0.0.[9:11]").unwrap(),
            ["10.0.0.9", "10.0.0.10", "10.0.0.11"]
        );
    }

    #[test]
    fn several_ranges_multiply() {
        assert_eq!(
            expand("r[1:2]n[1:2]").unwrap(),
            ["r1n1", "r1n2", "r2n1", "r2n2"]
        );
    }

    #[test]
    fn bad_ranges_say_why() {
        assert_eq!(
            expand("web[01:20").unwrap_err().to_string(),
            "unclosed `[` in `web[01:20`"
        );
        assert_eq!(
            expand("web[5:1]").unwrap_err().to_string(),
            "range `[5:1]` in `web[5:1]` goes backwards (5 > 1)"
        );
        assert_eq!(
            expand("web[a:c]").unwrap_err().to_string(),
            "range `[a:c]` in `web[a:c]` must have decimal bounds, like `[01:20]`"
        );
        assert_eq!(
            expand("web[1-3]").unwrap_err().to_string(),
            "range `[1-3]` in `web[1-3]` needs the form `[START:END]`"
        );
        assert_eq!(
            expand("web1]").unwrap_err().to_string(),
            "`]` without `[` in `web1]`"
        );
        assert!(
            expand("h[0:99999]")
                .unwrap_err()
                .to_string()
                .contains("more than 65536")
        );
        assert_eq!(
            expand("h[0:99999]").unwrap_err().to_string(),
            "`h[0:99999]` expands to more than 65536 hosts"
        );
        assert_eq!(
            expand("h[0:99999999999999999999]").unwrap_err().to_string(),
            "range bound `99999999999999999999` in `h[0:99999999999999999999]` is too large"
        );
    }

    #[test]
    fn folding_is_the_inverse_of_ranges() {
        let names: Vec<String> = (1..=12).chain([15]).map(|n| format!("web{n:02}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        assert_eq!(fold(&refs), "web[01-12,15]");
        assert_eq!(fold(&["db2", "db1", "db3", "web01"]), "db[1-3],web01");
        assert_eq!(fold(&["web09", "web10", "web11"]), "web[09-11]");
        assert_eq!(
            fold(&["10.0.0.9", "10.0.0.10", "10.0.0.12"]),
            "10.0.0.[9-10,12]"
        );
        assert_eq!(
            fold(&["web01.example.com", "web02.example.com"]),
            "web[01-02].example.com"
        );
        assert_eq!(fold(&["bastion", "a1"]), "a1,bastion");
        assert_eq!(fold(&["n1", "n10", "n2"]), "n[1-2,10]");
    }

    #[test]
    fn natural_order() {
        let mut names = vec!["web10", "web2", "db1", "web01", "web1"];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(names, ["db1", "web1", "web01", "web2", "web10"]);
        assert_eq!(natural_cmp("10.0.0.9", "10.0.0.10"), Ordering::Less);
    }
}
