//! The module layers hold, read from the source:
//!
//! - no file of `src/` imports from a file that imports it, directly or through others, inside a
//!   module as much as between modules;
//! - each top-level module imports only modules of a lower layer (`RANKS`), except where
//!   `ALLOWED` says so on purpose, with its reason.
//!
//! docs/architecture.md draws the same layers.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use regex::Regex;

use crate::support::repo;

/// The layers, lowest first: a module may import a module of a lower rank, never one of its own
/// rank or above. docs/architecture.md's table lists them top down.
const RANKS: &[(&str, u32)] = &[
    // The ground floor: plain data and the process's plumbing.
    ("error", 0),
    ("secrets", 0),
    ("text", 0),
    ("tokens", 0),
    ("record", 0),
    ("files", 1),
    ("output", 2),
    // Input: eval, suite and descriptions files.
    ("config", 3),
    // The command line's words (it names `config::Provider`, a plain value).
    ("cli", 4),
    ("mcp", 4),
    ("model", 5),
    ("lint", 5),
    ("score", 5),
    ("host", 5),
    ("run", 6),
    ("report", 6),
    ("gate", 7),
    ("session", 8),
    ("improve", 9),
    ("generate", 9),
    ("sweep", 9),
    ("commands", 10),
];

/// Imports across the ranks allowed on purpose: (the importing file, the module imported, why).
const ALLOWED: &[(&str, &str, &str)] = &[];

/// The files of a source tree: each file's module path (`config::suite`; `config` for
/// `config/mod.rs`), whether it is a folder's `mod.rs`, and its code without its tests.
struct Tree {
    files: BTreeMap<String, (bool, String)>,
}

impl Tree {
    fn read(src: &Path) -> Tree {
        let mut paths = Vec::new();
        collect(src, &mut paths);
        let mut files = BTreeMap::new();
        for p in paths {
            let rel = p.strip_prefix(src).unwrap().with_extension("");
            let mut segs: Vec<String> = rel
                .iter()
                .map(|s| s.to_string_lossy().into_owned())
                .collect();
            let dir_mod = segs.last().is_some_and(|s| s == "mod");
            if dir_mod {
                segs.pop();
            }
            let module = segs.join("::");
            if module == "lib" || module == "main" {
                continue;
            }
            files.insert(module, (dir_mod, std::fs::read_to_string(&p).unwrap()));
        }
        Tree::from_files(files)
    }

    /// The tree from (module, is `mod.rs`, source) triples, its test code removed: a
    /// `#[cfg(test)]` declaration (`mod fixtures;`, a `use`) and the file it names, and
    /// everything from a `#[cfg(test)] mod x {` on (tests end their files).
    fn from_files(files: BTreeMap<String, (bool, String)>) -> Tree {
        let decl = Regex::new(
            r"#\[cfg\(test\)\]\s*(?:pub(?:\([^)]*\))?\s+)?(?:mod\s+(\w+)\s*;|use\s+[^;]+;)",
        )
        .unwrap();
        let comment = Regex::new(r"//[^\n]*").unwrap();
        let mut test_only = BTreeSet::new();
        let mut cleaned = BTreeMap::new();
        for (module, (dir_mod, text)) in files {
            let text = comment.replace_all(&text, "");
            for c in decl.captures_iter(&text) {
                if let Some(name) = c.get(1) {
                    let parent = if dir_mod {
                        module.clone()
                    } else {
                        parent_of(&module)
                    };
                    test_only.insert(join(&parent, name.as_str()));
                }
            }
            let text = decl.replace_all(&text, "");
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            cleaned.insert(module, (dir_mod, code.to_owned()));
        }
        cleaned.retain(|m, _| {
            !test_only
                .iter()
                .any(|t| m == t || m.starts_with(&format!("{t}::")))
        });
        Tree { files: cleaned }
    }

    fn has(&self, module: &str) -> bool {
        self.files.contains_key(module)
    }

    /// The deepest file holding `path` (segments from the crate root), following a `pub use`
    /// of a folder's `mod.rs` to the file that defines the name.
    fn file_of(
        &self,
        path: &[String],
        reexports: &BTreeMap<(String, String), String>,
    ) -> Option<String> {
        let (module, rest) = (1..=path.len()).rev().find_map(|i| {
            let m = path[..i].join("::");
            self.has(&m).then(|| (m, &path[i..]))
        })?;
        match rest.first() {
            Some(name) => Some(
                reexports
                    .get(&(module.clone(), name.clone()))
                    .cloned()
                    .unwrap_or(module),
            ),
            None => Some(module),
        }
    }

    /// `path` as written in `module`, from the crate root; `None` for another crate's path.
    fn absolute(&self, module: &str, path: &[String]) -> Option<Vec<String>> {
        let mut here: Vec<String> = module.split("::").map(str::to_owned).collect();
        match path.first()?.as_str() {
            "crate" => Some(path[1..].to_vec()),
            "self" => {
                here.extend_from_slice(&path[1..]);
                Some(here)
            }
            "super" => {
                let ups = path.iter().take_while(|s| *s == "super").count();
                // In `a/b.rs` (module `a::b`), `super` is `a`; so it is in `a/b/mod.rs`.
                here.truncate(here.len().saturating_sub(ups));
                here.extend_from_slice(&path[ups..]);
                Some(here)
            }
            // A child module of this file, named without `self::`.
            first if self.has(&join(module, first)) => {
                here.extend_from_slice(path);
                Some(here)
            }
            _ => None,
        }
    }

    /// Every path each file names in its code: `use` trees expanded, and `crate::`, `super::`
    /// and `self::` paths written inline; with whether it is a `pub use`.
    fn paths(&self) -> Vec<(String, Vec<String>, bool)> {
        let uses = Regex::new(r"(?m)^\s*(pub(?:\([^)]*\))?\s+)?use\s+([^;]+);").unwrap();
        let inline = Regex::new(r"\b(?:crate|super|self)(?:::[A-Za-z_][A-Za-z0-9_]*)+").unwrap();
        let mut out = Vec::new();
        for (module, (_, code)) in &self.files {
            for u in uses.captures_iter(code) {
                for path in expand(&u[2]) {
                    out.push((module.clone(), path, u.get(1).is_some()));
                }
            }
            let rest = uses.replace_all(code, "");
            for p in inline.find_iter(&rest) {
                let path = p.as_str().split("::").map(str::to_owned).collect();
                out.push((module.clone(), path, false));
            }
        }
        out
    }

    /// Which file each file imports from. A folder's `mod.rs` re-exporting a child's names
    /// (`pub use suite::Task`) imports nothing by it: a use of `config::Task` is a use of
    /// `config/suite.rs`.
    fn graph(&self) -> BTreeMap<String, BTreeSet<String>> {
        let paths = self.paths();
        let mut reexports = BTreeMap::new();
        for (module, path, public) in &paths {
            let Some(abs) = self.absolute(module, path).filter(|_| *public) else {
                continue;
            };
            if let Some(target) = self.file_of(&abs, &BTreeMap::new())
                && target != *module
            {
                reexports.insert((module.clone(), path.last().unwrap().clone()), target);
            }
        }
        let mut graph: BTreeMap<String, BTreeSet<String>> = self
            .files
            .keys()
            .map(|m| (m.clone(), BTreeSet::new()))
            .collect();
        for (module, path, public) in &paths {
            let Some(target) = self
                .absolute(module, path)
                .and_then(|abs| self.file_of(&abs, &reexports))
            else {
                continue;
            };
            let own_child = target.starts_with(&format!("{module}::"));
            if target != *module && !(*public && own_child) {
                graph.get_mut(module).unwrap().insert(target);
            }
        }
        graph
    }
}

fn parent_of(module: &str) -> String {
    module
        .rsplit_once("::")
        .map(|(p, _)| p)
        .unwrap_or("")
        .to_owned()
}

fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}::{name}")
    }
}

/// A `use` tree (`a::{b, c::{d, e as f}}`) as its paths (`a::b`, `a::c::d`, `a::c::e`).
fn expand(tree: &str) -> Vec<Vec<String>> {
    fn walk(prefix: &[String], tree: &str, out: &mut Vec<Vec<String>>) {
        let tree = tree.trim();
        if tree.is_empty() {
            return;
        }
        let (Some(open), Some(close)) = (tree.find('{'), tree.rfind('}')) else {
            let name = tree.split(" as ").next().unwrap_or_default();
            let mut p = prefix.to_vec();
            p.extend(
                name.split("::")
                    .filter(|s| !s.is_empty())
                    .map(|s| s.trim().to_owned()),
            );
            out.push(p);
            return;
        };
        let mut head = prefix.to_vec();
        head.extend(
            tree[..open]
                .split("::")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
        );
        let (mut depth, mut start) = (0, open + 1);
        for (i, c) in tree.char_indices().take(close).skip(open + 1) {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    walk(&head, &tree[start..i], out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        walk(&head, &tree[start..close], out);
    }
    let mut out = Vec::new();
    walk(&[], tree, &mut out);
    out
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

/// The import cycles of a graph: each strongly connected set of two files or more (Tarjan).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        for w in s.graph.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if s.stack.contains(&w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let at = s.stack.iter().rposition(|x| *x == v).unwrap();
            let mut set: Vec<String> = s.stack.drain(at..).map(str::to_owned).collect();
            if set.len() > 1 {
                set.sort();
                s.found.push(set);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.found
}

fn top(module: &str) -> &str {
    module.split("::").next().unwrap_or(module)
}

/// Each import from a file into a top-level module of the same or a higher rank, not allowed.
fn rank_breaches(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let rank = |m: &str| RANKS.iter().find(|(n, _)| *n == m).map(|(_, r)| *r);
    let mut breaches = Vec::new();
    for (file, used) in graph {
        for target in used {
            let (from, to) = (top(file), top(target));
            if from == to
                || ALLOWED
                    .iter()
                    .any(|(f, t, _)| *f == file.as_str() && *t == to)
            {
                continue;
            }
            match (rank(from), rank(to)) {
                (Some(a), Some(b)) if b < a => {}
                (Some(a), Some(b)) => breaches.push(format!(
                    "{file} (layer {a}) imports {target} (layer {b}, not below it)"
                )),
                _ => breaches.push(format!(
                    "{file} imports {target}: give every top-level module a rank in RANKS"
                )),
            }
        }
    }
    breaches
}

#[test]
fn no_file_imports_from_a_file_that_imports_it() {
    let graph = Tree::read(&repo().join("src")).graph();
    assert!(graph.len() > 50, "{graph:?}");
    // The scan sees `use crate::`, `super::` and a `mod.rs`'s re-exports.
    assert!(
        graph["session"].contains("run::exec"),
        "{:?}",
        graph["session"]
    );
    assert!(
        graph["session::finish"].contains("gate"),
        "{:?}",
        graph["session::finish"]
    );
    let found: Vec<String> = cycles(&graph).iter().map(|c| c.join(" <-> ")).collect();
    assert!(
        found.is_empty(),
        "import cycles between files:\n{}",
        found.join("\n")
    );
}

#[test]
fn every_module_imports_only_from_the_layers_below_it() {
    let graph = Tree::read(&repo().join("src")).graph();
    for m in graph.keys().map(|m| top(m)) {
        assert!(
            RANKS.iter().any(|(n, _)| *n == m),
            "`{m}` has no rank in RANKS"
        );
    }
    let breaches = rank_breaches(&graph);
    assert!(breaches.is_empty(), "{}", breaches.join("\n"));
    for (file, to, why) in ALLOWED {
        assert!(
            graph
                .get(*file)
                .is_some_and(|u| u.iter().any(|t| top(t) == *to)),
            "ALLOWED lets {file} import {to} ({why}), and it no longer does: remove the line"
        );
    }
}

/// The checks themselves find what they are for, in a small tree written here.
#[test]
fn a_planted_cycle_or_a_reach_upwards_is_found() {
    let tree = |files: &[(&str, bool, &str)]| {
        Tree::from_files(
            files
                .iter()
                .map(|(m, d, s)| (m.to_string(), (*d, s.to_string())))
                .collect(),
        )
        .graph()
    };
    let graph = tree(&[
        (
            "run",
            true,
            "mod agent;\nmod exec;\npub use exec::execute;\n",
        ),
        ("run::agent", false, "use super::exec::Options;\n"),
        ("run::exec", false, "fn f() { crate::run::agent::go() }\n"),
        ("score", false, "use crate::run::execute;\n"),
    ]);
    assert_eq!(cycles(&graph), [vec!["run::agent", "run::exec"]]);
    // The re-export leads to the file that defines the name; `mod.rs` imports nothing by it.
    assert_eq!(graph["score"], BTreeSet::from(["run::exec".to_owned()]));
    assert!(graph["run"].is_empty(), "{:?}", graph["run"]);
    assert_eq!(
        rank_breaches(&graph),
        ["score (layer 5) imports run::exec (layer 6, not below it)"]
    );
    // Test code is not the layers' business.
    let graph = tree(&[
        (
            "report",
            true,
            "#[cfg(test)]\nmod fixtures;\npub fn f() {}\n#[cfg(test)]\nmod tests { use crate::run::x; }\n",
        ),
        ("report::fixtures", false, "use crate::session::y;\n"),
    ]);
    assert_eq!(graph.len(), 1, "{graph:?}");
    assert!(graph["report"].is_empty());
}

#[test]
fn use_trees_expand_into_their_paths() {
    let paths: Vec<String> = expand("crate::a::{b, c::{d, e as f}, self}")
        .into_iter()
        .map(|p| p.join("::"))
        .collect();
    assert_eq!(
        paths,
        [
            "crate::a::b",
            "crate::a::c::d",
            "crate::a::c::e",
            "crate::a::self"
        ]
    );
}
