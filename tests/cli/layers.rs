//! The module layers hold: no module of `src/` imports from a module that imports it (directly
//! or through others), so every layer can be read, tested and changed from the ground up.
//! docs/architecture.md draws the same layers.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use regex::Regex;

use crate::support::repo;

/// The top-level modules of `src/` and the modules each one uses, read from the source.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = repo().join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let path = Regex::new(r"crate::([a-z_]+)").unwrap();
    let group = Regex::new(r"use crate::\{([^;]*)\}").unwrap();
    let mut files = Vec::new();
    collect(&src, &mut files);
    for file in files {
        let rel = file.strip_prefix(&src).unwrap();
        let module = rel
            .iter()
            .next()
            .unwrap()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if module == "lib" || module == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        // Tests may reach anywhere: only the code counts.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let used = graph.entry(module.clone()).or_default();
        for c in path.captures_iter(code) {
            used.insert(c[1].to_owned());
        }
        for c in group.captures_iter(code) {
            for name in c[1].split(',') {
                let name = name.trim().split("::").next().unwrap_or_default().trim();
                if !name.is_empty() {
                    used.insert(name.to_owned());
                }
            }
        }
        used.remove(&module);
        // Macros exported at the crate root (`say!`) live in `output`.
        used.retain(|m| m != "say" && m != "sayln");
    }
    graph
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// A cycle through `start`, if any.
fn cycle_from(
    graph: &BTreeMap<String, BTreeSet<String>>,
    start: &str,
    at: &str,
    path: &mut Vec<String>,
) -> Option<Vec<String>> {
    for next in graph.get(at).into_iter().flatten() {
        if next == start {
            let mut c = path.clone();
            c.push(start.to_owned());
            return Some(c);
        }
        if path.contains(next) {
            continue;
        }
        path.push(next.clone());
        if let Some(c) = cycle_from(graph, start, next, path) {
            return Some(c);
        }
        path.pop();
    }
    None
}

#[test]
fn no_module_imports_from_a_module_that_imports_it() {
    let graph = imports();
    assert!(graph.len() > 10, "{graph:?}");
    assert!(
        graph["session"].contains("run"),
        "the scan misses imports: {graph:?}"
    );
    let cycles: Vec<String> = graph
        .keys()
        .filter_map(|m| cycle_from(&graph, m, m, &mut vec![m.clone()]))
        .map(|c| c.join(" -> "))
        .collect();
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_ground_floor_imports_nothing_above_it() {
    let graph = imports();
    for floor in ["error", "secrets", "files", "record", "text", "tokens"] {
        let above: Vec<&String> = graph[floor]
            .iter()
            .filter(|m| {
                !["error", "secrets", "files", "record", "text", "tokens"].contains(&m.as_str())
            })
            .collect();
        assert!(above.is_empty(), "`{floor}` imports {above:?}");
    }
}
