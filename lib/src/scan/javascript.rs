//! JavaScript and TypeScript through the tree-sitter grammars.
//!
//! Module aliases are followed within a file (`const cp = require('child_' + 'process')`,
//! `const {exec: run} = require('child_process')`, `import * as cp from 'node:child_process'`),
//! member access by computed constant (`m['ex' + 'ec'](…)`) is resolved, and strings are folded,
//! so `child_process.exec` is found however it is spelled.

use tree_sitter::Node;

use super::ast::{self, Field, Fold, Source};
use super::flow::{self, Arg, Expr, Lowerer as _, Stmt, unescape};
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
        source: Source::new(source, base, grammar),
        browser,
    };
    // One walk binds names and picks out what the rules look at; the rules run after it, so
    // that they see every constant and alias of the file.
    for node in js.read_tree(root) {
        match js.kind(node) {
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
    }
    // After the walk, which notes whether the file uses the network.
    if flow::worth_following(source, sink) {
        let mut lower = Lower {
            source: &js.source,
            depth: 0,
            deferred: Vec::new(),
        };
        let top = lower.block(root);
        lower.interpret(flow::Lang::JavaScript, &top, sink);
    }
    root.has_error()
}

/// A call as the rules see it.
struct CallSite<'t> {
    /// The callee, resolved through requires and imports (`child_process.exec`).
    name: String,
    at: usize,
    args: Vec<Node<'t>>,
}

impl<'t> CallSite<'t> {
    fn first(&self) -> Option<Node<'t>> {
        self.args.first().copied()
    }
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

impl<'s> Fold<'s> for Js<'s> {
    fn source(&self) -> &Source<'s> {
        &self.source
    }

    fn own_literal(&self, node: Node) -> Option<String> {
        match self.kind(node) {
            "string" => self.fragments(node),
            "template_string" => {
                if node.named_child_count() == 0 {
                    return Some(self.text(node).trim_matches('`').to_owned());
                }
                self.fragments(node)
            }
            "call_expression" => {
                let function = self.field(node, Field::Function)?;
                // atob('…') and Buffer.from('…', 'base64').toString(): decoded, as text.
                if let Some(decoded) = self.decoded_literal(node) {
                    return Some(decoded);
                }
                // ['ex', 'ec'].join('')
                if self.kind(function) == "member_expression"
                    && self.text(self.field(function, Field::Property)?) == "join"
                {
                    let array = self.field(function, Field::Object)?;
                    if self.kind(array) == "array" {
                        let sep = self
                            .field(node, Field::Arguments)?
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

    fn own_literal_prefix(&self, node: Node) -> Option<String> {
        match self.kind(node) {
            "template_string" => {
                let mut cursor = node.walk();
                let mut out = String::new();
                for child in node.named_children(&mut cursor) {
                    match self.kind(child) {
                        "string_fragment" => out.push_str(self.text(child)),
                        _ => break,
                    }
                }
                (!out.is_empty()).then_some(out)
            }
            "new_expression" => {
                self.literal_prefix(self.field(node, Field::Arguments)?.named_child(0)?)
            }
            _ => None,
        }
    }

    /// `require('x')`, `await import('x')`.
    fn own_qualified(&self, node: Node) -> Option<String> {
        match self.kind(node) {
            "call_expression" | "await_expression" => self.module_of(node),
            _ => None,
        }
    }
}

impl Js<'_> {
    /// The text of a string or template without substitutions: its fragments and escapes.
    fn fragments(&self, node: Node) -> Option<String> {
        let mut cursor = node.walk();
        let mut out = String::new();
        for child in node.named_children(&mut cursor) {
            match self.kind(child) {
                "string_fragment" => out.push_str(self.text(child)),
                "escape_sequence" => out.push_str(&unescape(self.text(child))),
                _ => return None,
            }
        }
        Some(out)
    }

    /// Binds the file's imports, requires and constants in document order (a constant can
    /// build on one bound before it) and returns the nodes the rules look at, in that order.
    fn read_tree<'t>(&mut self, root: Node<'t>) -> Vec<Node<'t>> {
        let mut picked = Vec::new();
        ast::visit_named(root, |node| match self.kind(node) {
            "call_expression"
            | "new_expression"
            | "member_expression"
            | "subscript_expression"
            | "string"
            | "template_string" => picked.push(node),
            // Only a browser script's identifiers matter (`localStorage`).
            "identifier" if self.browser => picked.push(node),
            "variable_declarator" => {
                picked.push(node);
                self.bind_declarator(node);
            }
            "import_statement" => self.bind_import(node),
            _ => {}
        });
        picked
    }

    /// `const cp = require('child_process')`, `const {exec: run} = cp`, `const API = '…'`.
    fn bind_declarator(&mut self, node: Node) {
        if let (Some(name), Some(value)) = (
            self.field(node, Field::Name),
            self.field(node, Field::Value),
        ) {
            let target = self.module_of(value).or_else(|| {
                self.qualified(value)
                    .filter(|q| q.contains('.') || self.source.aliases.contains_key(q))
            });
            match (self.kind(name), target) {
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

    /// `import * as cp from 'node:child_process'`, `import {exec as run} from '…'`.
    fn bind_import(&mut self, node: Node) {
        let module = self
            .field(node, Field::Source)
            .and_then(|s| self.literal(s))
            .map(|s| module_name(&s));
        if let Some(module) = module {
            let mut s = vec![node];
            while let Some(n) = s.pop() {
                match self.kind(n) {
                    "import_clause" => {
                        let mut c = n.walk();
                        for child in n.named_children(&mut c) {
                            if self.kind(child) == "identifier" {
                                self.source
                                    .aliases
                                    .insert(self.text(child).to_owned(), module.clone());
                            }
                        }
                    }
                    "namespace_import" => {
                        let mut c = n.walk();
                        if let Some(id) = n
                            .named_children(&mut c)
                            .find(|c| self.kind(*c) == "identifier")
                        {
                            self.source
                                .aliases
                                .insert(self.text(id).to_owned(), module.clone());
                        }
                    }
                    "import_specifier" => {
                        let name = self
                            .field(n, Field::Name)
                            .map(|x| self.text(x).to_owned())
                            .unwrap_or_default();
                        let alias = self
                            .field(n, Field::Alias)
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

    fn destructure(&mut self, pattern: Node, module: &str) {
        let mut cursor = pattern.walk();
        for prop in pattern.named_children(&mut cursor) {
            match self.kind(prop) {
                "shorthand_property_identifier_pattern" => {
                    let name = self.text(prop).to_owned();
                    self.source
                        .aliases
                        .insert(name.clone(), format!("{module}.{name}"));
                }
                "pair_pattern" => {
                    if let (Some(key), Some(value)) =
                        (self.field(prop, Field::Key), self.field(prop, Field::Value))
                    {
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
        let node = if self.kind(node) == "await_expression" {
            node.named_child(0)?
        } else {
            node
        };
        if self.kind(node) != "call_expression" {
            return None;
        }
        let function = self.field(node, Field::Function)?;
        let name = self.text(function);
        if name == "require" || name == "import" || self.kind(function) == "import" {
            let first = self.field(node, Field::Arguments)?.named_child(0)?;
            return self.literal(first).map(|m| module_name(&m));
        }
        None
    }

    /// The text a constant base64 string decodes to through `atob` or `Buffer.from(…,
    /// 'base64').toString()`, when it is UTF-8.
    fn decoded_literal(&self, node: Node) -> Option<String> {
        let function = self.field(node, Field::Function)?;
        let args = self.field(node, Field::Arguments)?;
        let blob = match self.text(function) {
            "atob" | "window.atob" => self.literal(args.named_child(0)?)?,
            _ if self.kind(function) == "member_expression"
                && self.text(self.field(function, Field::Property)?) == "toString" =>
            {
                let inner = self.field(function, Field::Object)?;
                if self.kind(inner) != "call_expression"
                    || self.text(self.field(inner, Field::Function)?) != "Buffer.from"
                {
                    return None;
                }
                let inner_args = self.field(inner, Field::Arguments)?;
                if self.literal(inner_args.named_child(1)?)? != "base64" {
                    return None;
                }
                self.literal(inner_args.named_child(0)?)?
            }
            _ => return None,
        };
        text::decode_base64_text(&blob)
    }

    /// A call or `new`, through one small function per rule.
    fn call(&self, node: Node, sink: &mut Sink) {
        let callee = self
            .field(node, Field::Function)
            .or_else(|| self.field(node, Field::Constructor));
        let Some(name) = callee.and_then(|c| self.qualified(c)) else {
            return;
        };
        let args: Vec<Node> = self
            .field(node, Field::Arguments)
            .map(|a| {
                let mut cursor = a.walk();
                a.named_children(&mut cursor).collect()
            })
            .unwrap_or_default();
        let call = CallSite {
            name,
            at: self.at(node),
            args,
        };
        self.command_run(&call, sink);
        self.code_evaluated(&call, sink);
        self.network_used(&call, sink);
        self.environment_serialized(&call, sink);
        self.char_codes_decoded(&call, sink);
        self.base64_decoded(&call, sink);
        self.environment_read(&call, sink);
        self.file_accessed(&call, sink);
        self.credential_path_built(&call, sink);
        self.native_code_loaded(&call, sink);
    }

    /// `child_process.exec("…")`, `spawn("git", [...])`: the command is scanned as shell.
    fn command_run(&self, call: &CallSite, sink: &mut Sink) {
        let name = call.name.as_str();
        if !EXEC_CALLS.contains(&name) {
            return;
        }
        let at = call.at;
        match call.first().and_then(|f| self.literal(f)) {
            Some(command) if SHELL_STRING_CALLS.contains(&name) => {
                sink.with_origin(at, |sink| {
                    shell::scan(&command, 0, sink, 1);
                });
            }
            Some(program) => {
                let mut words = vec![program];
                if let Some(list) = call.args.get(1).filter(|a| self.kind(**a) == "array") {
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

    /// `eval`, `new Function`, `vm.runIn…`: of downloaded, decoded or computed code.
    fn code_evaluated(&self, call: &CallSite, sink: &mut Sink) {
        let name = call.name.as_str();
        let first = call.first();
        let dynamic = DYNAMIC_CALLS.contains(&name)
            || (name == "setTimeout" || name == "setInterval")
                && first.is_some_and(|f| self.kind(f) == "string");
        if !dynamic {
            return;
        }
        if call
            .args
            .iter()
            .any(|a| self.contains_call(*a, NETWORK_CALLS))
        {
            sink.emit(
                rules::EXEC_REMOTE_CODE,
                call.at,
                format!("{name} runs code downloaded over the network"),
                None,
            );
        } else if call
            .args
            .iter()
            .any(|a| self.contains_call(*a, DECODE_CALLS))
        {
            sink.emit(
                rules::EXEC_DECODE_AND_RUN,
                call.at,
                format!("{name} runs decoded data"),
                None,
            );
        } else if !(name == "eval" && first.is_some_and(|f| self.literal(f).is_some())) {
            sink.emit(
                rules::DYNAMIC_CODE,
                call.at,
                format!("{name} evaluates code built at run time"),
                None,
            );
        }
    }

    /// A request or connection: its host, and the whole environment sent with it.
    fn network_used(&self, call: &CallSite, sink: &mut Sink) {
        let name = call.name.as_str();
        if !(NETWORK_CALLS.contains(&name)
            || (self.browser && BROWSER_NETWORK_CALLS.contains(&name)))
        {
            return;
        }
        sink.note_network();
        let host = call
            .first()
            .and_then(|u| self.literal_prefix(u))
            .and_then(|p| knowledge::host_of(&p));
        let whole_env = call.args.iter().filter(|a| self.mentions_whole_env(**a));
        let whole_env: Vec<usize> = whole_env.map(|a| self.at(*a)).collect();
        sink.network_call(name, call.at, host, &whole_env);
    }

    /// `JSON.stringify(process.env)`.
    fn environment_serialized(&self, call: &CallSite, sink: &mut Sink) {
        let name = call.name.as_str();
        if matches!(
            name,
            "JSON.stringify" | "console.log" | "Object.entries" | "Object.keys"
        ) && call.first().is_some_and(|f| self.is_process_env(f))
        {
            sink.emit(
                rules::ENV_DUMP,
                call.at,
                format!("{name} serializes the whole environment"),
                Some("*".into()),
            );
            sink.note_env_dump(call.at);
        }
    }

    /// `String.fromCharCode(99, 117, …)`: the text is scanned.
    fn char_codes_decoded(&self, call: &CallSite, sink: &mut Sink) {
        if call.name == "String.fromCharCode" {
            let codes: Option<Vec<u32>> = call
                .args
                .iter()
                .map(|a| self.text(*a).parse().ok())
                .collect();
            if let Some(codes) = codes {
                text::scan_char_codes(&codes, call.at, sink);
            }
        }
    }

    /// `atob("…")`, `Buffer.from("…")`: the blob is decoded and scanned.
    fn base64_decoded(&self, call: &CallSite, sink: &mut Sink) {
        if matches!(call.name.as_str(), "atob" | "Buffer.from")
            && let Some(blob) = call.first().and_then(|f| self.literal(f))
        {
            text::scan_blob(&blob, call.at, sink);
        }
    }

    /// `Deno.env.get("NAME")`.
    fn environment_read(&self, call: &CallSite, sink: &mut Sink) {
        if call.name == "Deno.env.get"
            && let Some(var) = call.first().and_then(|f| self.literal(f))
        {
            sink.emit(rules::USES_ENV, call.at, format!("reads ${var}"), Some(var));
        }
    }

    /// `fs.readFileSync(path)`, `fs.writeFile(path, …)`: a read or a write of a known path.
    fn file_accessed(&self, call: &CallSite, sink: &mut Sink) {
        let name = call.name.as_str();
        if !(name.starts_with("fs.")
            || name.starts_with("fs/promises.")
            || name.starts_with("fs.promises."))
        {
            return;
        }
        let op = name.rsplit('.').next().unwrap_or("");
        if let Some(path) = call.first().and_then(|f| self.path_value(f)) {
            if op.starts_with("write")
                || op.starts_with("append")
                || op == "createWriteStream"
                || op.starts_with("copyFile")
                || op == "symlink"
            {
                text::report_write(&path, call.at, None, sink);
            } else if op.starts_with("read") || op == "createReadStream" {
                text::report_read(&path, call.at, sink);
            }
        }
    }

    /// `path.join(os.homedir(), ".ssh", "id_rsa")`: the path of a credential built.
    fn credential_path_built(&self, call: &CallSite, sink: &mut Sink) {
        if !matches!(call.name.as_str(), "path.join" | "path.resolve") {
            return;
        }
        let parts: Option<Vec<String>> = call.args.iter().map(|a| self.path_value(*a)).collect();
        if let Some(joined) = parts.map(|p| p.join("/"))
            && let Some(hit) = knowledge::sensitive_path(&joined)
        {
            sink.emit(
                rules::CRED_SENSITIVE_PATH,
                call.at,
                format!("builds the path of {hit}"),
                Some(joined),
            );
            sink.note_credential(call.at);
        }
    }

    /// `process.dlopen`, `ffi.Library`, `require("x.node")`.
    fn native_code_loaded(&self, call: &CallSite, sink: &mut Sink) {
        let name = call.name.as_str();
        if matches!(
            name,
            "process.dlopen" | "ffi-napi.Library" | "ffi.Library" | "koffi.load"
        ) || (name == "require"
            && call
                .first()
                .and_then(|f| self.literal(f))
                .is_some_and(|m| m.ends_with(".node")))
        {
            sink.emit(
                rules::NATIVE_CODE,
                call.at,
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
        match self.kind(node) {
            "call_expression" => {
                let name = self.qualified(self.field(node, Field::Function)?)?;
                match name.as_str() {
                    "os.homedir" => Some("~".into()),
                    "path.join" | "path.resolve" => {
                        let args = self.field(node, Field::Arguments)?;
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
                    match self.kind(child) {
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
                if self.field(node, Field::Operator).map(|o| self.text(o)) == Some("+") =>
            {
                Some(
                    self.path_value(self.field(node, Field::Left)?)?
                        + &self.path_value(self.field(node, Field::Right)?)?,
                )
            }
            _ => None,
        }
    }

    fn contains_call(&self, node: Node, names: &[&str]) -> bool {
        ast::any_named(node, |n| {
            matches!(self.kind(n), "call_expression" | "new_expression")
                && self
                    .field(n, Field::Function)
                    .or_else(|| self.field(n, Field::Constructor))
                    .and_then(|f| self.qualified(f))
                    .is_some_and(|f| names.contains(&f.as_str()))
        })
    }

    fn is_process_env(&self, node: Node) -> bool {
        matches!(
            self.text(node),
            "process.env" | "Deno.env.toObject()" | "Bun.env"
        ) || (self.kind(node) == "object" && self.text(node).contains("...process.env"))
    }

    fn mentions_whole_env(&self, node: Node) -> bool {
        ast::any_named(node, |n| {
            if self.kind(n) != "member_expression" || self.text(n) != "process.env" {
                return false;
            }
            let parent_reads_one = n.parent().is_some_and(|p| {
                matches!(self.kind(p), "member_expression" | "subscript_expression")
                    && self.field(p, Field::Object) == Some(n)
            });
            !parent_reads_one
        })
    }

    /// Cookies and web storage read by a browser script.
    fn browser_store(&self, node: Node, sink: &mut Sink) {
        if !self.browser {
            return;
        }
        // `localStorage.getItem` is reported once, at `localStorage`.
        if self.kind(node) == "identifier"
            && node.parent().is_some_and(|p| {
                self.kind(p) == "member_expression" && self.field(p, Field::Property) == Some(node)
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
        let Some(object) = self.field(node, Field::Object) else {
            return;
        };
        if !matches!(
            self.text(object),
            "process.env" | "Bun.env" | "import.meta.env"
        ) {
            return;
        }
        let var = match self.kind(node) {
            "member_expression" => self
                .field(node, Field::Property)
                .map(|p| self.text(p).to_owned()),
            _ => self.field(node, Field::Index).and_then(|i| self.literal(i)),
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
            self.field(node, Field::Name),
            self.field(node, Field::Value),
        ) else {
            return;
        };
        if self.kind(name) != "object_pattern" || self.text(value) != "process.env" {
            return;
        }
        let mut cursor = name.walk();
        for prop in name.named_children(&mut cursor) {
            let key = match self.kind(prop) {
                "shorthand_property_identifier_pattern" => Some(self.text(prop).to_owned()),
                "pair_pattern" => self
                    .field(prop, Field::Key)
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
struct Lower<'a, 's, 't> {
    source: &'a Source<'s>,
    depth: u32,
    /// Function bodies not lowered yet ([`flow::Lowerer::defer`]).
    deferred: Vec<(Node<'t>, u32)>,
}

impl<'t> flow::Lowerer<'t> for Lower<'_, '_, 't> {
    fn depth(&mut self) -> &mut u32 {
        &mut self.depth
    }

    fn lower_one(&mut self, node: Node<'t>) -> Expr {
        self.expr_inner(node)
    }

    fn lower_body(&mut self, body: Node<'t>) -> Vec<Stmt> {
        // An arrow function's body may be a single expression: its value is returned.
        if self.source.kind(body) == "statement_block" {
            self.block(body)
        } else {
            vec![Stmt::Return(self.expr(body))]
        }
    }

    fn deferred(&mut self) -> &mut Vec<(Node<'t>, u32)> {
        &mut self.deferred
    }
}

impl<'t> Lower<'_, '_, 't> {
    fn block(&mut self, node: Node<'t>) -> Vec<Stmt> {
        let mut out = Vec::new();
        if self.depth >= flow::MAX_EXPR_DEPTH {
            return out;
        }
        self.depth += 1;
        let mut cursor = node.walk();
        for child in node.named_children(&mut cursor) {
            self.statement(child, &mut out);
        }
        self.depth -= 1;
        out
    }

    fn text(&self, node: Node<'t>) -> String {
        self.source.text(node).to_owned()
    }

    fn statement(&mut self, node: Node<'t>, out: &mut Vec<Stmt>) {
        let source = self.source;
        let field = |name: Field| source.field(node, name);
        match self.source.kind(node) {
            "expression_statement" | "export_statement" => {
                let mut cursor = node.walk();
                for child in node.named_children(&mut cursor) {
                    self.statement(child, out);
                }
            }
            "lexical_declaration" | "variable_declaration" => {
                let mut cursor = node.walk();
                for declarator in node.named_children(&mut cursor) {
                    if self.source.kind(declarator) != "variable_declarator" {
                        continue;
                    }
                    let Some(name) = self.source.field(declarator, Field::Name) else {
                        continue;
                    };
                    let value = self.source.field(declarator, Field::Value);
                    if let (Some(value), "identifier") = (value, self.source.kind(name))
                        && matches!(
                            self.source.kind(value),
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
                let (Some(left), Some(right)) = (field(Field::Left), field(Field::Right)) else {
                    return;
                };
                let value = self.expr(right);
                self.bind(left, value, out);
            }
            "augmented_assignment_expression" => {
                let (Some(left), Some(right)) = (field(Field::Left), field(Field::Right)) else {
                    return;
                };
                let value = self.expr(right);
                match self.source.kind(left) {
                    "identifier" => out.push(Stmt::Update(self.text(left), value)),
                    _ => self.bind(left, value, out),
                }
            }
            "import_statement" => self.import(node, out),
            "for_in_statement" => {
                let vars = field(Field::Left)
                    .map(|l| self.names(l))
                    .unwrap_or_default();
                let iter = field(Field::Right).map_or(Expr::Other, |r| self.expr(r));
                let body = field(Field::Body)
                    .map(|b| self.block_of(b))
                    .unwrap_or_default();
                out.push(Stmt::Loop { vars, iter, body });
            }
            "for_statement" | "while_statement" | "do_statement" => {
                let counting = match self.source.kind(node) {
                    "for_statement" => self.counting_loop(node),
                    _ => None,
                };
                if let Some((var, iter)) = counting {
                    let body = field(Field::Body)
                        .map(|b| self.block_of(b))
                        .unwrap_or_default();
                    out.push(Stmt::Loop {
                        vars: vec![var],
                        iter,
                        body,
                    });
                    return;
                }
                let mut body = Vec::new();
                for name in [Field::Initializer, Field::Condition, Field::Increment] {
                    if let Some(part) = field(name) {
                        self.statement(part, &mut body);
                    }
                }
                body.extend(
                    field(Field::Body)
                        .map(|b| self.block_of(b))
                        .unwrap_or_default(),
                );
                out.push(Stmt::Loop {
                    vars: Vec::new(),
                    iter: Expr::Other,
                    body,
                });
            }
            "if_statement" => {
                if let Some(condition) = field(Field::Condition) {
                    out.push(Stmt::Eval(self.expr(condition)));
                }
                let mut arms = Vec::new();
                for name in [Field::Consequence, Field::Alternative] {
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
                if let Some(name) = field(Field::Name) {
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

    /// `for (let i = 0; i < data.length; i++)`: the counter and the numbers it walks, as a
    /// range the interpreter can step through (XOR loops index their bytes this way).
    fn counting_loop(&mut self, node: Node<'t>) -> Option<(String, Expr)> {
        let source = self.source;
        let unwrap = |n: Node<'t>| match source.kind(n) {
            "expression_statement" => n.named_child(0),
            _ => Some(n),
        };
        let init = unwrap(source.field(node, Field::Initializer)?)?;
        let (var, start) = match source.kind(init) {
            "lexical_declaration" | "variable_declaration" => {
                let declarator = init.named_child(0)?;
                (
                    source.field(declarator, Field::Name)?,
                    source.field(declarator, Field::Value)?,
                )
            }
            "assignment_expression" => (
                source.field(init, Field::Left)?,
                source.field(init, Field::Right)?,
            ),
            _ => return None,
        };
        let var = source.text(var);
        let start = flow::parse_int(source.text(start))?;
        let condition = unwrap(source.field(node, Field::Condition)?)?;
        let bound = source.field(condition, Field::Right)?;
        let counter = source.field(condition, Field::Left)?;
        let operator = source
            .field(condition, Field::Operator)
            .map(|o| source.text(o));
        let step: String = source
            .text(source.field(node, Field::Increment)?)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let steps_by_one = [
            format!("{var}++"),
            format!("++{var}"),
            format!("{var}+=1"),
            format!("{var}={var}+1"),
        ]
        .contains(&step);
        if source.text(counter) != var || !steps_by_one {
            return None;
        }
        let end = match (operator, self.expr(bound)) {
            (Some("<"), end) => end,
            (Some("<="), Expr::Int(last)) => Expr::Int(last.checked_add(1)?),
            _ => return None,
        };
        let args = [Expr::Int(start), end]
            .into_iter()
            .map(|value| Arg { key: None, value })
            .collect();
        let iter = Expr::Call {
            callee: Box::new(Expr::Module(flow::COUNTING_LOOP.to_owned())),
            args,
            at: self.source.at(node),
        };
        Some((var.to_owned(), iter))
    }

    /// A statement or block as a statement list.
    fn block_of(&mut self, node: Node<'t>) -> Vec<Stmt> {
        if self.source.kind(node) == "statement_block" {
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

    fn function(&mut self, name: String, node: Node<'t>) -> std::rc::Rc<flow::Function> {
        let params = match self
            .source
            .field(node, Field::Parameters)
            .or_else(|| self.source.field(node, Field::Parameter))
        {
            Some(p) if self.source.kind(p) == "identifier" => vec![self.text(p)],
            Some(p) => {
                let mut cursor = p.walk();
                let children: Vec<Node> = p.named_children(&mut cursor).collect();
                children
                    .into_iter()
                    .map(|param| {
                        let mut n = param;
                        // `x: string`, `x = 1`, `...x`: the identifier inside.
                        while self.source.kind(n) != "identifier" {
                            match self
                                .source
                                .field(n, Field::Pattern)
                                .or_else(|| self.source.field(n, Field::Left))
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
        let body = match self.source.field(node, Field::Body) {
            Some(body) => self.defer(body),
            None => flow::Body::lowered(Vec::new()),
        };
        std::rc::Rc::new(flow::Function { name, params, body })
    }

    fn bind(&mut self, target: Node<'t>, value: Expr, out: &mut Vec<Stmt>) {
        match self.source.kind(target) {
            "identifier" => out.push(Stmt::Let(self.text(target), value)),
            "member_expression" | "subscript_expression" => {
                let mut base = target;
                while let Some(inner) = self.source.field(base, Field::Object) {
                    base = inner;
                }
                if self.source.kind(base) == "identifier" {
                    out.push(Stmt::Update(self.text(base), value));
                } else {
                    out.push(Stmt::Eval(value));
                }
            }
            "object_pattern" => {
                let mut cursor = target.walk();
                for prop in target.named_children(&mut cursor) {
                    match self.source.kind(prop) {
                        "shorthand_property_identifier_pattern" => {
                            let name = self.text(prop);
                            out.push(Stmt::Let(
                                name.clone(),
                                Expr::Attr(Box::new(value.clone()), name),
                            ));
                        }
                        "pair_pattern" => {
                            if let (Some(key), Some(local)) = (
                                self.source.field(prop, Field::Key),
                                self.source.field(prop, Field::Value),
                            ) && self.source.kind(local) == "identifier"
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

    fn names(&self, node: Node<'t>) -> Vec<String> {
        let mut names = Vec::new();
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            if matches!(
                self.source.kind(n),
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

    fn import(&self, node: Node<'t>, out: &mut Vec<Stmt>) {
        let Some(module) = self
            .source
            .field(node, Field::Source)
            .map(|s| module_name(self.source.text(s).trim_matches(['"', '\'', '`'])))
        else {
            return;
        };
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            match self.source.kind(n) {
                "import_clause" => {
                    let mut c = n.walk();
                    for child in n.named_children(&mut c) {
                        if self.source.kind(child) == "identifier" {
                            out.push(Stmt::Let(self.text(child), Expr::Module(module.clone())));
                        }
                    }
                }
                "namespace_import" => {
                    let mut c = n.walk();
                    if let Some(id) = n
                        .named_children(&mut c)
                        .find(|c| self.source.kind(*c) == "identifier")
                    {
                        out.push(Stmt::Let(self.text(id), Expr::Module(module.clone())));
                    }
                }
                "import_specifier" => {
                    let name = self
                        .source
                        .field(n, Field::Name)
                        .map(|x| self.text(x))
                        .unwrap_or_default();
                    let alias = self
                        .source
                        .field(n, Field::Alias)
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

    fn expr_inner(&mut self, node: Node<'t>) -> Expr {
        let source = self.source;
        let field = |name: Field| source.field(node, name);
        let boxed = |this: &mut Self, name: Field| -> Box<Expr> {
            Box::new(field(name).map_or(Expr::Other, |n| this.expr(n)))
        };
        match self.source.kind(node) {
            "string" => {
                let mut out = String::new();
                let mut cursor = node.walk();
                for child in node.named_children(&mut cursor) {
                    match self.source.kind(child) {
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
                for child in node.named_children(&mut cursor) {
                    if self.source.kind(child) != "template_substitution" {
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
                field(Field::Operator).map(|o| self.text(o)),
                field(Field::Argument).map(|a| self.expr(a)),
            ) {
                (Some(op), Some(Expr::Int(n))) if op == "-" => Expr::Int(-n),
                (_, inner) => Expr::Opaque(inner.into_iter().collect()),
            },
            // `f(...codes)`: the array itself (a call of `String.fromCharCode` reads each code).
            "spread_element" => node.named_child(0).map_or(Expr::Other, |c| self.expr(c)),
            "true" | "false" | "null" | "undefined" | "regex" => Expr::Other,
            "identifier" | "this" => Expr::Var(self.text(node)),
            "member_expression" => {
                let property = field(Field::Property)
                    .map(|p| self.text(p))
                    .unwrap_or_default();
                Expr::Attr(boxed(self, Field::Object), property)
            }
            "subscript_expression" => {
                Expr::Index(boxed(self, Field::Object), boxed(self, Field::Index))
            }
            "call_expression" | "new_expression" => {
                let callee = if self.source.kind(node) == "new_expression" {
                    boxed(self, Field::Constructor)
                } else {
                    boxed(self, Field::Function)
                };
                let args = field(Field::Arguments)
                    .filter(|a| self.source.kind(*a) == "arguments")
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
                let op = field(Field::Operator)
                    .map(|o| self.source.text(o))
                    .unwrap_or("");
                let (left, right) = (boxed(self, Field::Left), boxed(self, Field::Right));
                match op {
                    "+" => Expr::Concat(vec![*left, *right]),
                    "||" | "??" | "&&" => Expr::Either(vec![*left, *right]),
                    "^" => Expr::Xor(left, right),
                    "%" => Expr::Percent(left, right),
                    _ => Expr::Opaque(vec![*left, *right]),
                }
            }
            "ternary_expression" => Expr::Either(vec![
                *boxed(self, Field::Consequence),
                *boxed(self, Field::Alternative),
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
                for entry in node.named_children(&mut cursor) {
                    match self.source.kind(entry) {
                        "pair" => {
                            let key = self
                                .source
                                .field(entry, Field::Key)
                                .map(|k| self.text(k).trim_matches(['"', '\'']).to_owned());
                            let value = self
                                .source
                                .field(entry, Field::Value)
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
