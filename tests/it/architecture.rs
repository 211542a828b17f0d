//! The crate's modules form a stack: the layers written once in the crate doc (`src/lib.rs`,
//! "Layers"), bottom to top. This reads every `use` and every `crate::…`/`super::…` path in
//! `src/` and fails when a module names one in a higher layer, when the module graph has a
//! cycle, when a module has no layer, or when `docs/design.md` shows other layers.
//!
//! A module is a file: `src/a/b.rs` and `src/a/b/mod.rs` are `a::b`. A path names the longest
//! module it starts with (`crate::config::settings::Settings` names `config::settings`,
//! `crate::config::Settings` names `config`). A layer line lists modules; one listed covers its
//! descendants unless a descendant is listed itself.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The layers of a doc: the numbered lines after a `Layers` heading, each a list of
/// backticked module paths; bottom first.
fn layers_in(text: &str, prefix: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut inside = false;
    // Whether the current item's module list goes on past its line.
    let mut open = false;
    for line in text.lines() {
        let Some(line) = line.strip_prefix(prefix) else {
            continue;
        };
        let line = line.trim();
        if line.starts_with('#') {
            inside = line.trim_start_matches('#').trim() == "Layers";
            continue;
        }
        if !inside {
            continue;
        }
        let names = |text: &str| -> Vec<String> {
            // Up to the colon that starts the layer's description.
            let text = text.split(": ").next().unwrap_or(text);
            text.split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_string)
                .collect()
        };
        match line.split_once(". ") {
            Some((n, rest)) if n.parse::<usize>() == Ok(out.len() + 1) => {
                out.push(names(rest));
                open = !rest.contains(": ");
            }
            // A list item's continuation line.
            _ if open && !line.is_empty() => {
                if let Some(last) = out.last_mut() {
                    last.extend(names(line));
                }
                open = !line.contains(": ");
            }
            _ => open = false,
        }
    }
    out
}

/// Every module of the crate by file, with its source (comments and `#[cfg(test)] mod tests`
/// bodies included: a unit test's imports count too).
fn modules(src: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            if p.extension().is_none_or(|x| x != "rs") {
                continue;
            }
            let rel = p.strip_prefix(src).unwrap().with_extension("");
            let mut parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if parts == ["main"] {
                continue; // the binary, above everything
            }
            if parts.last().is_some_and(|l| l == "mod" || l == "lib") {
                parts.pop();
            }
            out.insert(parts.join("::"), std::fs::read_to_string(&p).unwrap());
        }
    }
    out
}

/// `text` without `//` comments (doc comments included) and string literals' contents.
fn code_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut in_str = false;
        let mut prev = ' ';
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            if in_str {
                if c == '"' && prev != '\\' {
                    in_str = false;
                    out.push('"');
                }
                prev = if prev == '\\' && c == '\\' { ' ' } else { c };
                continue;
            }
            if c == '/' && chars.peek() == Some(&'/') {
                break;
            }
            if c == '"' && prev != '\'' {
                in_str = true;
            }
            out.push(c);
            prev = c;
        }
        out.push('\n');
    }
    out
}

/// For each byte of `code`, how many inline modules (`mod tests { … }`) enclose it: there
/// `super::` starts from the inline module, not from the file's module.
fn inline_depths(code: &str) -> Vec<u8> {
    let mut out = vec![0u8; code.len() + 1];
    let mut braces = 0usize;
    // Brace depth inside each open inline module.
    let mut open: Vec<usize> = Vec::new();
    let mut i = 0;
    let bytes = code.as_bytes();
    while i < bytes.len() {
        if !code.is_char_boundary(i) {
            out[i] = open.len() as u8;
            i += 1;
            continue;
        }
        let rest = &code[i..];
        let at_word = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        if at_word && rest.starts_with("mod ") {
            let head: String = rest[4..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || c.is_whitespace())
                .collect();
            if rest[4 + head.len()..].starts_with('{') {
                for b in &mut out[i..i + 4 + head.len() + 1] {
                    *b = open.len() as u8;
                }
                i += 4 + head.len() + 1;
                braces += 1;
                open.push(braces);
                continue;
            }
        }
        match bytes[i] {
            b'{' => braces += 1,
            b'}' => {
                if open.last() == Some(&braces) {
                    open.pop();
                }
                braces = braces.saturating_sub(1);
            }
            _ => {}
        }
        out[i] = open.len() as u8;
        i += 1;
    }
    out
}

/// The paths a `use` tree names, `{a, b::{c, d}}` expanded; `self` names the prefix.
fn expand(prefix: &[String], tree: &str, out: &mut Vec<Vec<String>>) {
    let tree = tree.trim();
    if let Some(inner) = tree.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
        let mut depth = 0;
        let mut start = 0;
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand(prefix, &inner[start..i], out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        expand(prefix, &inner[start..], out);
        return;
    }
    if tree.is_empty() {
        return;
    }
    match tree.split_once("::") {
        Some((head, rest)) => {
            let mut p = prefix.to_vec();
            p.push(head.trim().to_string());
            expand(&p, rest, out);
        }
        None => {
            let name = tree.split(" as ").next().unwrap_or(tree).trim();
            let mut p = prefix.to_vec();
            if name != "self" && name != "*" {
                p.push(name.to_string());
            }
            out.push(p);
        }
    }
}

/// The absolute path (from the crate root) of a path written in module `m`, if it is one
/// of the crate's: `crate::…`, `super::…`, `self::…`, or a child module's name.
fn absolute(m: &str, path: &[String], children: &BTreeSet<String>) -> Option<Vec<String>> {
    let mut here: Vec<String> = if m.is_empty() {
        Vec::new()
    } else {
        m.split("::").map(str::to_string).collect()
    };
    let first = path.first()?;
    let rest = match first.as_str() {
        "crate" => {
            here.clear();
            &path[1..]
        }
        "super" | "self" => {
            let mut i = 0;
            while path.get(i).is_some_and(|s| s == "super" || s == "self") {
                if path[i] == "super" {
                    here.pop()?;
                }
                i += 1;
            }
            &path[i..]
        }
        child if children.contains(child) => path,
        _ => return None,
    };
    here.extend(rest.iter().cloned());
    Some(here)
}

/// The module a path names: the longest module it starts with.
fn module_of(path: &[String], mods: &BTreeMap<String, String>) -> Option<String> {
    (1..=path.len())
        .rev()
        .map(|i| path[..i].join("::"))
        .find(|m| mods.contains_key(m))
}

/// Module → the modules it names (not itself, not its own descendants: a parent declares
/// its children).
fn graph(mods: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let mut edges = BTreeMap::new();
    for (m, text) in mods {
        let code = code_only(text);
        let children: BTreeSet<String> = code
            .lines()
            .filter_map(|l| {
                let l = l.trim();
                let l = l
                    .strip_prefix("pub(crate) ")
                    .or(l.strip_prefix("pub "))
                    .unwrap_or(l);
                l.strip_prefix("mod ")?
                    .strip_suffix(';')
                    .map(str::to_string)
            })
            .collect();
        let depth = inline_depths(&code);
        // Each path with the number of inline modules around it.
        let mut paths: Vec<(Vec<String>, u8)> = Vec::new();
        // `use` trees.
        for (i, _) in code.match_indices("use ") {
            let before = code[..i].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let Some(end) = code[i..].find(';') else {
                continue;
            };
            let tree: String = code[i + 4..i + end]
                .chars()
                .filter(|c| !c.is_whitespace() || *c == ' ')
                .collect();
            let tree = tree.replace(" :: ", "::");
            let mut found = Vec::new();
            expand(&[], &tree, &mut found);
            paths.extend(found.into_iter().map(|p| (p, depth[i])));
        }
        // Inline `crate::a::b` and `super::a` paths (`$crate::` in macros too).
        for start in ["crate::", "super::"] {
            for (i, _) in code.match_indices(start) {
                let before = code[..i].chars().next_back();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                    continue;
                }
                let path: Vec<String> = code[i..]
                    .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                    .next()
                    .unwrap_or("")
                    .split("::")
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect();
                paths.push((path, depth[i]));
            }
        }
        let mut to = BTreeSet::new();
        for (mut p, depth) in paths {
            // In an inline module, its own `super`s lead back to the file's module.
            for _ in 0..depth {
                match p.first().map(String::as_str) {
                    Some("super") => {
                        p[0] = "self".to_string();
                        if p.get(1).is_some_and(|s| s == "super") {
                            p.remove(0);
                        }
                    }
                    _ => break,
                }
            }
            let Some(abs) = absolute(m, &p, &children) else {
                continue;
            };
            let Some(target) = module_of(&abs, mods) else {
                continue;
            };
            let descendant = m.is_empty() || target.starts_with(&format!("{m}::"));
            if target != *m && !descendant {
                to.insert(target);
            }
        }
        edges.insert(m.clone(), to);
    }
    edges
}

/// The layer of module `m`: that of the longest listed module it is or descends from.
fn layer_of(m: &str, layers: &[Vec<String>]) -> Option<usize> {
    let mut best: Option<(usize, usize)> = None;
    for (i, mods) in layers.iter().enumerate() {
        for l in mods {
            if (m == l || m.starts_with(&format!("{l}::")))
                && best.is_none_or(|(len, _)| l.len() > len)
            {
                best = Some((l.len(), i));
            }
        }
    }
    best.map(|(_, i)| i)
}

/// A cycle of the graph, if any (depth-first search).
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        v: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(v.to_string(), 1);
        stack.push(v.to_string());
        for w in edges.get(v).into_iter().flatten() {
            match state.get(w.as_str()) {
                Some(1) => {
                    let i = stack.iter().position(|s| s == w).unwrap_or(0);
                    let mut c = stack[i..].to_vec();
                    c.push(w.clone());
                    return Some(c);
                }
                Some(_) => {}
                None => {
                    if let Some(c) = visit(w, edges, state, stack) {
                        return Some(c);
                    }
                }
            }
        }
        stack.pop();
        state.insert(v.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for v in edges.keys() {
        if !state.contains_key(v.as_str()) {
            let mut stack = Vec::new();
            if let Some(c) = visit(v, edges, &mut state, &mut stack) {
                return Some(c);
            }
        }
    }
    None
}

/// What is wrong with the crate's structure, one line each.
fn violations(mods: &BTreeMap<String, String>, layers: &[Vec<String>]) -> Vec<String> {
    let mut out = Vec::new();
    for l in layers.iter().flatten() {
        if !mods.contains_key(l) {
            out.push(format!("the layers name `{l}`, which is no module of src/"));
        }
    }
    let edges = graph(mods);
    for (m, to) in &edges {
        if m.is_empty() {
            continue; // lib.rs declares the modules
        }
        let Some(lm) = layer_of(m, layers) else {
            out.push(format!(
                "`{m}` is in no layer: add it to the crate doc's Layers"
            ));
            continue;
        };
        for t in to {
            let lt = layer_of(t, layers);
            if lt.is_some_and(|lt| lt > lm) {
                out.push(format!(
                    "`{m}` (layer {}) uses `{t}` (layer {}), above it",
                    lm + 1,
                    lt.map_or(0, |l| l + 1)
                ));
            }
        }
    }
    if let Some(c) = find_cycle(&edges) {
        out.push(format!("import cycle: {}", c.join(" → ")));
    }
    out
}

#[test]
fn modules_form_a_stack_of_layers_without_cycles() {
    let lib = std::fs::read_to_string(root().join("src/lib.rs")).unwrap();
    let layers = layers_in(&lib, "//!");
    assert!(
        layers.len() >= 8,
        "the crate doc lists the layers: {layers:?}"
    );
    let mods = modules(&root().join("src"));
    let v = violations(&mods, &layers);
    assert!(v.is_empty(), "{} problems:\n{}", v.len(), v.join("\n"));
}

#[test]
fn the_design_document_shows_the_layers_the_test_enforces() {
    let lib = std::fs::read_to_string(root().join("src/lib.rs")).unwrap();
    let design = std::fs::read_to_string(root().join("docs/design.md")).unwrap();
    assert_eq!(layers_in(&design, ""), layers_in(&lib, "//!"));
}

/// The checker itself: an upward import, a cycle and a module without a layer are caught;
/// comments and strings do not count.
#[test]
fn the_checker_catches_an_upward_import_a_cycle_and_a_missing_layer() {
    let layers = vec![vec!["low".to_string()], vec!["high".to_string()]];
    let m = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let good = m(&[
        (
            "low",
            "mod a;\nmod b;\nuse b::Y;\n// use crate::high;\nconst S: &str = \"crate::high::X\";",
        ),
        ("low::a", "use super::b::X;"),
        // A unit test's `super` is its file.
        (
            "low::b",
            "#[cfg(test)]\nmod tests {\n    use super::*;\n}\nfn f() {}",
        ),
        ("high", "use crate::low::{a, b::{self, X}};"),
    ]);
    assert_eq!(violations(&good, &layers), Vec::<String>::new());
    let upward = m(&[("low", "fn f() { crate::high::g() }"), ("high", "")]);
    assert_eq!(
        violations(&upward, &layers),
        ["`low` (layer 1) uses `high` (layer 2), above it"]
    );
    let cycle = m(&[
        ("low", ""),
        ("low::a", "use crate::low::b;"),
        ("low::b", "use super::a::X;"),
        ("high", ""),
    ]);
    assert_eq!(
        violations(&cycle, &layers),
        ["import cycle: low::a → low::b → low::a"]
    );
    let stray = m(&[("low", ""), ("high", ""), ("other", "")]);
    assert_eq!(
        violations(&stray, &layers),
        ["`other` is in no layer: add it to the crate doc's Layers"]
    );
}
