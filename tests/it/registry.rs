//! A provider is one folder and one registry line. The compiler holds every
//! registered provider to what the registry asks of its folder; this holds the rest of the
//! checked list in `docs/adding-a-provider.md` to every registered provider: its README row,
//! its example target, its demo target and its test fixture (`tests/it/providers/`), and the
//! document's paths to the tree.

use std::path::Path;

use cloud_task_exporter::config;
use cloud_task_exporter::provider::ProviderKind;

use crate::providers::fixtures;

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn every_registered_provider_is_documented_demonstrated_and_tested() {
    let readme = read("README.md");
    let example = read("config.example.yaml");
    let example = config::load_str_with_env(
        &example,
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.yaml"),
        &|_| Some("x".to_string()),
    )
    .unwrap_or_else(|e| panic!("config.example.yaml: {e}"))
    .targets;
    let demo = cloud_task_exporter::demo::config("http://127.0.0.1:1").expect("the demo config");
    let fixtures = fixtures();
    // The ids of the rows of the README's Providers table.
    let rows: Vec<&str> = readme
        .lines()
        .skip_while(|l| !l.starts_with("### Providers"))
        .skip_while(|l| !l.starts_with("| `provider` |"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .filter_map(|l| l.split('`').nth(1))
        .collect();
    for kind in ProviderKind::ALL {
        let id = kind.as_str();
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        for file in ["mod.rs", "config.rs", "api.rs", "demo.rs"] {
            let path = root.join("src/provider").join(id).join(file);
            assert!(path.exists(), "{id}: {} is missing", path.display());
        }
        assert!(
            rows.contains(&id),
            "{id}: no row in the README's Providers table"
        );
        assert!(
            example.iter().any(|t| t.provider() == kind),
            "{id}: config.example.yaml shows no target of it"
        );
        assert!(
            demo.targets.iter().any(|t| t.provider() == kind),
            "{id}: the demo has no target of it"
        );
        let n = fixtures.iter().filter(|f| f.kind() == id).count();
        assert_eq!(
            n, 1,
            "{id}: {n} fixtures in tests/it/providers/ (the fixtures! list), want exactly one"
        );
    }
    // The README's table has no row the registry lacks.
    assert_eq!(
        rows.len(),
        ProviderKind::ALL.len(),
        "README Providers table: {rows:?}"
    );
    // And no fixture of a provider the registry lacks.
    let kinds: Vec<&str> = fixtures.iter().map(|f| f.kind()).collect();
    assert_eq!(kinds.len(), ProviderKind::ALL.len(), "fixtures: {kinds:?}");
}

/// Every path `docs/adding-a-provider.md` names exists (`<kind>` stands for each registered
/// provider), so the checked list keeps pointing at the tree.
#[test]
fn the_adding_a_provider_document_names_real_files() {
    let doc = read("docs/adding-a-provider.md");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut named = 0;
    for quoted in doc.split('`').skip(1).step_by(2) {
        let path = quoted.split([' ', ':', '#']).next().unwrap_or("");
        let tracked = [
            "src/",
            "tests/",
            "docs/",
            "README.md",
            "config.example.yaml",
        ];
        if !tracked.iter().any(|t| path.starts_with(t)) || path.ends_with('/') {
            continue;
        }
        for kind in ProviderKind::ALL {
            let p = root.join(path.replace("<kind>", kind.as_str()));
            assert!(
                p.exists(),
                "docs/adding-a-provider.md names {path}: {}",
                p.display()
            );
        }
        named += 1;
    }
    assert!(
        named >= 8,
        "the document names the files to touch ({named})"
    );
}
