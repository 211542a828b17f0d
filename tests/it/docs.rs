//! The repository cites its own documents: no tracked text file refers to a document outside
//! it (a spec, a providers page, the seed pages, a sibling checkout) or to an issue number.
//! Whatever such a reference explained now lives in `docs/`, and a line that needs it cites
//! the section there.

use std::path::Path;
use std::process::Command;

/// This file, which names the patterns it looks for.
const SELF: &str = "tests/it/docs.rs";

/// Files that are not prose or code written here.
const SKIPPED: &[&str] = &["Cargo.lock", SELF];

/// Literal references to documents outside the repository, spelled in pieces so that this
/// file names none of them itself.
const OUTSIDE: &[&str] = &[
    concat!("SPEC", " §"),
    concat!("SPEC", ".md"),
    concat!("PROVIDERS", ".md"),
    concat!("..", "/shared"),
    concat!("seed", " 0"),
];

/// The reference a line makes to something outside the repository, if any.
fn outside_reference(line: &str) -> Option<String> {
    if let Some(p) = OUTSIDE.iter().find(|p| line.contains(*p)) {
        return Some((*p).to_string());
    }
    for word in ["issue ", "Issue "] {
        for (at, _) in line.match_indices(word) {
            let before = line[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric()) {
                continue;
            }
            let digits: String = line[at + word.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if !digits.is_empty() {
                return Some(format!("{word}{digits}"));
            }
        }
    }
    None
}

#[test]
fn outside_references_are_gone() {
    assert_eq!(outside_reference("see issue 9"), Some("issue 9".into()));
    assert_eq!(outside_reference("// Issue 10: x"), Some("Issue 10".into()));
    let spec = OUTSIDE[0];
    assert_eq!(outside_reference(&format!("({spec}3)")), Some(spec.into()));
    let providers = OUTSIDE[2];
    assert_eq!(
        outside_reference(&format!("see {providers}")),
        Some(providers.into())
    );
    assert_eq!(outside_reference("an issue with it, 9 times"), None);
    assert_eq!(outside_reference("whoever seeds the simulator"), None);

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(root)
        .output()
        .expect("git ls-files runs");
    assert!(
        out.status.success(),
        "git ls-files: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listing = String::from_utf8(out.stdout).expect("UTF-8 paths");
    let files: Vec<&str> = listing.split('\0').filter(|f| !f.is_empty()).collect();
    assert!(
        files.len() > 50,
        "git ls-files listed {} files",
        files.len()
    );

    let mut found = Vec::new();
    let mut read = 0;
    for file in files {
        if SKIPPED.contains(&file) {
            continue;
        }
        let Ok(bytes) = std::fs::read(root.join(file)) else {
            continue; // deleted in the work tree, or a directory (a submodule)
        };
        if bytes.contains(&0) {
            continue; // binary
        }
        let Ok(text) = String::from_utf8(bytes) else {
            continue; // binary
        };
        read += 1;
        for (n, line) in text.lines().enumerate() {
            if let Some(what) = outside_reference(line) {
                found.push(format!("{file}:{}: {what}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(read > 50, "only {read} text files read");
    assert!(
        found.is_empty(),
        "references to documents outside the repository or to issue numbers; cite docs/ instead:\n{}",
        found.join("\n")
    );
}
