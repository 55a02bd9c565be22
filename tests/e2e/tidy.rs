//! Repository hygiene (rust-analyzer's `tidy`): every module says what it is, the pure cores stay
//! pure, dependencies point inward, nothing reads outside the repository, and no tracker numbers
//! appear in code or docs. The rules and their reasons are in `docs/style.md`.

use std::path::{Path, PathBuf};

use crate::util::repo_root;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_source_module_starts_with_a_doc_comment() {
    let mut files = Vec::new();
    for krate in std::fs::read_dir(repo_root().join("crates")).unwrap() {
        let src = krate.unwrap().path().join("src");
        if src.is_dir() {
            rust_files(&src, &mut files);
        }
    }
    assert!(files.len() > 20);
    let missing: Vec<_> = files
        .iter()
        .filter(|f| {
            !std::fs::read_to_string(f)
                .unwrap()
                .trim_start()
                .starts_with("//!")
        })
        .collect();
    assert!(
        missing.is_empty(),
        "modules without a `//!` doc: {missing:#?}"
    );
}

#[test]
fn pure_cores_depend_on_no_io_async_or_database_crate() {
    const FORBIDDEN: &[&str] = &[
        "tokio",
        "sqlx",
        "axum",
        "hyper",
        "reqwest",
        "rumbo-store",
        "rumbo-server",
        "maud",
        "tower",
    ];
    for core in ["wfm", "kpi", "domain", "charts"] {
        let manifest =
            std::fs::read_to_string(repo_root().join("crates").join(core).join("Cargo.toml"))
                .unwrap();
        let deps: String = manifest
            .split("[dependencies]")
            .nth(1)
            .unwrap_or("")
            .split("\n[")
            .next()
            .unwrap_or("")
            .to_string();
        for f in FORBIDDEN {
            assert!(
                !deps
                    .lines()
                    .any(|l| l.trim_start().starts_with(&format!("{f} "))
                        || l.trim_start().starts_with(&format!("{f}."))
                        || l.trim_start().starts_with(&format!("{f}="))),
                "crates/{core} must stay pure but depends on {f}"
            );
        }
    }
}

#[test]
fn only_the_store_names_sqlx() {
    for krate in [
        "server", "ingest", "kpi", "wfm", "domain", "charts", "rumbo",
    ] {
        let mut files = Vec::new();
        rust_files(
            &repo_root().join("crates").join(krate).join("src"),
            &mut files,
        );
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            assert!(
                !text.contains("sqlx::"),
                "{} uses sqlx directly; go through rumbo-store",
                f.display()
            );
        }
    }
}

/// Source files of every crate and of the end-to-end tests: `.rs` (src, tests, examples,
/// build scripts) and the browser scripts.
fn all_sources() -> Vec<PathBuf> {
    let root = repo_root();
    let mut files = Vec::new();
    rust_files(&root.join("crates"), &mut files);
    rust_files(&root.join("tests/e2e"), &mut files);
    for entry in std::fs::read_dir(root.join("tests/browser")).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "mjs" || e == "js") {
            files.push(p);
        }
    }
    files
}

/// Whether a line is only a comment (`//`, `///`, `//!`, or the inside of a `/* */` block).
fn is_comment(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("//") || t.starts_with("/*") || t.starts_with('*')
}

#[test]
fn no_test_or_source_reads_files_outside_the_repository() {
    // Spelled in pieces so this file does not match itself.
    let needles = [
        ["..", "/shared"].concat(),
        ["shared", "/oracles"].concat(),
        ["/work", "/shared"].concat(),
    ];
    let files = all_sources();
    assert!(files.len() > 20);
    let mut offenders = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (i, line) in text.lines().enumerate() {
            if !is_comment(line) && needles.iter().any(|n| line.contains(n.as_str())) {
                offenders.push(format!("{}:{}: {}", f.display(), i + 1, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "a fresh clone has no `shared/` folder beside it; copy the file into the repository \
         (e.g. `crates/<crate>/tests/data/`, with a README saying where it comes from) and read \
         it through `CARGO_MANIFEST_DIR`:\n{}",
        offenders.join("\n")
    );
}

/// Every text file a reader meets: sources, manifests, catalogues, migrations, scripts and docs
/// (not `target/`, `node_modules/` or the reference tables).
fn text_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if p.is_dir() {
            if !matches!(name.as_str(), "target" | "node_modules" | ".git") {
                text_files(&p, out);
            }
        } else if p.extension().is_some_and(|e| {
            ["rs", "toml", "sql", "md", "mjs", "js", "css"].contains(&&*e.to_string_lossy())
        }) {
            out.push(p);
        }
    }
}

/// `issue 5`, `Issue #12`, `issue5`: a pointer into a tracker the reader may not have.
fn cites_an_issue_number(line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    lower.match_indices("issue").any(|(i, w)| {
        let rest = lower[i + w.len()..].trim_start_matches([' ', '#']);
        rest.starts_with(|c: char| c.is_ascii_digit())
    })
}

#[test]
fn code_docs_and_catalogues_cite_no_issue_numbers() {
    let root = repo_root();
    let mut files = Vec::new();
    for dir in ["crates", "tests", "docs", ".ci"] {
        text_files(&root.join(dir), &mut files);
    }
    for f in ["README.md", "ARCHITECTURE.md", "Cargo.toml"] {
        files.push(root.join(f));
    }
    assert!(files.len() > 30);
    let mut offenders = Vec::new();
    // This file spells examples of what it refuses.
    for f in files.iter().filter(|f| !f.ends_with("tests/e2e/tidy.rs")) {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        for (i, line) in text.lines().enumerate() {
            if cites_an_issue_number(line) {
                offenders.push(format!("{}:{}: {}", f.display(), i + 1, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "say what the code does, not which ticket asked for it (docs/style.md):\n{}",
        offenders.join("\n")
    );
}

#[test]
fn an_issue_number_is_recognised_but_a_data_quality_issue_is_not() {
    assert!(cites_an_issue_number("// Plan (issue 5) messages"));
    assert!(cites_an_issue_number("## Build (Issue #12)"));
    assert!(!cites_an_issue_number("/// A data-quality issue."));
    assert!(!cites_an_issue_number(
        "self.push_issue(Issue::rejected(n, kind, msg));"
    ));
}
