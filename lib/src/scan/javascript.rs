//! JavaScript and TypeScript through the tree-sitter grammars.
//!
//! Module aliases are followed within a file (`const cp = require('child_' + 'process')`,
//! `const {exec: run} = require('child_process')`, `import * as cp from 'node:child_process'`),
//! member access by computed constant (`m['ex' + 'ec'](…)`) is resolved, and strings are folded,
//! so `child_process.exec` is found however it is spelled.

use tree_sitter::Node;

use super::ast::Source;
use super::flow::{self, Arg, Expr, Stmt, unescape};
use super::knowledge;
use super::rules;
use super::shell;
use super::sink::Sink;
use super::text;

/// Which grammar to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    JavaScript,
    TypeScript,
    Tsx,
}

const EXEC_CALLS: &[&str] = &[
    "child_process.exec",
    "child_process.execSync",
    "child_process.spawn",
    "child_process.spawnSync",
    "child_process.execFile",
    "child_process.execFileSync",
    "child_process.fork",
    "shelljs.exec",
    "Bun.spawn",
    "Bun.spawnSync",
    "Deno.run",
    "Deno.Command",
    "execa",
    "execa.execa",
    "execa.command",
];
const SHELL_STRING_CALLS: &[&str] = &[
    "child_process.exec",
    "child_process.execSync",
    "shelljs.exec",
    "execa.command",
];
const NETWORK_CALLS: &[&str] = &[
    "fetch",
    "axios",
    "axios.get",
    "axios.post",
    "axios.put",
    "axios.patch",
    "axios.delete",
    "axios.request",
    "http.get",
    "http.request",
    "https.get",
    "https.request",
    "got",
    "got.get",
    "got.post",
    "node-fetch",
    "request",
    "needle",
    "superagent.get",
    "superagent.post",
    "WebSocket",
    "ws",
    "net.connect",
    "net.createConnection",
    "tls.connect",
    "undici.fetch",
    "undici.request",
    "ky",
    "ky.get",
    "ky.post",
];
const DYNAMIC_CALLS: &[&str] = &[
    "eval",
    "Function",
    "vm.runInNewContext",
    "vm.runInThisContext",
    "vm.runInContext",
    "vm.Script",
    "vm.compileFunction",
];
const DECODE_CALLS: &[&str] = &[
    "atob",
    "Buffer.from",
    "String.fromCharCode",
    "decodeURIComponent",
    "unescape",
    "zlib.inflateSync",
    "zlib.gunzipSync",
];

/// Requests a page's script can make besides [`NETWORK_CALLS`]: an image or beacon is enough
/// to carry data out.
const BROWSER_NETWORK_CALLS: &[&str] = &[
    "XMLHttpRequest",
    "navigator.sendBeacon",
    "Image",
    "EventSource",
    "window.fetch",
];
/// What a page's script can steal: cookies and web storage.
const BROWSER_STORES: &[&str] = &[
    "document.cookie",
    "localStorage",
    "sessionStorage",
    "indexedDB",
    "window.localStorage",
    "window.sessionStorage",
    "window.indexedDB",
];

/// Scans JS/TS `source` at byte `base` of the sink's file; returns whether it parsed only partly.
pub(crate) fn scan(source: &str, base: usize, dialect: Dialect, sink: &mut Sink) -> bool {
    scan_with(source, base, dialect, false, sink)
}

/// Scans script that a browser runs (inside an SVG): cookies and web storage count as secrets
/// and images and beacons as requests.
pub(crate) fn scan_browser_script(source: &str, base: usize, sink: &mut Sink) -> bool {
    scan_with(source, base, Dialect::JavaScript, true, sink)
}

fn scan_with(source: &str, base: usize, dialect: Dialect, browser: bool, sink: &mut Sink) -> bool {
    if source.len() > shell::MAX_PARSE_BYTES {
        return true;
    }
    let grammar = match dialect {
        Dialect::JavaScript => super::Grammar::JavaScript,
        Dialect::TypeScript => super::Grammar::TypeScript,
        Dialect::Tsx => super::Grammar::Tsx,
    };
    let Some(tree) = super::parse(grammar, source) else {
        return true;
    };
    let root = tree.root_node();
    let mut js = Js {
        source: Source::new(source, base),
        browser,
    };
    js.collect_bindings(root);
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        match node.kind() {
            "call_expression" | "new_expression" => js.call(node, sink),
            "member_expression" | "subscript_expression" => {
                js.env_access(node, sink);
                js.browser_store(node, sink);
            }
            "identifier" => js.browser_store(node, sink),
            "variable_declarator" => js.env_destructuring(node, sink),
            "string" | "template_string" => js.string(node, sink),
            _ => {}
        }
        let mut cursor = node.walk();
        let children: Vec<Node> = node.named_children(&mut cursor).collect();
        stack.extend(children.into_iter().rev());
    }
    // After the walk, which notes whether the file uses the network.
    if flow::worth_following(source, sink) {
        let lowered = Lower {
            source: &js.source,
            depth: 0,
        }
        .block(root);
        flow::run(flow::Lang::JavaScript, &lowered, sink);
    }
    root.has_error()
}

struct Js<'s> {
    source: Source<'s>,
    /// Script a browser runs (see [`scan_browser_script`]).
    browser: bool,
}

fn module_name(spec: &str) -> String {
    spec.trim_start_matches("node:").to_owned()
}

impl<'s> std::ops::Deref for Js<'s> {
    type Target = Source<'s>;

    fn deref(&self) -> &Source<'s> {
        &self.source
    }
}

impl Js<'_> {
    fn collect_bindings(&mut self, root: Node) {
        let mut stack = vec![root];
        while let Some(node) = stack.pop() {
            match node.kind() {
                "variable_declarator" => {
                    if let (Some(name), Some(value)) = (
                        node.child_by_field_name("name"),
                        node.child_by_field_name("value"),
                    ) {
                        let target = self.module_of(value).or_else(|| {
                            self.qualified(value)
                                .filter(|q| q.contains('.') || self.source.aliases.contains_key(q))
                        });
                        match (name.kind(), target) {
                            ("identifier", Some(module)) => {
                                self.source
                                    .aliases
                                    .insert(self.text(name).to_owned(), module);
                            }
                            ("object_pattern", Some(module)) => self.destructure(name, &module),
                            ("identifier", None) => {
                                if let Some(value) = self.literal(value) {
                                    self.source
                                        .constants
                                        .insert(self.text(name).to_owned(), value);
                                }
                            }
                            _ => {}
                        }
                    }
                }
                "import_statement" => {
                    let module = node
                        .child_by_field_name("source")
                        .and_then(|s| self.literal(s))
                        .map(|s| module_name(&s));
                    if let Some(module) = module {
                        let mut s = vec![node];
                        while let Some(n) = s.pop() {
                            match n.kind() {
                                "import_clause" => {
                                    let mut c = n.walk();
                                    for child in n.named_children(&mut c) {
                                        if child.kind() == "identifier" {
                                            self.source.aliases.insert(
                                                self.text(child).to_owned(),
                                                module.clone(),
                                            );
                                        }
                                    }
                                }
                                "namespace_import" => {
                                    let mut c = n.walk();
                                    if let Some(id) =
                                        n.named_children(&mut c).find(|c| c.kind() == "identifier")
                                    {
                                        self.source
                                            .aliases
                                            .insert(self.text(id).to_owned(), module.clone());
                                    }
                                }
                                "import_specifier" => {
                                    let name = n
                                        .child_by_field_name("name")
                                        .map(|x| self.text(x).to_owned())
                                        .unwrap_or_default();
                                    let alias = n
                                        .child_by_field_name("alias")
                                        .map(|x| self.text(x).to_owned())
                                        .unwrap_or_else(|| name.clone());
                                    self.source
                                        .aliases
                                        .insert(alias, format!("{module}.{name}"));
                                }
                                _ => {}
                            }
                            let mut c = n.walk();
                            s.extend(n.named_children(&mut c));
                        }
                    }
                }
                _ => {}
            }
            let mut cursor = node.walk();
            stack.extend(node.named_children(&mut cursor));
        }
    }

    fn destructure(&mut self, pattern: Node, module: &str) {
        let mut cursor = pattern.walk();
        for prop in pattern.named_children(&mut cursor) {
            match prop.kind() {
                "shorthand_property_identifier_pattern" => {
                    let name = self.text(prop).to_owned();
                    self.source
                        .aliases
                        .insert(name.clone(), format!("{module}.{name}"));
                }
                "pair_pattern" => {
                    if let (Some(key), Some(value)) = (
                        prop.child_by_field_name("key"),
                        prop.child_by_field_name("value"),
                    ) {
                        let key = self
                            .literal(key)
                            .unwrap_or_else(|| self.text(key).to_owned());
                        self.source
                            .aliases
                            .insert(self.text(value).to_owned(), format!("{module}.{key}"));
                    }
                }
                _ => {}
            }
        }
    }

    /// `require('x')`, `await import('x')` with a constant name.
    fn module_of(&self, node: Node) -> Option<String> {
        self.guarded(|| self.module_of_inner(node))
    }

    fn module_of_inner(&self, node: Node) -> Option<String> {
        let node = if node.kind() == "await_expression" {
            node.named_child(0)?
        } else {
            node
        };
        if node.kind() != "call_expression" {
            return None;
        }
        let function = node.child_by_field_name("function")?;
        let name = self.text(function);
        if name == "require" || name == "import" || function.kind() == "import" {
            let first = node.child_by_field_name("arguments")?.named_child(0)?;
            return self.literal(first).map(|m| module_name(&m));
        }
        None
    }

    fn literal(&self, node: Node) -> Option<String> {
        self.guarded(|| self.literal_inner(node))
    }

    fn literal_inner(&self, node: Node) -> Option<String> {
        match node.kind() {
            "string" => {
                let mut cursor = node.walk();
                let mut out = String::new();
                for child in node.named_children(&mut cursor) {
                    match child.kind() {
                        "string_fragment" => out.push_str(self.text(child)),
                        "escape_sequence" => out.push_str(&unescape(self.text(child))),
                        _ => return None,
                    }
                }
                Some(out)
            }
            "template_string" => {
                let mut cursor = node.walk();
                let mut out = String::new();
                for child in node.named_children(&mut cursor) {
                    match child.kind() {
                        "string_fragment" => out.push_str(self.text(child)),
                        "escape_sequence" => out.push_str(&unescape(self.text(child))),
                        _ => return None,
                    }
                }
                if node.named_child_count() == 0 {
                    return Some(self.text(node).trim_matches('`').to_owned());
                }
                Some(out)
            }
            "binary_expression" => {
                let op = node.child_by_field_name("operator").map(|o| self.text(o))?;
                if op != "+" {
                    return None;
                }
                Some(
                    self.literal(node.child_by_field_name("left")?)?
                        + &self.literal(node.child_by_field_name("right")?)?,
                )
            }
            "parenthesized_expression" => self.literal(node.named_child(0)?),
            "identifier" => self.source.constants.get(self.text(node)).cloned(),
            "call_expression" => {
                let function = node.child_by_field_name("function")?;
                // atob('…') and Buffer.from('…', 'base64').toString(): decoded, as text.
                if let Some(decoded) = self.decoded_literal(node) {
                    return Some(decoded);
                }
                // ['ex', 'ec'].join('')
                if function.kind() == "member_expression"
                    && self.text(function.child_by_field_name("property")?) == "join"
                {
                    let array = function.child_by_field_name("object")?;
                    if array.kind() == "array" {
                        let sep = node
                            .child_by_field_name("arguments")?
                            .named_child(0)
                            .and_then(|s| self.literal(s))
                            .unwrap_or_else(|| ",".into());
                        let mut cursor = array.walk();
                        let parts: Option<Vec<String>> = array
                            .named_children(&mut cursor)
                            .map(|p| self.literal(p))
                            .collect();
                        return parts.map(|p| p.join(&sep));
                    }
                }
                None
            }
            _ => None,
        }
    }

    /// The text a constant base64 string decodes to through `atob` or `Buffer.from(…,
    /// 'base64').toString()`, when it is UTF-8.
    fn decoded_literal(&self, node: Node) -> Option<String> {
        let function = node.child_by_field_name("function")?;
        let args = node.child_by_field_name("arguments")?;
        let blob = match self.text(function) {
            "atob" | "window.atob" => self.literal(args.named_child(0)?)?,
            _ if function.kind() == "member_expression"
                && self.text(function.child_by_field_name("property")?) == "toString" =>
            {
                let inner = function.child_by_field_name("object")?;
                if inner.kind() != "call_expression"
                    || self.text(inner.child_by_field_name("function")?) != "Buffer.from"
                {
                    return None;
                }
                let inner_args = inner.child_by_field_name("arguments")?;
                if self.literal(inner_args.named_child(1)?)? != "base64" {
                    return None;
                }
                self.literal(inner_args.named_child(0)?)?
            }
            _ => return None,
        };
        text::decode_base64_text(&blob)
    }

    fn literal_prefix(&self, node: Node) -> Option<String> {
        self.guarded(|| self.literal_prefix_inner(node))
    }

    fn literal_prefix_inner(&self, node: Node) -> Option<String> {
        if let Some(full) = self.literal(node) {
            return Some(full);
        }
        match node.kind() {
            "binary_expression" => self.literal_prefix(node.child_by_field_name("left")?),
            "template_string" => {
                let mut cursor = node.walk();
                let mut out = String::new();
                for child in node.named_children(&mut cursor) {
                    match child.kind() {
                        "string_fragment" => out.push_str(self.text(child)),
                        _ => break,
                    }
                }
                (!out.is_empty()).then_some(out)
            }
            "new_expression" => {
                self.literal_prefix(node.child_by_field_name("arguments")?.named_child(0)?)
            }
            _ => None,
        }
    }

    fn qualified(&self, node: Node) -> Option<String> {
        self.guarded(|| self.qualified_inner(node))
    }

    fn qualified_inner(&self, node: Node) -> Option<String> {
        match node.kind() {
            "identifier" => Some(self.resolve(self.text(node))),
            "member_expression" => {
                let object = self.qualified(node.child_by_field_name("object")?)?;
                let property = self.text(node.child_by_field_name("property")?);
                Some(format!("{object}.{property}"))
            }
            "subscript_expression" => {
                let object = self.qualified(node.child_by_field_name("object")?)?;
                let key = self.literal(node.child_by_field_name("index")?)?;
                Some(format!("{object}.{key}"))
            }
            "call_expression" | "await_expression" => self.module_of(node),
            "parenthesized_expression" => self.qualified(node.named_child(0)?),
            _ => None,
        }
    }

    fn call(&self, node: Node, sink: &mut Sink) {
        let callee = node
            .child_by_field_name("function")
            .or_else(|| node.child_by_field_name("constructor"));
        let Some(name) = callee.and_then(|c| self.qualified(c)) else {
            return;
        };
        let args: Vec<Node> = node
            .child_by_field_name("arguments")
            .map(|a| {
                let mut cursor = a.walk();
                a.named_children(&mut cursor).collect()
            })
            .unwrap_or_default();
        let at = self.at(node);
        let name = name.as_str();
        let first = args.first().copied();

        if EXEC_CALLS.contains(&name) {
            match first.and_then(|f| self.literal(f)) {
                Some(command) if SHELL_STRING_CALLS.contains(&name) => {
                    sink.with_origin(at, |sink| {
                        shell::scan(&command, 0, sink, 1);
                    });
                }
                Some(program) => {
                    let mut words = vec![program];
                    if let Some(list) = args.get(1).filter(|a| a.kind() == "array") {
                        let mut cursor = list.walk();
                        words.extend(
                            list.named_children(&mut cursor)
                                .map(|i| self.literal(i).unwrap_or_else(|| "\"$ARG\"".into())),
                        );
                    }
                    let command = words
                        .iter()
                        .map(|w| format!("'{}'", w.replace('\'', "'\\''")))
                        .collect::<Vec<_>>()
                        .join(" ");
                    sink.with_origin(at, |sink| {
                        shell::scan(&command, 0, sink, 1);
                    });
                }
                None => sink.emit(
                    rules::EXEC_COMPUTED_SHELL,
                    at,
                    format!("{name} runs a command built at run time"),
                    Some("*".into()),
                ),
            }
        }
        let dynamic = DYNAMIC_CALLS.contains(&name)
            || (name == "setTimeout" || name == "setInterval")
                && first.is_some_and(|f| f.kind() == "string");
        if dynamic {
            let all_args: Vec<Node> = args.clone();
            if all_args
                .iter()
                .any(|a| self.contains_call(*a, NETWORK_CALLS))
            {
                sink.emit(
                    rules::EXEC_REMOTE_CODE,
                    at,
                    format!("{name} runs code downloaded over the network"),
                    None,
                );
            } else if all_args
                .iter()
                .any(|a| self.contains_call(*a, DECODE_CALLS))
            {
                sink.emit(
                    rules::EXEC_DECODE_AND_RUN,
                    at,
                    format!("{name} runs decoded data"),
                    None,
                );
            } else if !(name == "eval" && first.is_some_and(|f| self.literal(f).is_some())) {
                sink.emit(
                    rules::DYNAMIC_CODE,
                    at,
                    format!("{name} evaluates code built at run time"),
                    None,
                );
            }
        }
        if NETWORK_CALLS.contains(&name) || (self.browser && BROWSER_NETWORK_CALLS.contains(&name))
        {
            sink.note_network();
            let host = first
                .and_then(|u| self.literal_prefix(u))
                .and_then(|p| knowledge::host_of(&p));
            let value = host.unwrap_or_else(|| "*".into());
            sink.emit(
                rules::USES_NETWORK,
                at,
                format!("{name} connects to {value}"),
                Some(value),
            );
            for arg in &args {
                if self.mentions_whole_env(*arg) {
                    sink.emit(
                        rules::ENV_DUMP,
                        self.at(*arg),
                        "sends the whole environment over the network",
                        Some("*".into()),
                    );
                    sink.note_env_dump(self.at(*arg));
                }
            }
        }
        if matches!(
            name,
            "JSON.stringify" | "console.log" | "Object.entries" | "Object.keys"
        ) && first.is_some_and(|f| self.is_process_env(f))
        {
            sink.emit(
                rules::ENV_DUMP,
                at,
                format!("{name} serializes the whole environment"),
                Some("*".into()),
            );
            sink.note_env_dump(at);
        }
        if name == "String.fromCharCode" {
            let codes: Option<Vec<u32>> = args.iter().map(|a| self.text(*a).parse().ok()).collect();
            if let Some(codes) = codes {
                text::scan_char_codes(&codes, at, sink);
            }
        }
        if matches!(name, "atob" | "Buffer.from")
            && let Some(blob) = first.and_then(|f| self.literal(f))
        {
            text::scan_blob(&blob, at, sink);
        }
        if matches!(name, "Deno.env.get")
            && let Some(var) = first.and_then(|f| self.literal(f))
        {
            sink.emit(rules::USES_ENV, at, format!("reads ${var}"), Some(var));
        }
        if name.starts_with("fs.")
            || name.starts_with("fs/promises.")
            || name.starts_with("fs.promises.")
        {
            let op = name.rsplit('.').next().unwrap_or("");
            if let Some(path) = first.and_then(|f| self.path_value(f)) {
                if op.starts_with("write")
                    || op.starts_with("append")
                    || op == "createWriteStream"
                    || op.starts_with("copyFile")
                    || op == "symlink"
                {
                    text::report_write(&path, at, None, sink);
                } else if op.starts_with("read") || op == "createReadStream" {
                    text::report_read(&path, at, sink);
                }
            }
        }
        if matches!(name, "path.join" | "path.resolve") {
            let parts: Option<Vec<String>> = args.iter().map(|a| self.path_value(*a)).collect();
            if let Some(joined) = parts.map(|p| p.join("/"))
                && let Some(hit) = knowledge::sensitive_path(&joined)
            {
                sink.emit(
                    rules::CRED_SENSITIVE_PATH,
                    at,
                    format!("builds the path of {hit}"),
                    Some(joined),
                );
                sink.note_credential(at);
            }
        }
        if matches!(
            name,
            "process.dlopen" | "ffi-napi.Library" | "ffi.Library" | "koffi.load"
        ) || (name == "require"
            && first
                .and_then(|f| self.literal(f))
                .is_some_and(|m| m.ends_with(".node")))
        {
            sink.emit(
                rules::NATIVE_CODE,
                at,
                format!("{name} loads native code"),
                None,
            );
        }
    }

    fn path_value(&self, node: Node) -> Option<String> {
        self.guarded(|| self.path_value_inner(node))
    }

    fn path_value_inner(&self, node: Node) -> Option<String> {
        if let Some(text) = self.literal(node) {
            return Some(text);
        }
        match node.kind() {
            "call_expression" => {
                let name = self.qualified(node.child_by_field_name("function")?)?;
                match name.as_str() {
                    "os.homedir" => Some("~".into()),
                    "path.join" | "path.resolve" => {
                        let args = node.child_by_field_name("arguments")?;
                        let mut cursor = args.walk();
                        let parts: Option<Vec<String>> = args
                            .named_children(&mut cursor)
                            .map(|a| self.path_value(a))
                            .collect();
                        parts.map(|p| p.join("/"))
                    }
                    _ => None,
                }
            }
            "member_expression" if self.text(node) == "process.env.HOME" => Some("~".into()),
            // `${os.homedir()}/.ssh/id_rsa`
            "template_string" => {
                let mut cursor = node.walk();
                let mut out = String::new();
                for child in node.named_children(&mut cursor) {
                    match child.kind() {
                        "string_fragment" => out.push_str(self.text(child)),
                        "template_substitution" => {
                            out.push_str(&self.path_value(child.named_child(0)?)?)
                        }
                        _ => return None,
                    }
                }
                Some(out)
            }
            // os.homedir() + "/.ssh/id_rsa"
            "binary_expression"
                if node.child_by_field_name("operator").map(|o| self.text(o)) == Some("+") =>
            {
                Some(
                    self.path_value(node.child_by_field_name("left")?)?
                        + &self.path_value(node.child_by_field_name("right")?)?,
                )
            }
            _ => None,
        }
    }

    fn contains_call(&self, node: Node, names: &[&str]) -> bool {
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            if matches!(n.kind(), "call_expression" | "new_expression")
                && let Some(f) = n
                    .child_by_field_name("function")
                    .or_else(|| n.child_by_field_name("constructor"))
                    .and_then(|f| self.qualified(f))
                && names.contains(&f.as_str())
            {
                return true;
            }
            let mut cursor = n.walk();
            stack.extend(n.named_children(&mut cursor));
        }
        false
    }

    fn is_process_env(&self, node: Node) -> bool {
        matches!(
            self.text(node),
            "process.env" | "Deno.env.toObject()" | "Bun.env"
        ) || (node.kind() == "object" && self.text(node).contains("...process.env"))
    }

    fn mentions_whole_env(&self, node: Node) -> bool {
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            if n.kind() == "member_expression" && self.text(n) == "process.env" {
                let parent_reads_one = n.parent().is_some_and(|p| {
                    matches!(p.kind(), "member_expression" | "subscript_expression")
                        && p.child_by_field_name("object") == Some(n)
                });
                if !parent_reads_one {
                    return true;
                }
            }
            let mut cursor = n.walk();
            stack.extend(n.named_children(&mut cursor));
        }
        false
    }

    /// Cookies and web storage read by a browser script.
    fn browser_store(&self, node: Node, sink: &mut Sink) {
        if !self.browser {
            return;
        }
        // `localStorage.getItem` is reported once, at `localStorage`.
        if node.kind() == "identifier"
            && node.parent().is_some_and(|p| {
                p.kind() == "member_expression" && p.child_by_field_name("property") == Some(node)
            })
        {
            return;
        }
        let Some(name) = self.qualified(node) else {
            return;
        };
        if BROWSER_STORES.contains(&name.as_str()) {
            sink.emit(
                rules::CRED_SENSITIVE_PATH,
                self.at(node),
                format!("reads {name}"),
                Some(name),
            );
            sink.note_credential(self.at(node));
        }
    }

    /// `process.env.X` and `process.env['X']`.
    fn env_access(&self, node: Node, sink: &mut Sink) {
        let Some(object) = node.child_by_field_name("object") else {
            return;
        };
        if !matches!(
            self.text(object),
            "process.env" | "Bun.env" | "import.meta.env"
        ) {
            return;
        }
        let var = match node.kind() {
            "member_expression" => node
                .child_by_field_name("property")
                .map(|p| self.text(p).to_owned()),
            _ => node
                .child_by_field_name("index")
                .and_then(|i| self.literal(i)),
        };
        if let Some(var) = var.filter(|v| !v.is_empty()) {
            sink.emit(
                rules::USES_ENV,
                self.at(node),
                format!("reads ${var}"),
                Some(var),
            );
        }
    }

    /// `const { TOKEN, HOST: host } = process.env`.
    fn env_destructuring(&self, node: Node, sink: &mut Sink) {
        let (Some(name), Some(value)) = (
            node.child_by_field_name("name"),
            node.child_by_field_name("value"),
        ) else {
            return;
        };
        if name.kind() != "object_pattern" || self.text(value) != "process.env" {
            return;
        }
        let mut cursor = name.walk();
        for prop in name.named_children(&mut cursor) {
            let key = match prop.kind() {
                "shorthand_property_identifier_pattern" => Some(self.text(prop).to_owned()),
                "pair_pattern" => prop
                    .child_by_field_name("key")
                    .map(|k| self.text(k).to_owned()),
                _ => None,
            };
            if let Some(var) = key {
                sink.emit(
                    rules::USES_ENV,
                    self.at(prop),
                    format!("reads ${var}"),
                    Some(var),
                );
            }
        }
    }

    fn string(&self, node: Node, sink: &mut Sink) {
        let Some(value) = self.literal(node) else {
            return;
        };
        text::scan_code_string(&value, self.at(node), sink);
    }
}

/// JavaScript/TypeScript lowered into the statement form of [`flow`], for the data-flow
/// interpreter.
struct Lower<'a, 's> {
    source: &'a Source<'s>,
    depth: u32,
}

impl Lower<'_, '_> {
    fn block(&mut self, node: Node) -> Vec<Stmt> {
        let mut out = Vec::new();
        if self.depth >= flow::MAX_EXPR_DEPTH {
            return out;
        }
        self.depth += 1;
        let mut cursor = node.walk();
        let children: Vec<Node> = node.named_children(&mut cursor).collect();
        for child in children {
            self.statement(child, &mut out);
        }
        self.depth -= 1;
        out
    }

    fn text(&self, node: Node) -> String {
        self.source.text(node).to_owned()
    }

    fn statement(&mut self, node: Node, out: &mut Vec<Stmt>) {
        let field = |name: &str| node.child_by_field_name(name);
        match node.kind() {
            "expression_statement" | "export_statement" => {
                let mut cursor = node.walk();
                let children: Vec<Node> = node.named_children(&mut cursor).collect();
                for child in children {
                    self.statement(child, out);
                }
            }
            "lexical_declaration" | "variable_declaration" => {
                let mut cursor = node.walk();
                let children: Vec<Node> = node.named_children(&mut cursor).collect();
                for declarator in children {
                    if declarator.kind() != "variable_declarator" {
                        continue;
                    }
                    let Some(name) = declarator.child_by_field_name("name") else {
                        continue;
                    };
                    let value = declarator.child_by_field_name("value");
                    if let (Some(value), "identifier") = (value, name.kind())
                        && matches!(
                            value.kind(),
                            "arrow_function" | "function_expression" | "function"
                        )
                    {
                        out.push(Stmt::Def(self.function(self.text(name), value)));
                        continue;
                    }
                    let value = value.map_or(Expr::Other, |v| self.expr(v));
                    self.bind(name, value, out);
                }
            }
            "assignment_expression" => {
                let (Some(left), Some(right)) = (field("left"), field("right")) else {
                    return;
                };
                let value = self.expr(right);
                self.bind(left, value, out);
            }
            "augmented_assignment_expression" => {
                let (Some(left), Some(right)) = (field("left"), field("right")) else {
                    return;
                };
                let value = self.expr(right);
                match left.kind() {
                    "identifier" => out.push(Stmt::Update(self.text(left), value)),
                    _ => self.bind(left, value, out),
                }
            }
            "import_statement" => self.import(node, out),
            "for_in_statement" => {
                let vars = field("left").map(|l| self.names(l)).unwrap_or_default();
                let iter = field("right").map_or(Expr::Other, |r| self.expr(r));
                let body = field("body").map(|b| self.block_of(b)).unwrap_or_default();
                out.push(Stmt::Loop { vars, iter, body });
            }
            "for_statement" | "while_statement" | "do_statement" => {
                let mut body = Vec::new();
                for name in ["initializer", "condition", "increment"] {
                    if let Some(part) = field(name) {
                        self.statement(part, &mut body);
                    }
                }
                body.extend(field("body").map(|b| self.block_of(b)).unwrap_or_default());
                out.push(Stmt::Loop {
                    vars: Vec::new(),
                    iter: Expr::Other,
                    body,
                });
            }
            "if_statement" => {
                if let Some(condition) = field("condition") {
                    out.push(Stmt::Eval(self.expr(condition)));
                }
                let mut arms = Vec::new();
                for name in ["consequence", "alternative"] {
                    if let Some(arm) = field(name) {
                        arms.push(self.block_of(arm));
                    }
                }
                out.push(Stmt::Branch(arms));
            }
            "statement_block" | "else_clause" | "try_statement" | "catch_clause"
            | "finally_clause" | "switch_statement" | "switch_body" | "switch_case"
            | "switch_default" | "class_declaration" | "class_body" | "labeled_statement" => {
                out.push(Stmt::Branch(vec![self.block(node)]));
            }
            "function_declaration" | "generator_function_declaration" | "method_definition" => {
                if let Some(name) = field("name") {
                    let function = self.function(self.text(name), node);
                    out.push(Stmt::Def(function));
                }
            }
            "return_statement" => {
                let value = node.named_child(0).map_or(Expr::Other, |v| self.expr(v));
                out.push(Stmt::Return(value));
            }
            "comment"
            | "empty_statement"
            | "break_statement"
            | "continue_statement"
            | "debugger_statement"
            | "type_alias_declaration"
            | "interface_declaration" => {}
            _ => out.push(Stmt::Eval(self.expr(node))),
        }
    }

    /// A statement or block as a statement list.
    fn block_of(&mut self, node: Node) -> Vec<Stmt> {
        if node.kind() == "statement_block" {
            return self.block(node);
        }
        let mut out = Vec::new();
        if self.depth < flow::MAX_EXPR_DEPTH {
            self.depth += 1;
            self.statement(node, &mut out);
            self.depth -= 1;
        }
        out
    }

    fn function(&mut self, name: String, node: Node) -> std::rc::Rc<flow::Function> {
        let params = match node
            .child_by_field_name("parameters")
            .or_else(|| node.child_by_field_name("parameter"))
        {
            Some(p) if p.kind() == "identifier" => vec![self.text(p)],
            Some(p) => {
                let mut cursor = p.walk();
                let children: Vec<Node> = p.named_children(&mut cursor).collect();
                children
                    .into_iter()
                    .map(|param| {
                        let mut n = param;
                        // `x: string`, `x = 1`, `...x`: the identifier inside.
                        while n.kind() != "identifier" {
                            match n
                                .child_by_field_name("pattern")
                                .or_else(|| n.child_by_field_name("left"))
                                .or_else(|| n.named_child(0))
                            {
                                Some(inner) => n = inner,
                                None => break,
                            }
                        }
                        self.text(n)
                    })
                    .collect()
            }
            None => Vec::new(),
        };
        let body = match node.child_by_field_name("body") {
            Some(b) if b.kind() == "statement_block" => self.block(b),
            Some(b) => vec![Stmt::Return(self.expr(b))],
            None => Vec::new(),
        };
        std::rc::Rc::new(flow::Function { name, params, body })
    }

    fn bind(&mut self, target: Node, value: Expr, out: &mut Vec<Stmt>) {
        match target.kind() {
            "identifier" => out.push(Stmt::Let(self.text(target), value)),
            "member_expression" | "subscript_expression" => {
                let mut base = target;
                while let Some(inner) = base.child_by_field_name("object") {
                    base = inner;
                }
                if base.kind() == "identifier" {
                    out.push(Stmt::Update(self.text(base), value));
                } else {
                    out.push(Stmt::Eval(value));
                }
            }
            "object_pattern" => {
                let mut cursor = target.walk();
                let children: Vec<Node> = target.named_children(&mut cursor).collect();
                for prop in children {
                    match prop.kind() {
                        "shorthand_property_identifier_pattern" => {
                            let name = self.text(prop);
                            out.push(Stmt::Let(
                                name.clone(),
                                Expr::Attr(Box::new(value.clone()), name),
                            ));
                        }
                        "pair_pattern" => {
                            if let (Some(key), Some(local)) = (
                                prop.child_by_field_name("key"),
                                prop.child_by_field_name("value"),
                            ) && local.kind() == "identifier"
                            {
                                let key = self.text(key).trim_matches(['"', '\'']).to_owned();
                                out.push(Stmt::Let(
                                    self.text(local),
                                    Expr::Attr(Box::new(value.clone()), key),
                                ));
                            }
                        }
                        _ => {
                            for name in self.names(prop) {
                                out.push(Stmt::Let(name, Expr::Opaque(vec![value.clone()])));
                            }
                        }
                    }
                }
            }
            _ => {
                let names = self.names(target);
                if names.is_empty() {
                    out.push(Stmt::Eval(value));
                    return;
                }
                for name in names {
                    out.push(Stmt::Let(name, Expr::Opaque(vec![value.clone()])));
                }
            }
        }
    }

    fn names(&self, node: Node) -> Vec<String> {
        let mut names = Vec::new();
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            if matches!(
                n.kind(),
                "identifier" | "shorthand_property_identifier_pattern"
            ) {
                names.push(self.text(n));
            } else if names.len() < 16 {
                let mut cursor = n.walk();
                stack.extend(n.named_children(&mut cursor));
            }
        }
        names
    }

    fn import(&self, node: Node, out: &mut Vec<Stmt>) {
        let Some(module) = node
            .child_by_field_name("source")
            .map(|s| module_name(self.source.text(s).trim_matches(['"', '\'', '`'])))
        else {
            return;
        };
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            match n.kind() {
                "import_clause" => {
                    let mut c = n.walk();
                    for child in n.named_children(&mut c) {
                        if child.kind() == "identifier" {
                            out.push(Stmt::Let(self.text(child), Expr::Module(module.clone())));
                        }
                    }
                }
                "namespace_import" => {
                    let mut c = n.walk();
                    if let Some(id) = n.named_children(&mut c).find(|c| c.kind() == "identifier") {
                        out.push(Stmt::Let(self.text(id), Expr::Module(module.clone())));
                    }
                }
                "import_specifier" => {
                    let name = n
                        .child_by_field_name("name")
                        .map(|x| self.text(x))
                        .unwrap_or_default();
                    let alias = n
                        .child_by_field_name("alias")
                        .map(|x| self.text(x))
                        .unwrap_or_else(|| name.clone());
                    out.push(Stmt::Let(alias, Expr::Module(format!("{module}.{name}"))));
                }
                _ => {}
            }
            let mut c = n.walk();
            stack.extend(n.named_children(&mut c));
        }
    }

    fn exprs(&mut self, node: Node) -> Vec<Expr> {
        let mut cursor = node.walk();
        let children: Vec<Node> = node.named_children(&mut cursor).collect();
        children.into_iter().map(|c| self.expr(c)).collect()
    }

    fn expr(&mut self, node: Node) -> Expr {
        if self.depth >= flow::MAX_EXPR_DEPTH {
            return Expr::Other;
        }
        self.depth += 1;
        let expr = self.expr_inner(node);
        self.depth -= 1;
        expr
    }

    fn expr_inner(&mut self, node: Node) -> Expr {
        let field = |name: &str| node.child_by_field_name(name);
        let boxed = |this: &mut Self, name: &str| -> Box<Expr> {
            Box::new(field(name).map_or(Expr::Other, |n| this.expr(n)))
        };
        match node.kind() {
            "string" => {
                let mut out = String::new();
                let mut cursor = node.walk();
                for child in node.named_children(&mut cursor) {
                    match child.kind() {
                        "string_fragment" => out.push_str(self.source.text(child)),
                        "escape_sequence" => out.push_str(&unescape(self.source.text(child))),
                        _ => {}
                    }
                }
                Expr::Str(out)
            }
            "template_string" => {
                // The text between substitutions, by byte ranges (fragments are not always
                // nodes of their own).
                let text = self.source.text(node);
                let start = node.start_byte();
                let mut parts = Vec::new();
                let mut at = 1.min(text.len());
                let mut cursor = node.walk();
                let children: Vec<Node> = node.named_children(&mut cursor).collect();
                for child in children {
                    if child.kind() != "template_substitution" {
                        continue;
                    }
                    let from = child.start_byte() - start;
                    if let Some(piece) = text.get(at..from) {
                        parts.push(Expr::Str(piece.to_owned()));
                    }
                    parts.push(child.named_child(0).map_or(Expr::Other, |e| self.expr(e)));
                    at = child.end_byte() - start;
                }
                if let Some(piece) = text.get(at..text.len().saturating_sub(1)) {
                    parts.push(Expr::Str(piece.to_owned()));
                }
                Expr::Concat(parts)
            }
            "number" => flow::parse_int(&self.text(node)).map_or(Expr::Other, Expr::Int),
            "unary_expression" => match (
                field("operator").map(|o| self.text(o)),
                field("argument").map(|a| self.expr(a)),
            ) {
                (Some(op), Some(Expr::Int(n))) if op == "-" => Expr::Int(-n),
                (_, inner) => Expr::Opaque(inner.into_iter().collect()),
            },
            // `f(...codes)`: the array itself (a call of `String.fromCharCode` reads each code).
            "spread_element" => node.named_child(0).map_or(Expr::Other, |c| self.expr(c)),
            "true" | "false" | "null" | "undefined" | "regex" => Expr::Other,
            "identifier" | "this" => Expr::Var(self.text(node)),
            "member_expression" => {
                let property = field("property").map(|p| self.text(p)).unwrap_or_default();
                Expr::Attr(boxed(self, "object"), property)
            }
            "subscript_expression" => Expr::Index(boxed(self, "object"), boxed(self, "index")),
            "call_expression" | "new_expression" => {
                let callee = if node.kind() == "new_expression" {
                    boxed(self, "constructor")
                } else {
                    boxed(self, "function")
                };
                let args = field("arguments")
                    .filter(|a| a.kind() == "arguments")
                    .map(|a| self.exprs(a))
                    .unwrap_or_default()
                    .into_iter()
                    .map(|value| Arg { key: None, value })
                    .collect();
                Expr::Call {
                    callee,
                    args,
                    at: self.source.at(node),
                }
            }
            "binary_expression" => {
                let op = field("operator").map(|o| self.source.text(o)).unwrap_or("");
                let (left, right) = (boxed(self, "left"), boxed(self, "right"));
                match op {
                    "+" => Expr::Concat(vec![*left, *right]),
                    "||" | "??" | "&&" => Expr::Either(vec![*left, *right]),
                    "^" => Expr::Xor(left, right),
                    "%" => Expr::Percent(left, right),
                    _ => Expr::Opaque(vec![*left, *right]),
                }
            }
            "ternary_expression" => Expr::Either(vec![
                *boxed(self, "consequence"),
                *boxed(self, "alternative"),
            ]),
            "parenthesized_expression"
            | "await_expression"
            | "as_expression"
            | "satisfies_expression"
            | "non_null_expression"
            | "type_assertion" => node.named_child(0).map_or(Expr::Other, |c| self.expr(c)),
            "array" => Expr::Build(self.exprs(node).into_iter().map(|e| (None, e)).collect()),
            "object" => {
                let mut entries = Vec::new();
                let mut cursor = node.walk();
                let children: Vec<Node> = node.named_children(&mut cursor).collect();
                for entry in children {
                    match entry.kind() {
                        "pair" => {
                            let key = entry
                                .child_by_field_name("key")
                                .map(|k| self.text(k).trim_matches(['"', '\'']).to_owned());
                            let value = entry
                                .child_by_field_name("value")
                                .map_or(Expr::Other, |v| self.expr(v));
                            entries.push((key, value));
                        }
                        "shorthand_property_identifier" => {
                            entries.push((Some(self.text(entry)), Expr::Var(self.text(entry))))
                        }
                        _ => entries.push((None, self.expr(entry))),
                    }
                }
                Expr::Build(entries)
            }
            "arrow_function" | "function_expression" | "function" => {
                Expr::Function(self.function(String::new(), node))
            }
            _ => Expr::Opaque(self.exprs(node)),
        }
    }
}
