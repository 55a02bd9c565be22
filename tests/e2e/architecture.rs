//! The arrows of the architecture, checked: which crate may depend on which, and inside the
//! server which area may import which (see ARCHITECTURE.md and docs/style.md).
//!
//! Crates: the pure cores (`wfm`, `kpi`, `domain`, `charts`) depend on nothing of ours;
//! `ingest` → `kpi`; `store` → `domain`, `kpi`; `app` → cores, `ingest`, `store`; `server` and the
//! binary → `app` and cores, never the store. Server areas: `view/` imports no other area,
//! `http/` only `view/`, a feature only `http/`, `view/` and itself; routers meet in `lib.rs`.
//! Each checker is a function of plain data, so a test proves it rejects a wrong graph.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::util::repo_root;

const CORES: &[&str] = &["wfm", "kpi", "domain", "charts"];

/// The workspace crates each crate may depend on (normal dependencies; tests may use more).
fn allowed(krate: &str) -> Option<BTreeSet<&'static str>> {
    let mut s: BTreeSet<&'static str> = BTreeSet::new();
    match krate {
        "wfm" | "kpi" | "domain" | "charts" => {}
        "ingest" => {
            s.insert("kpi");
        }
        "store" => {
            s.extend(["domain", "kpi"]);
        }
        "app" => {
            s.extend(CORES);
            s.extend(["ingest", "store"]);
        }
        "server" => {
            s.extend(CORES);
            s.insert("app");
        }
        "rumbo" => {
            s.extend(CORES);
            s.extend(["app", "server"]);
        }
        _ => return None,
    }
    Some(s)
}

/// Every arrow `from → to` that the rules forbid, as readable lines.
fn crate_violations(deps: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let mut out = Vec::new();
    for (from, tos) in deps {
        let Some(ok) = allowed(from) else {
            out.push(format!("{from}: a crate the architecture does not know"));
            continue;
        };
        for to in tos {
            if !ok.contains(to.as_str()) {
                out.push(format!("{from} → {to} is not allowed"));
            }
        }
    }
    out
}

/// The `rumbo-*` crates named in the `[dependencies]` table of a manifest.
fn workspace_deps(manifest: &str) -> BTreeSet<String> {
    let mut in_deps = false;
    let mut out = BTreeSet::new();
    for line in manifest.lines() {
        let l = line.trim();
        if l.starts_with('[') {
            in_deps = l == "[dependencies]";
            continue;
        }
        if in_deps {
            if let Some(rest) = l.strip_prefix("rumbo-") {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                    .collect();
                out.insert(name);
            }
        }
    }
    out
}

fn actual_crate_deps() -> BTreeMap<String, BTreeSet<String>> {
    let root = repo_root();
    let mut deps = BTreeMap::new();
    for entry in std::fs::read_dir(root.join("crates")).unwrap() {
        let dir = entry.unwrap().path();
        let manifest = dir.join("Cargo.toml");
        if !manifest.exists() {
            continue;
        }
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        // The binary's manifest is the workspace root's.
        let text = if name == "rumbo" {
            std::fs::read_to_string(root.join("Cargo.toml")).unwrap()
        } else {
            std::fs::read_to_string(&manifest).unwrap()
        };
        deps.insert(name, workspace_deps(&text));
    }
    if !deps.contains_key("rumbo") {
        let text = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
        deps.insert("rumbo".into(), workspace_deps(&text));
    }
    deps
}

#[test]
fn crate_dependencies_point_inward() {
    let deps = actual_crate_deps();
    assert!(deps.len() >= 9, "found only {:?}", deps.keys());
    let v = crate_violations(&deps);
    assert!(
        v.is_empty(),
        "forbidden crate dependencies:\n{}",
        v.join("\n")
    );
}

#[test]
fn the_crate_check_rejects_a_deliberately_wrong_graph() {
    let mut deps = actual_crate_deps();
    deps.get_mut("server").unwrap().insert("store".into());
    deps.get_mut("kpi").unwrap().insert("domain".into());
    deps.get_mut("ingest").unwrap().insert("store".into());
    let v = crate_violations(&deps);
    for expected in [
        "server → store is not allowed",
        "kpi → domain is not allowed",
        "ingest → store is not allowed",
    ] {
        assert!(
            v.iter().any(|x| x == expected),
            "{expected} not caught: {v:?}"
        );
    }
}

/// The server area a source file belongs to: `http`, `view`, `features/<name>` or `root`.
fn area_of(rel: &Path) -> String {
    let parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    match parts.first().map(String::as_str) {
        Some("http") => "http".into(),
        Some("view") => "view".into(),
        Some("features") if parts.len() > 1 => format!("features/{}", parts[1]),
        _ => "root".into(),
    }
}

/// The areas a source file refers to through `crate::…` paths (root re-exports of `http`
/// items count as `http`).
fn references(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        let tail = &rest[i + "crate::".len()..];
        let seg: String = tail
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if seg.is_empty() && tail.starts_with('{') {
            // `crate::{a, b::c}`: each name in the braces.
            let inner = &tail[1..tail.find('}').unwrap_or(tail.len())];
            for name in inner.split(',') {
                let name = name.trim();
                if !name.is_empty() {
                    out.extend(references(&format!("crate::{name}")));
                }
            }
            rest = tail;
            continue;
        }
        let area = match seg.as_str() {
            "http" | "AppState" | "AppError" | "Config" => Some("http".to_string()),
            "view" => Some("view".to_string()),
            "features" => {
                let t = &tail["features::".len().min(tail.len())..];
                let name: String = t
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                Some(format!("features/{name}"))
            }
            "" => None,
            _ => Some("root".to_string()),
        };
        if let Some(a) = area {
            out.insert(a);
        }
        rest = tail;
    }
    out
}

/// Every import between server areas that the rules forbid.
fn area_violations(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let mut out = Vec::new();
    for (from, tos) in edges {
        for to in tos {
            if from == to || from == "root" {
                continue;
            }
            let ok = match from.as_str() {
                "view" => false,
                "http" => to == "view",
                f if f.starts_with("features/") => to == "http" || to == "view",
                _ => false,
            };
            if !ok {
                out.push(format!("{from} imports {to}"));
            }
        }
    }
    out
}

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

fn server_area_edges() -> BTreeMap<String, BTreeSet<String>> {
    let src = repo_root().join("crates/server/src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap();
        let text = std::fs::read_to_string(&f).unwrap();
        edges
            .entry(area_of(rel))
            .or_default()
            .extend(references(&text));
    }
    edges
}

#[test]
fn server_areas_import_only_inward() {
    let edges = server_area_edges();
    for area in ["http", "view"] {
        assert!(edges.contains_key(area), "no {area}/ area in {edges:?}");
    }
    let v = area_violations(&edges);
    assert!(
        v.is_empty(),
        "forbidden imports between server areas:\n{}",
        v.join("\n")
    );
}

#[test]
fn the_area_check_rejects_a_deliberately_wrong_graph() {
    let mut edges = server_area_edges();
    edges
        .entry("view".into())
        .or_default()
        .insert("http".into());
    edges
        .entry("http".into())
        .or_default()
        .insert("features/plan".into());
    edges
        .entry("features/control".into())
        .or_default()
        .insert("features/plan".into());
    let v = area_violations(&edges);
    for expected in [
        "view imports http",
        "http imports features/plan",
        "features/control imports features/plan",
    ] {
        assert!(
            v.iter().any(|x| x == expected),
            "{expected} not caught: {v:?}"
        );
    }
}

#[test]
fn references_are_read_from_crate_paths() {
    let r = references(
        "use crate::view::layout;\nuse crate::features::plan::docs;\nuse crate::{AppState, demo};",
    );
    assert_eq!(
        r.into_iter().collect::<Vec<_>>(),
        ["features/plan", "http", "root", "view"]
    );
}
