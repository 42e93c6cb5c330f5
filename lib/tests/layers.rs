//! The library's modules only point down: a module may use modules in its own layer or below,
//! never one above, and no two modules use each other (directly or through others).
//!
//! The test reads the `crate::`, `$crate::` and `super::` paths in `lib/src` (outside comments
//! and the `#[cfg(test)] mod tests` at the end of a file) and resolves each to the file module
//! it names. When a new module appears, place it in [`LAYERS`]; when an import points up, the
//! usual fix is to move the item it needs down to where both can see it.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// Layers from the bottom up. A module belongs to the entry that is the longest prefix of its
/// path, so `install::fetch` (plain HTTP fetching, used by `registry`) sits below `install`.
/// Modules within one layer may use each other; cycles among them are caught separately.
const LAYERS: &[&[&str]] = &[
    &["limits", "diagnostic", "fsutil"],
    &["tree"],
    &["permissions"],
    &["skill"],
    &["bundle"],
    &["manifest"],
    &["scan::pyc"],
    &["scan"],
    &["policy"],
    &["signing::keys", "signing::certificate", "signing::envelope"],
    &["sigstore"],
    &["signing"],
    &["trust"],
    &["verify"],
    &["oms"],
    &["pack"],
    &["decision"],
    &["install::fetch", "install::lock"],
    &["registry"],
    &["install"],
    &["openclaw"],
];

/// Cycles that are known and tracked. This list must match exactly: a new cycle fails the
/// test, and so does one of these disappearing without the list being updated.
const KNOWN_CYCLES: &[&[&str]] = &[];

#[test]
fn modules_only_point_down() {
    let graph = ModuleGraph::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let mut problems = Vec::new();
    for module in graph.modules.keys().filter(|m| !m.is_empty()) {
        if layer_of(module).is_none() {
            problems.push(format!(
                "module `{module}` is in no layer: add it to LAYERS in lib/tests/layers.rs"
            ));
        }
    }
    for (from, targets) in &graph.edges {
        for (to, file) in targets {
            if let (Some(from_layer), Some(to_layer)) = (layer_of(from), layer_of(to))
                && to_layer > from_layer
            {
                problems.push(format!(
                    "{file}: `{from}` uses `crate::{to}`, which is in a higher layer"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn no_new_import_cycles() {
    let graph = ModuleGraph::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let found: BTreeSet<Vec<String>> = graph.cycles().into_iter().collect();
    let known: BTreeSet<Vec<String>> = KNOWN_CYCLES
        .iter()
        .map(|cycle| cycle.iter().map(|m| m.to_string()).collect())
        .collect();
    let new: Vec<_> = found.difference(&known).collect();
    let gone: Vec<_> = known.difference(&found).collect();
    assert!(
        new.is_empty(),
        "new import cycles (modules that use each other): {new:?}"
    );
    assert!(
        gone.is_empty(),
        "these known cycles are gone: remove them from KNOWN_CYCLES in lib/tests/layers.rs: {gone:?}"
    );
}

#[test]
fn the_reader_sees_grouped_and_relative_paths() {
    let modules: BTreeSet<String> = ["", "a", "a::b", "c", "c::d"]
        .into_iter()
        .map(String::from)
        .collect();
    let text = "use crate::{a::b::X, c::{d, self}};\nuse super::Y; // crate::c::d in a comment\n\
                fn f() { $crate::c::z(); }\n#[cfg(test)]\nmod tests { use crate::a; }\n";
    let targets = targets_in(text, &["a", "b"], &modules);
    assert_eq!(
        targets,
        ["a", "a::b", "c", "c::d"]
            .into_iter()
            .map(String::from)
            .collect()
    );
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS
        .iter()
        .enumerate()
        .flat_map(|(index, layer)| layer.iter().map(move |entry| (index, *entry)))
        .filter(|(_, entry)| module == *entry || module.starts_with(&format!("{entry}::")))
        .max_by_key(|(_, entry)| entry.len())
        .map(|(index, _)| index)
}

struct ModuleGraph {
    /// Module path (`""` for the crate root) → its file, relative to `lib/src`.
    modules: BTreeMap<String, String>,
    /// Module → the modules it uses, each with the file that uses it.
    edges: BTreeMap<String, BTreeMap<String, String>>,
}

impl ModuleGraph {
    fn read(src: &Path) -> ModuleGraph {
        let mut files = Vec::new();
        collect_rust_files(src, src, &mut files);
        let modules: BTreeMap<String, String> = files
            .iter()
            .map(|relative| (module_path(relative), relative.clone()))
            .collect();
        let names: BTreeSet<String> = modules.keys().cloned().collect();
        let mut edges = BTreeMap::new();
        for (module, relative) in &modules {
            let text = fs::read_to_string(src.join(relative)).unwrap();
            let segments: Vec<&str> = module.split("::").filter(|s| !s.is_empty()).collect();
            let targets: BTreeMap<String, String> = targets_in(&text, &segments, &names)
                .into_iter()
                // The crate root holds only `VERSION` and the `Limits` re-export, and declares
                // every module: it is nobody's layer.
                .filter(|target| !target.is_empty() && target != module)
                .map(|target| (target, format!("lib/src/{relative}")))
                .collect();
            edges.insert(module.clone(), targets);
        }
        ModuleGraph { modules, edges }
    }

    /// Strongly connected components with more than one module, each sorted (Tarjan).
    fn cycles(&self) -> Vec<Vec<String>> {
        struct State<'a> {
            graph: &'a ModuleGraph,
            index: BTreeMap<&'a str, usize>,
            low: BTreeMap<&'a str, usize>,
            stack: Vec<&'a str>,
            on_stack: BTreeSet<&'a str>,
            found: Vec<Vec<String>>,
        }
        fn visit<'a>(state: &mut State<'a>, module: &'a str) {
            let next = state.index.len();
            state.index.insert(module, next);
            state.low.insert(module, next);
            state.stack.push(module);
            state.on_stack.insert(module);
            let graph = state.graph;
            for target in graph.edges.get(module).into_iter().flat_map(|t| t.keys()) {
                let target = target.as_str();
                if !state.index.contains_key(target) {
                    visit(state, target);
                    let low = state.low[module].min(state.low[target]);
                    state.low.insert(module, low);
                } else if state.on_stack.contains(target) {
                    let low = state.low[module].min(state.index[target]);
                    state.low.insert(module, low);
                }
            }
            if state.low[module] == state.index[module] {
                let mut component = Vec::new();
                while let Some(member) = state.stack.pop() {
                    state.on_stack.remove(member);
                    component.push(member.to_string());
                    if member == module {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    state.found.push(component);
                }
            }
        }
        let mut state = State {
            graph: self,
            index: BTreeMap::new(),
            low: BTreeMap::new(),
            stack: Vec::new(),
            on_stack: BTreeSet::new(),
            found: Vec::new(),
        };
        for module in self.modules.keys() {
            if !state.index.contains_key(module.as_str()) {
                visit(&mut state, module);
            }
        }
        state.found
    }
}

fn collect_rust_files(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_rust_files(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path.strip_prefix(root).unwrap();
            out.push(relative.to_string_lossy().replace('\\', "/"));
        }
    }
}

/// `lib.rs` → `""`, `trust/mod.rs` → `trust`, `trust/state.rs` → `trust::state`.
fn module_path(relative: &str) -> String {
    let without = relative.trim_end_matches(".rs");
    let mut segments: Vec<&str> = without.split('/').collect();
    if matches!(segments.last(), Some(&"mod") | Some(&"lib")) {
        segments.pop();
    }
    segments.join("::")
}

/// The modules a file's code names through `crate::`, `$crate::` or `super::` paths.
/// `module` is the file's own module path, split into segments.
fn targets_in(text: &str, module: &[&str], modules: &BTreeSet<String>) -> BTreeSet<String> {
    let code = code_only(text);
    let bytes = code.as_bytes();
    let mut targets = BTreeSet::new();
    let mut at = 0;
    while at < code.len() {
        let rest = &code[at..];
        let (base, start): (Vec<String>, usize) =
            if rest.starts_with("crate::") && (at == 0 || !is_ident(bytes[at - 1])) {
                (Vec::new(), at + "crate::".len())
            } else if rest.starts_with("super::") && (at == 0 || !is_ident(bytes[at - 1])) {
                let mut base: Vec<String> = module.iter().map(|s| s.to_string()).collect();
                let mut start = at;
                while code[start..].starts_with("super::") {
                    base.pop();
                    start += "super::".len();
                }
                (base, start)
            } else {
                at += rest.chars().next().map_or(1, char::len_utf8);
                continue;
            };
        let mut paths = Vec::new();
        let end = read_tree(&code, start, base, &mut paths);
        for path in paths {
            targets.insert(resolve(&path, modules));
        }
        at = end.max(start);
    }
    targets
}

/// Reads `a::b::{c, d::e}` at `start` into full paths, returning where it ended.
fn read_tree(code: &str, start: usize, prefix: Vec<String>, out: &mut Vec<Vec<String>>) -> usize {
    let bytes = code.as_bytes();
    let mut path = prefix;
    let mut at = start;
    loop {
        if bytes.get(at) == Some(&b'{') {
            at += 1;
            loop {
                while bytes
                    .get(at)
                    .is_some_and(|b| b.is_ascii_whitespace() || *b == b',')
                {
                    at += 1;
                }
                match bytes.get(at) {
                    None => return at,
                    Some(b'}') => return at + 1,
                    _ => {}
                }
                let before = at;
                at = read_tree(code, at, path.clone(), out);
                if at == before {
                    at += 1;
                }
            }
        }
        let ident_end = at + bytes[at..].iter().take_while(|b| is_ident(**b)).count();
        if ident_end == at {
            out.push(path);
            return at;
        }
        let ident = &code[at..ident_end];
        if ident != "self" {
            path.push(ident.to_string());
        }
        at = ident_end;
        if code[at..].starts_with("::") {
            at += 2;
        } else {
            out.push(path);
            return at;
        }
    }
}

/// The longest prefix of `path` that is a file module.
fn resolve(path: &[String], modules: &BTreeSet<String>) -> String {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].join("::"))
        .find(|candidate| modules.contains(candidate))
        .unwrap_or_default()
}

/// The file without line comments and without the `#[cfg(test)] mod tests` block that ends it.
fn code_only(text: &str) -> String {
    let mut code = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim() == "#[cfg(test)]"
            && lines
                .peek()
                .is_some_and(|next| next.trim_start().starts_with("mod tests"))
        {
            break;
        }
        let without_comment = match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        };
        code.push_str(without_comment);
        code.push('\n');
    }
    code
}

fn is_ident(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}
