//! The library's modules depend on each other one way only: no import cycles.
//!
//! A module depends on another when its code names it: a `use` item, or a path in any item or
//! function body (`crate::review::pick(..)`), `super::` and child modules included, so a
//! `mod.rs` that uses a child which reaches back through `super::` is a cycle too. Test code
//! (`#[cfg(test)]` modules) is left out. `cargo modules dependencies` (from the `cargo-modules`
//! crate) draws the same graph, but it sees `use` items only, not paths inside function bodies,
//! and its `--acyclic` also counts a type and its own methods as a cycle; this check reads the
//! source itself so that it can run in the suite with nothing installed.
//!
//! Run it alone with `cargo test --test module_graph`; on failure it prints every cycle with the
//! lines that close it.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

type Module = String;

/// Every `.rs` file of the library and the module it is, `src/lib.rs` being `crate`.
fn modules(src: &Path) -> BTreeMap<Module, PathBuf> {
    fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, files);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(src, &mut files);
    let mut out = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(src).unwrap().with_extension("");
        let mut parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        match parts.last().map(String::as_str) {
            // The binary is a crate of its own; test files are test code.
            Some("main") if parts.len() == 1 => continue,
            Some("tests") => continue,
            Some("mod") => {
                parts.pop();
            }
            Some("lib") if parts.len() == 1 => {
                parts.clear();
            }
            _ => {}
        }
        let name = std::iter::once("crate".to_string())
            .chain(parts)
            .collect::<Vec<_>>()
            .join("::");
        out.insert(name, file);
    }
    out
}

/// The code with comments, string and character literals blanked out (newlines kept, so line
/// numbers stay right).
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |out: &mut String, c: char| out.push(if c == '\n' { '\n' } else { ' ' });
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                    out.push_str("  ");
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    out.push_str("  ");
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, chars[i]);
                    i += 1;
                }
            }
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && !chars[..i]
                .last()
                .is_some_and(|p| p.is_alphanumeric() || *p == '_')
        {
            // A raw string: r"..." or r#"..."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= chars.len() {
                    break;
                }
                if chars[j] == '"' && (1..=hashes).all(|k| chars.get(j + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            for &ch in &chars[i..j.min(chars.len())] {
                blank(&mut out, ch);
            }
            i = j;
        } else if c == '"' {
            blank(&mut out, c);
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    blank(&mut out, chars[i]);
                    i += 1;
                }
                if i < chars.len() {
                    blank(&mut out, chars[i]);
                    i += 1;
                }
            }
            if i < chars.len() {
                blank(&mut out, chars[i]);
                i += 1;
            }
        } else if c == '\'' {
            // A character literal ('x', '\n', '\u{1b}') or a lifetime ('a).
            let end = if next == Some('\\') {
                (i + 2..chars.len()).find(|&k| chars[k] == '\'')
            } else if chars.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match end {
                Some(end) => {
                    for &ch in &chars[i..=end] {
                        blank(&mut out, ch);
                    }
                    i = end + 1;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The code without its `#[cfg(test)]` items (the `mod tests { .. }` blocks, `mod tests;`).
fn without_test_code(code: &str) -> String {
    let mut out = code.to_string();
    while let Some(at) = out.find("#[cfg(test)]") {
        let rest = &out[at..];
        let semi = rest.find(';');
        let open = rest.find('{');
        let end = match (open, semi) {
            (Some(open), Some(semi)) if semi < open => at + semi + 1,
            (Some(open), _) => {
                let mut depth = 0;
                let mut end = out.len();
                for (k, ch) in rest[open..].char_indices() {
                    match ch {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = at + open + k + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                end
            }
            (None, Some(semi)) => at + semi + 1,
            (None, None) => out.len(),
        };
        let blanked: String = out[at..end]
            .chars()
            .map(|ch| if ch == '\n' { '\n' } else { ' ' })
            .collect();
        out.replace_range(at..end, &blanked);
    }
    out
}

/// A `use` tree (`a::{b, c::{d, e as f}, self}`) as the paths it names.
fn expand_use(tree: &str) -> Vec<String> {
    let tree: String = tree.split_whitespace().collect::<Vec<_>>().join(" ");
    let tree = tree.trim().trim_start_matches("::");
    match tree.find('{') {
        None => {
            let path = tree.split(" as ").next().unwrap().trim();
            vec![path.trim_end_matches("::self").to_string()]
        }
        Some(open) => {
            let prefix = tree[..open].trim_end_matches("::").trim();
            let inner = &tree[open + 1..tree.rfind('}').unwrap()];
            let mut parts = Vec::new();
            let (mut depth, mut start) = (0, 0);
            for (k, ch) in inner.char_indices() {
                match ch {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        parts.push(&inner[start..k]);
                        start = k + 1;
                    }
                    _ => {}
                }
            }
            parts.push(&inner[start..]);
            parts
                .into_iter()
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .flat_map(expand_use)
                .map(|p| match p.as_str() {
                    "self" => prefix.to_string(),
                    _ if prefix.is_empty() => p,
                    _ => format!("{prefix}::{p}"),
                })
                .collect()
        }
    }
}

/// Every path in the code that starts with `crate`, `super`, `self` or a child module's name,
/// with its line number.
fn paths(code: &str, children: &BTreeSet<String>) -> Vec<(usize, String)> {
    let line_of = |at: usize| code[..at].matches('\n').count() + 1;
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    // `use` items, whose trees may hold braces.
    let mut used = vec![false; code.len()];
    let mut from = 0;
    while let Some(found) = code[from..].find("use ") {
        let at = from + found;
        from = at + 4;
        if at > 0 && (is_ident(bytes[at - 1]) || bytes[at - 1] == b'$') {
            continue;
        }
        let Some(end) = code[at..].find(';') else {
            break;
        };
        let tree = &code[at + 4..at + end];
        if !tree.contains("::") && !children.contains(tree.trim()) {
            continue;
        }
        for path in expand_use(tree) {
            out.push((line_of(at), path));
        }
        used[at..at + end].iter_mut().for_each(|u| *u = true);
    }
    // Paths anywhere else.
    let mut k = 0;
    while k < bytes.len() {
        let starts = is_ident(bytes[k])
            && (k == 0
                || (!is_ident(bytes[k - 1]) && bytes[k - 1] != b'$' && bytes[k - 1] != b':'));
        if !starts || used[k] {
            k += 1;
            continue;
        }
        let mut end = k;
        loop {
            while end < bytes.len() && is_ident(bytes[end]) {
                end += 1;
            }
            if code[end..].starts_with("::") && bytes.get(end + 2).is_some_and(|&b| is_ident(b)) {
                end += 2;
            } else {
                break;
            }
        }
        let path = &code[k..end];
        let first = path.split("::").next().unwrap();
        if path.contains("::")
            && (matches!(first, "crate" | "super" | "self") || children.contains(first))
        {
            out.push((line_of(k), path.to_string()));
        }
        k = end.max(k + 1);
    }
    out
}

/// The module a path names from inside `module`: its longest prefix that is a module.
fn target(module: &str, path: &str, known: &BTreeMap<Module, PathBuf>) -> Option<Module> {
    let mut segments: Vec<&str> = module.split("::").collect();
    let mut rest = path.split("::").peekable();
    match rest.peek().copied() {
        Some("crate") => {
            segments = vec!["crate"];
            rest.next();
        }
        Some("self") => {
            rest.next();
        }
        Some("super") => {
            while rest.peek() == Some(&"super") {
                rest.next();
                segments.pop();
            }
        }
        _ => {}
    }
    let mut best = None;
    let mut current = segments.join("::");
    if known.contains_key(&current) {
        best = Some(current.clone());
    }
    for segment in rest {
        current = format!("{current}::{segment}");
        if known.contains_key(&current) {
            best = Some(current.clone());
        }
    }
    best
}

/// Strongly connected components with more than one module (Tarjan).
fn cycles(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<Module>> {
    struct State<'a> {
        edges: &'a BTreeMap<Module, BTreeSet<Module>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        out: Vec<Vec<Module>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        let edges = s.edges;
        for w in edges.get(v).into_iter().flatten() {
            if !s.index.contains_key(w.as_str()) {
                visit(s, w);
                let low = s.low[v].min(s.low[w.as_str()]);
                s.low.insert(v, low);
            } else if s.stack.contains(&w.as_str()) {
                let low = s.low[v].min(s.index[w.as_str()]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            loop {
                let w = s.stack.pop().unwrap();
                component.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.out.push(component);
            }
        }
    }
    let mut s = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.out
}

#[test]
fn the_library_modules_have_no_import_cycles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let known = modules(&src);
    assert!(known.len() > 40, "found only {} modules", known.len());
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    let mut why: BTreeMap<(Module, Module), String> = BTreeMap::new();
    for (module, file) in &known {
        let children: BTreeSet<String> = known
            .keys()
            .filter_map(|m| m.strip_prefix(&format!("{module}::")))
            .filter(|rest| !rest.contains("::"))
            .map(str::to_string)
            .collect();
        let code = without_test_code(&code_only(&fs::read_to_string(file).unwrap()));
        for (line, path) in paths(&code, &children) {
            let Some(to) = target(module, &path, &known) else {
                continue;
            };
            if &to != module {
                edges.entry(module.clone()).or_default().insert(to.clone());
                let rel = file.strip_prefix(src.parent().unwrap()).unwrap();
                why.entry((module.clone(), to))
                    .or_insert_with(|| format!("{}:{line} `{path}`", rel.display()));
            }
        }
    }
    let found = cycles(&edges);
    let mut report = String::new();
    for component in &found {
        report.push_str(&format!("cycle among {}:\n", component.join(", ")));
        for from in component {
            for to in edges[from].iter().filter(|to| component.contains(to)) {
                report.push_str(&format!(
                    "    {from} -> {to}  ({})\n",
                    why[&(from.clone(), to.clone())]
                ));
            }
        }
    }
    assert!(found.is_empty(), "{} import cycles:\n{report}", found.len());
}

/// The check finds what it is meant to find, on a small tree of its own.
#[test]
fn the_check_sees_uses_paths_in_bodies_and_super() {
    let dir = std::env::temp_dir().join(format!("module-graph-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("a")).unwrap();
    fs::write(dir.join("lib.rs"), "mod a; mod b;\n").unwrap();
    fs::write(
        dir.join("a/mod.rs"),
        "mod child;\nfn f() { child::g(); } // crate::b::x in a comment\n",
    )
    .unwrap();
    fs::write(
        dir.join("a/child.rs"),
        "use super::{Thing, other::{X as Y}};\nfn g() { let _ = \"crate::b\"; }\n",
    )
    .unwrap();
    fs::write(
        dir.join("b.rs"),
        "fn x() { crate::a::f() }\n#[cfg(test)]\nmod tests { use crate::a::child; }\n",
    )
    .unwrap();
    let known = modules(&dir);
    assert_eq!(
        known.keys().collect::<Vec<_>>(),
        ["crate", "crate::a", "crate::a::child", "crate::b"]
    );
    let children: BTreeSet<String> = ["child".to_string()].into();
    let a = code_only(&fs::read_to_string(dir.join("a/mod.rs")).unwrap());
    let found: Vec<String> = paths(&a, &children).into_iter().map(|p| p.1).collect();
    assert_eq!(found, ["child::g"]);
    let child = code_only(&fs::read_to_string(dir.join("a/child.rs")).unwrap());
    let found: Vec<String> = paths(&child, &BTreeSet::new())
        .into_iter()
        .map(|p| p.1)
        .collect();
    assert_eq!(found, ["super::Thing", "super::other::X"]);
    assert_eq!(
        target("crate::a::child", "super::Thing", &known).as_deref(),
        Some("crate::a")
    );
    let b = without_test_code(&code_only(&fs::read_to_string(dir.join("b.rs")).unwrap()));
    let found: Vec<String> = paths(&b, &BTreeSet::new())
        .into_iter()
        .map(|p| p.1)
        .collect();
    assert_eq!(found, ["crate::a::f"]);
    let edges: BTreeMap<Module, BTreeSet<Module>> = [
        ("crate::a".into(), ["crate::a::child".into()].into()),
        ("crate::a::child".into(), ["crate::a".into()].into()),
        ("crate::b".into(), ["crate::a".into()].into()),
    ]
    .into();
    assert_eq!(cycles(&edges), [vec!["crate::a", "crate::a::child"]]);
    fs::remove_dir_all(&dir).unwrap();
}
