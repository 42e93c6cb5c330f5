//! Python through the tree-sitter Python grammar.
//!
//! Calls are resolved through the file's imports (`from os import system as s`,
//! `import subprocess as sp`, `__import__('os')`, `getattr(os, 'sys' + 'tem')`) and string
//! constants are folded (`'child_' + 'process'`, module-level `API = "https://…"`), so that
//! `subprocess.run(["git", "log"])` and `os.system(user_string)` are told apart.

use tree_sitter::Node;

use super::ast::Source;
use super::flow::{self, Arg, Expr, Stmt, unescape};
use super::knowledge;
use super::rules;
use super::shell;
use super::sink::Sink;
use super::text;

const EXEC_CALLS: &[&str] = &[
    "subprocess.run",
    "subprocess.call",
    "subprocess.check_call",
    "subprocess.check_output",
    "subprocess.Popen",
    "subprocess.getoutput",
    "subprocess.getstatusoutput",
    "os.system",
    "os.popen",
    "os.execv",
    "os.execve",
    "os.execvp",
    "os.execvpe",
    "os.execl",
    "os.execle",
    "os.execlp",
    "os.execlpe",
    "os.spawnv",
    "os.spawnve",
    "os.spawnvp",
    "os.spawnl",
    "os.posix_spawn",
    "os.posix_spawnp",
    "pty.spawn",
    "commands.getoutput",
    "asyncio.create_subprocess_exec",
    "asyncio.create_subprocess_shell",
];
const SHELL_STRING_CALLS: &[&str] = &[
    "os.system",
    "os.popen",
    "subprocess.getoutput",
    "subprocess.getstatusoutput",
    "commands.getoutput",
    "asyncio.create_subprocess_shell",
];
const DYNAMIC_CALLS: &[&str] = &[
    "eval",
    "exec",
    "compile",
    "builtins.eval",
    "builtins.exec",
    "pickle.loads",
    "pickle.load",
    "marshal.loads",
    "dill.loads",
    "cloudpickle.loads",
    "types.FunctionType",
    "runpy.run_path",
    "runpy.run_module",
];
const DECODE_CALLS: &[&str] = &[
    "base64.b64decode",
    "base64.standard_b64decode",
    "base64.urlsafe_b64decode",
    "base64.b32decode",
    "base64.b85decode",
    "base64.a85decode",
    "codecs.decode",
    "bytes.fromhex",
    "zlib.decompress",
    "gzip.decompress",
    "bz2.decompress",
    "lzma.decompress",
    "marshal.loads",
    "binascii.unhexlify",
    "binascii.a2b_base64",
    "chr",
];
const NETWORK_CALLS: &[&str] = &[
    "requests.get",
    "requests.post",
    "requests.put",
    "requests.patch",
    "requests.delete",
    "requests.head",
    "requests.request",
    "httpx.get",
    "httpx.post",
    "httpx.put",
    "httpx.patch",
    "httpx.delete",
    "httpx.request",
    "httpx.stream",
    "httpx.Client",
    "httpx.AsyncClient",
    "urllib.request.urlopen",
    "urllib.request.Request",
    "urllib.request.urlretrieve",
    "urllib.urlopen",
    "urllib2.urlopen",
    "http.client.HTTPConnection",
    "http.client.HTTPSConnection",
    "socket.create_connection",
    "ftplib.FTP",
    "smtplib.SMTP",
    "smtplib.SMTP_SSL",
    "websocket.create_connection",
    "websockets.connect",
    "aiohttp.request",
    "wget.download",
    "pycurl.Curl",
];

/// Scans Python `source` at byte `base` of the sink's file; returns whether it parsed only partly.
pub(crate) fn scan(source: &str, base: usize, sink: &mut Sink) -> bool {
    if source.len() > shell::MAX_PARSE_BYTES {
        return true;
    }
    let Some(tree) = super::parse(super::Grammar::Python, source) else {
        return true;
    };
    let root = tree.root_node();
    let mut py = Py {
        source: Source::new(source, base),
        socket_at: None,
        dup2_at: None,
        spawns_shell: false,
        downloads: Vec::new(),
    };
    py.collect_bindings(root);
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        match node.kind() {
            "call" => py.call(node, sink),
            "subscript" => py.environ_subscript(node, sink),
            "string" => py.string(node, sink),
            "list" | "tuple" => py.char_code_list(node, sink),
            "import_statement" | "import_from_statement" => py.native_import(node, sink),
            _ => {}
        }
        let mut cursor = node.walk();
        let children: Vec<Node> = node.named_children(&mut cursor).collect();
        stack.extend(children.into_iter().rev());
    }
    if flow::worth_following(source, sink) {
        let lowered = Lower {
            source: &py.source,
            depth: 0,
        }
        .block(root);
        flow::run(flow::Lang::Python, &lowered, sink);
    }
    if let (Some(_), Some(dup2), true) = (py.socket_at, py.dup2_at, py.spawns_shell) {
        sink.emit(
            rules::NET_REVERSE_SHELL,
            dup2,
            "a socket is duplicated onto stdin/stdout and a shell is spawned",
            None,
        );
    }
    root.has_error()
}

struct Py<'s> {
    source: Source<'s>,
    socket_at: Option<usize>,
    dup2_at: Option<usize>,
    spawns_shell: bool,
    /// Files a download was saved to (`urlretrieve(url, path)`), with the URL: running one
    /// later is download-and-execute.
    downloads: Vec<(String, Option<String>)>,
}

impl<'s> std::ops::Deref for Py<'s> {
    type Target = Source<'s>;

    fn deref(&self) -> &Source<'s> {
        &self.source
    }
}

impl Py<'_> {
    fn collect_bindings(&mut self, root: Node) {
        let mut stack = vec![root];
        while let Some(node) = stack.pop() {
            match node.kind() {
                "import_statement" => {
                    let mut cursor = node.walk();
                    for name in node.children_by_field_name("name", &mut cursor) {
                        let (module, alias) = self.import_name(name);
                        let local = alias
                            .unwrap_or_else(|| module.split('.').next().unwrap_or("").to_owned());
                        let target = if name.kind() == "aliased_import" {
                            module.clone()
                        } else {
                            local.clone()
                        };
                        self.source.aliases.insert(local, target);
                    }
                }
                "import_from_statement" => {
                    let module = node
                        .child_by_field_name("module_name")
                        .map(|m| self.text(m).to_owned())
                        .unwrap_or_default();
                    let mut cursor = node.walk();
                    for name in node.children_by_field_name("name", &mut cursor) {
                        let (item, alias) = self.import_name(name);
                        let local = alias.unwrap_or_else(|| item.clone());
                        self.source
                            .aliases
                            .insert(local, format!("{module}.{item}"));
                    }
                }
                "assignment" => {
                    if let (Some(left), Some(right)) = (
                        node.child_by_field_name("left"),
                        node.child_by_field_name("right"),
                    ) && left.kind() == "identifier"
                    {
                        // Paths count as constants too: `home = os.path.expanduser("~")`.
                        if let Some(value) = self.literal(right).or_else(|| self.path_value(right))
                        {
                            self.source
                                .constants
                                .insert(self.text(left).to_owned(), value);
                        } else if let Some(module) = self.module_expression(right) {
                            self.source
                                .aliases
                                .insert(self.text(left).to_owned(), module);
                        }
                    }
                }
                _ => {}
            }
            // In document order, so that a constant can build on one bound before it.
            let mut cursor = node.walk();
            let children: Vec<Node> = node.named_children(&mut cursor).collect();
            stack.extend(children.into_iter().rev());
        }
    }

    fn import_name(&self, node: Node) -> (String, Option<String>) {
        if node.kind() == "aliased_import" {
            let name = node
                .child_by_field_name("name")
                .map(|n| self.text(n).to_owned())
                .unwrap_or_default();
            let alias = node
                .child_by_field_name("alias")
                .map(|n| self.text(n).to_owned());
            (name, alias)
        } else {
            (self.text(node).to_owned(), None)
        }
    }

    /// `__import__('os')` and `importlib.import_module('os')` with a constant name.
    fn module_expression(&self, node: Node) -> Option<String> {
        self.guarded(|| self.module_expression_inner(node))
    }

    fn module_expression_inner(&self, node: Node) -> Option<String> {
        if node.kind() != "call" {
            return None;
        }
        let function = self.qualified(node.child_by_field_name("function")?)?;
        if function == "__import__" || function == "importlib.import_module" {
            let first = node.child_by_field_name("arguments")?.named_child(0)?;
            return self.literal(first);
        }
        None
    }

    /// The constant string value of an expression, when it has one.
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
                        "string_content" => out.push_str(self.text(child)),
                        "string_start" | "string_end" => {}
                        // f"{home}/x" with `home` a known constant.
                        "interpolation" => {
                            out.push_str(&self.literal(child.child_by_field_name("expression")?)?)
                        }
                        _ => return None,
                    }
                }
                Some(out)
            }
            "call" => self.decoded_literal(node),
            "concatenated_string" => {
                let mut cursor = node.walk();
                node.named_children(&mut cursor)
                    .map(|c| self.literal(c))
                    .collect()
            }
            "binary_operator" => {
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
            _ => None,
        }
    }

    /// `base64.b64decode('…').decode()` of a constant: the decoded text.
    fn decoded_literal(&self, node: Node) -> Option<String> {
        let function = node.child_by_field_name("function")?;
        if function.kind() != "attribute"
            || self.text(function.child_by_field_name("attribute")?) != "decode"
        {
            return None;
        }
        let inner = function.child_by_field_name("object")?;
        if inner.kind() != "call" {
            return None;
        }
        let decoder = self.qualified(inner.child_by_field_name("function")?)?;
        if !matches!(
            decoder.as_str(),
            "base64.b64decode" | "base64.standard_b64decode" | "base64.urlsafe_b64decode"
        ) {
            return None;
        }
        let blob = self.literal(inner.child_by_field_name("arguments")?.named_child(0)?)?;
        text::decode_base64_text(&blob)
    }

    /// The leading constant part of a string expression (`API + q` → the value of `API`).
    fn literal_prefix(&self, node: Node) -> Option<String> {
        self.guarded(|| self.literal_prefix_inner(node))
    }

    fn literal_prefix_inner(&self, node: Node) -> Option<String> {
        if let Some(full) = self.literal(node) {
            return Some(full);
        }
        match node.kind() {
            "binary_operator" => self.literal_prefix(node.child_by_field_name("left")?),
            "string" => {
                let mut cursor = node.walk();
                let mut out = String::new();
                for child in node.named_children(&mut cursor) {
                    match child.kind() {
                        "string_content" => out.push_str(self.text(child)),
                        "string_start" => {}
                        _ => break,
                    }
                }
                (!out.is_empty()).then_some(out)
            }
            "call" => {
                // "https://x/{}".format(…)
                let function = node.child_by_field_name("function")?;
                if function.kind() == "attribute" {
                    return self.literal_prefix(function.child_by_field_name("object")?);
                }
                None
            }
            _ => None,
        }
    }

    /// The dotted name a callee resolves to through imports, attribute access, constant
    /// subscripts and `getattr`.
    fn qualified(&self, node: Node) -> Option<String> {
        self.guarded(|| self.qualified_inner(node))
    }

    fn qualified_inner(&self, node: Node) -> Option<String> {
        match node.kind() {
            "identifier" => Some(self.resolve(self.text(node))),
            "attribute" => {
                let object = self.qualified(node.child_by_field_name("object")?)?;
                let attribute = self.text(node.child_by_field_name("attribute")?);
                Some(format!("{object}.{attribute}"))
            }
            "subscript" => {
                let value = self.qualified(node.child_by_field_name("value")?)?;
                let key = self.literal(node.child_by_field_name("subscript")?)?;
                Some(format!("{value}.{key}"))
            }
            "call" => {
                let function = self.qualified(node.child_by_field_name("function")?)?;
                let args = node.child_by_field_name("arguments")?;
                if function == "getattr" {
                    let object = self.qualified(args.named_child(0)?)?;
                    let name = self.literal(args.named_child(1)?)?;
                    return Some(format!("{object}.{name}"));
                }
                self.module_expression(node)
            }
            "parenthesized_expression" => self.qualified(node.named_child(0)?),
            _ => None,
        }
    }

    fn call(&mut self, node: Node, sink: &mut Sink) {
        let Some(function) = node.child_by_field_name("function") else {
            return;
        };
        // (Path.home() / ".ssh" / "id_rsa").read_bytes(): a method of a path value.
        if function.kind() == "attribute"
            && let Some(method) = function
                .child_by_field_name("attribute")
                .map(|m| self.text(m))
            && matches!(
                method,
                "read_bytes" | "read_text" | "open" | "write_text" | "write_bytes"
            )
            && let Some(object) = function.child_by_field_name("object")
            && object.kind() != "identifier"
            && let Some(path) = self.path_value(object)
        {
            if method.starts_with("write") {
                text::report_write(&path, self.at(node), None, sink);
            } else {
                text::report_read(&path, self.at(node), sink);
            }
        }
        let Some(name) = self.qualified(function) else {
            return;
        };
        let args: Vec<Node> = node
            .child_by_field_name("arguments")
            .map(|a| {
                let mut cursor = a.walk();
                a.named_children(&mut cursor).collect()
            })
            .unwrap_or_default();
        let positional: Vec<Node> = args
            .iter()
            .copied()
            .filter(|a| a.kind() != "keyword_argument")
            .collect();
        let keywords: Vec<(String, Node)> = args
            .iter()
            .filter(|a| a.kind() == "keyword_argument")
            .filter_map(|a| {
                Some((
                    self.text(a.child_by_field_name("name")?).to_owned(),
                    a.child_by_field_name("value")?,
                ))
            })
            .collect();
        let keyword = |key: &str| keywords.iter().find(|(k, _)| k == key).map(|(_, v)| *v);
        let at = self.at(node);
        let short = name.as_str();

        if matches!(
            short,
            "urllib.request.urlretrieve" | "urllib.urlretrieve" | "wget.download"
        ) && let Some(path) = positional
            .get(1)
            .copied()
            .or_else(|| keyword("filename"))
            .or_else(|| keyword("out"))
            .and_then(|p| self.path_value(p))
        {
            let url = positional.first().and_then(|u| self.literal_prefix(*u));
            self.downloads.push((path, url));
        }
        if EXEC_CALLS.contains(&short) {
            self.downloaded_run(positional.first().copied(), short, at, sink);
            let shell_true = keyword("shell").is_some_and(|v| self.text(v) == "True");
            self.exec_call(
                short,
                positional.first().copied(),
                shell_true || SHELL_STRING_CALLS.contains(&short),
                at,
                sink,
            );
        }
        if DYNAMIC_CALLS.contains(&short)
            || (matches!(short, "importlib.import_module" | "__import__")
                && positional
                    .first()
                    .is_some_and(|a| self.literal(*a).is_none()))
        {
            let arg = positional.first().copied();
            if arg.is_some_and(|a| self.contains_call(a, NETWORK_CALLS)) {
                sink.emit(
                    rules::EXEC_REMOTE_CODE,
                    at,
                    format!("{short} runs code downloaded over the network"),
                    None,
                );
            } else if arg.is_some_and(|a| self.contains_call(a, DECODE_CALLS)) {
                sink.emit(
                    rules::EXEC_DECODE_AND_RUN,
                    at,
                    format!("{short} runs decoded data"),
                    None,
                );
            } else if !(matches!(short, "eval" | "exec" | "compile")
                && arg.is_some_and(|a| self.literal(a).is_some()))
            {
                sink.emit(
                    rules::DYNAMIC_CODE,
                    at,
                    format!("{short} evaluates code built at run time"),
                    None,
                );
            }
        }
        if NETWORK_CALLS.contains(&short)
            || short.starts_with("requests.Session")
            || short.ends_with(".urlopen")
        {
            sink.note_network();
            let url = positional.first().copied().or_else(|| keyword("url"));
            let host = url.and_then(|u| self.literal_prefix(u)).and_then(|p| {
                knowledge::host_of(&p).or_else(|| {
                    (short.starts_with("http.client")
                        || short == "ftplib.FTP"
                        || short.starts_with("smtplib"))
                    .then(|| p.to_ascii_lowercase())
                })
            });
            let value = host.unwrap_or_else(|| "*".into());
            sink.emit(
                rules::USES_NETWORK,
                at,
                format!("{short} connects to {value}"),
                Some(value),
            );
            for arg in &args {
                if self.mentions_environ(*arg) {
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
            short,
            "json.dumps" | "json.dump" | "print" | "str" | "repr" | "pprint.pprint"
        ) && positional
            .first()
            .is_some_and(|a| self.is_whole_environ(*a))
        {
            sink.emit(
                rules::ENV_DUMP,
                at,
                format!("{short} serializes the whole environment"),
                Some("*".into()),
            );
            sink.note_env_dump(at);
        }
        if matches!(
            short,
            "os.getenv" | "os.environ.get" | "os.environ.setdefault" | "os.environ.pop"
        ) && let Some(var) = positional.first().and_then(|a| self.literal(*a))
        {
            sink.emit(rules::USES_ENV, at, format!("reads ${var}"), Some(var));
        }
        if matches!(short, "socket.socket" | "socket.create_connection") {
            self.socket_at.get_or_insert(at);
            sink.note_network();
        }
        if short == "os.dup2" {
            self.dup2_at.get_or_insert(at);
        }
        if short == "pty.spawn"
            || (EXEC_CALLS.contains(&short)
                && positional.first().is_some_and(|a| {
                    let t = self.text(*a);
                    t.contains("/bin/sh")
                        || t.contains("/bin/bash")
                        || t.contains("\"sh\"")
                        || t.contains("'sh'")
                        || t.contains("\"-i\"")
                }))
        {
            self.spawns_shell = true;
        }
        if matches!(short, "open" | "io.open" | "codecs.open" | "builtins.open")
            && let Some(path) = positional.first().and_then(|a| self.path_value(*a))
        {
            let mode = positional
                .get(1)
                .copied()
                .or_else(|| keyword("mode"))
                .and_then(|m| self.literal(m))
                .unwrap_or_else(|| "r".into());
            if mode.contains(['w', 'a', 'x', '+']) {
                text::report_write(&path, at, None, sink);
            } else {
                text::report_read(&path, at, sink);
            }
        }
        if matches!(
            short,
            "os.path.join" | "pathlib.Path" | "Path" | "os.path.expanduser"
        ) {
            let parts: Option<Vec<String>> =
                positional.iter().map(|a| self.path_value(*a)).collect();
            if let Some(parts) = parts {
                let joined = parts.join("/");
                if let Some(hit) = knowledge::sensitive_path(&joined) {
                    sink.emit(
                        rules::CRED_SENSITIVE_PATH,
                        at,
                        format!("builds the path of {hit}"),
                        Some(joined),
                    );
                    sink.note_credential(at);
                }
            }
        }
        if matches!(
            short,
            "ctypes.CDLL" | "ctypes.cdll.LoadLibrary" | "ctypes.WinDLL" | "cffi.FFI"
        ) {
            sink.emit(
                rules::NATIVE_CODE,
                at,
                format!("{short} loads native code"),
                None,
            );
        }
    }

    /// A program started from a file an earlier call downloaded.
    fn downloaded_run(&self, program: Option<Node>, runner: &str, at: usize, sink: &mut Sink) {
        if self.downloads.is_empty() {
            return;
        }
        let Some(program) = program else { return };
        let first = if matches!(program.kind(), "list" | "tuple") {
            program.named_child(0).and_then(|p| self.path_value(p))
        } else {
            self.path_value(program)
                .map(|c| c.split_whitespace().next().unwrap_or("").to_owned())
        };
        let Some(first) = first else { return };
        if let Some((_, url)) = self.downloads.iter().find(|(path, _)| *path == first) {
            shell::report_downloaded_run(url.as_deref(), runner, at, sink);
        }
    }

    /// A path argument: a constant, `os.path.expanduser(const)`, `Path.home() / const`…
    fn path_value(&self, node: Node) -> Option<String> {
        self.guarded(|| self.path_value_inner(node))
    }

    fn path_value_inner(&self, node: Node) -> Option<String> {
        if let Some(text) = self.literal(node) {
            return Some(text);
        }
        match node.kind() {
            "call" => {
                let function = self.qualified(node.child_by_field_name("function")?)?;
                let first = node.child_by_field_name("arguments")?.named_child(0);
                if matches!(function.as_str(), "pathlib.Path.home" | "Path.home") {
                    return Some("~".into());
                }
                let first = first?;
                match function.as_str() {
                    "os.path.expanduser" | "pathlib.Path" | "Path" | "os.path.expandvars" => {
                        self.literal(first)
                    }
                    "os.path.join" => {
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
            "parenthesized_expression" => self.path_value(node.named_child(0)?),
            "binary_operator" => {
                let op = node.child_by_field_name("operator").map(|o| self.text(o))?;
                if op != "/" {
                    return None;
                }
                // `Path.home() / ".ssh" / "id_rsa"`: the left side is a path value itself.
                let left = node.child_by_field_name("left")?;
                let left = match self.path_value(left) {
                    Some(left) => left,
                    None if self.text(left).contains("home()") => "~".to_owned(),
                    None => return None,
                };
                Some(format!(
                    "{left}/{}",
                    self.path_value(node.child_by_field_name("right")?)?
                ))
            }
            _ => None,
        }
    }

    fn exec_call(
        &mut self,
        name: &str,
        first: Option<Node>,
        shell_string: bool,
        at: usize,
        sink: &mut Sink,
    ) {
        let Some(first) = first else { return };
        match first.kind() {
            "list" | "tuple" => {
                let mut cursor = first.walk();
                let items: Vec<Option<String>> = first
                    .named_children(&mut cursor)
                    .map(|i| self.literal(i))
                    .collect();
                match items.first() {
                    Some(Some(program)) => {
                        let words: Vec<String> = items
                            .iter()
                            .map(|i| i.clone().unwrap_or_else(|| "\"$ARG\"".into()))
                            .collect();
                        let command = words
                            .iter()
                            .map(|w| shell_quote(w))
                            .collect::<Vec<_>>()
                            .join(" ");
                        let _ = program;
                        sink.with_origin(at, |sink| {
                            shell::scan(&command, 0, sink, 1);
                        });
                    }
                    _ => sink.emit(
                        rules::EXEC_COMPUTED_SHELL,
                        at,
                        format!("{name} runs a program chosen at run time"),
                        Some("*".into()),
                    ),
                }
            }
            _ => match self.literal(first) {
                Some(command) if shell_string => {
                    // The string's content starts after its opening quote(s).
                    let quote = self.text(first).find(['"', '\'']).map_or(0, |q| q + 1);
                    let start = self.at(first) + quote;
                    if self.text(first).starts_with(['"', '\''])
                        && !self.text(first).starts_with("\"\"\"")
                    {
                        shell::scan(&command, start, sink, 1);
                    } else {
                        sink.with_origin(at, |sink| {
                            shell::scan(&command, 0, sink, 1);
                        });
                    }
                }
                Some(program) => {
                    let program =
                        knowledge::program_name(program.split_whitespace().next().unwrap_or(""));
                    if !program.is_empty() {
                        sink.emit(
                            rules::USES_EXEC,
                            at,
                            format!("runs {program}"),
                            Some(program),
                        );
                    }
                }
                None => sink.emit(
                    rules::EXEC_COMPUTED_SHELL,
                    at,
                    format!("{name} runs a command built at run time"),
                    Some("*".into()),
                ),
            },
        }
    }

    fn contains_call(&self, node: Node, names: &[&str]) -> bool {
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            if n.kind() == "call"
                && let Some(f) = n
                    .child_by_field_name("function")
                    .and_then(|f| self.qualified(f))
                && (names.contains(&f.as_str())
                    || names.iter().any(|name| {
                        f.ends_with(&format!(".{}", name.rsplit('.').next().unwrap_or(name)))
                            && name.contains("urlopen")
                    }))
            {
                return true;
            }
            let mut cursor = n.walk();
            stack.extend(n.named_children(&mut cursor));
        }
        false
    }

    fn is_whole_environ(&self, node: Node) -> bool {
        let text = self.text(node);
        let qualified = self.qualified(node);
        qualified.as_deref() == Some("os.environ")
            || matches!(
                text,
                "dict(os.environ)" | "os.environ.copy()" | "{**os.environ}"
            )
            || (node.kind() == "call"
                && self.mentions_environ(node)
                && !text.contains(".get(")
                && !text.contains('['))
    }

    /// Whether the whole environment (not one variable of it) flows into `node`.
    fn mentions_environ(&self, node: Node) -> bool {
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            if n.kind() == "attribute" && self.qualified(n).as_deref() == Some("os.environ") {
                let parent = n.parent();
                let one_variable = parent.is_some_and(|p| {
                    p.kind() == "subscript"
                        || (p.kind() == "attribute"
                            && p.parent().is_some_and(|g| {
                                g.kind() == "call" && self.text(p).ends_with(".get")
                            }))
                });
                if !one_variable {
                    return true;
                }
            }
            let mut cursor = n.walk();
            stack.extend(n.named_children(&mut cursor));
        }
        false
    }

    fn environ_subscript(&self, node: Node, sink: &mut Sink) {
        let Some(value) = node.child_by_field_name("value") else {
            return;
        };
        if self.qualified(value).as_deref() != Some("os.environ") {
            return;
        }
        if let Some(var) = node
            .child_by_field_name("subscript")
            .and_then(|s| self.literal(s))
        {
            sink.emit(
                rules::USES_ENV,
                self.at(node),
                format!("reads ${var}"),
                Some(var),
            );
        }
    }

    fn string(&self, node: Node, sink: &mut Sink) {
        let Some(value) = self.literal(node) else {
            return;
        };
        text::scan_code_string(&value, self.at(node), sink);
    }

    fn char_code_list(&self, node: Node, sink: &mut Sink) {
        let mut cursor = node.walk();
        let codes: Option<Vec<u32>> = node
            .named_children(&mut cursor)
            .map(|c| {
                (c.kind() == "integer")
                    .then(|| self.text(c).parse().ok())
                    .flatten()
                    .filter(|v| (9..0x110000).contains(v))
            })
            .collect();
        if let Some(codes) = codes {
            text::scan_char_codes(&codes, self.at(node), sink);
        }
    }

    fn native_import(&self, node: Node, sink: &mut Sink) {
        let text = self.text(node);
        if text
            .split(|c: char| !c.is_alphanumeric() && c != '_')
            .any(|w| matches!(w, "ctypes" | "cffi"))
        {
            sink.emit(
                rules::NATIVE_CODE,
                self.at(node),
                "imports a foreign-function interface",
                None,
            );
        }
    }
}

/// Quotes a word for a shell command line when needed.
fn shell_quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:@%+,".contains(&b))
    {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// Python lowered into the statement form of [`flow`], for the data-flow interpreter.
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
        for child in node.named_children(&mut cursor) {
            self.statement(child, &mut out);
        }
        self.depth -= 1;
        out
    }

    fn statement(&mut self, node: Node, out: &mut Vec<Stmt>) {
        let field = |name: &str| node.child_by_field_name(name);
        match node.kind() {
            "expression_statement" => {
                let mut cursor = node.walk();
                for child in node.named_children(&mut cursor) {
                    self.statement(child, out);
                }
            }
            "assignment" => {
                let (Some(left), Some(right)) = (field("left"), field("right")) else {
                    return;
                };
                let value = self.expr(right);
                self.bind(left, value, out);
            }
            "augmented_assignment" => {
                let (Some(left), Some(right)) = (field("left"), field("right")) else {
                    return;
                };
                let value = self.expr(right);
                if left.kind() == "identifier" {
                    let name = self.source.text(left).to_owned();
                    out.push(Stmt::Update(name, value));
                } else {
                    self.bind(left, value, out);
                }
            }
            "import_statement" | "import_from_statement" => {
                self.import(node, out);
            }
            "for_statement" => {
                let vars = field("left").map(|l| self.names(l)).unwrap_or_default();
                let iter = field("right").map_or(Expr::Other, |r| self.expr(r));
                let mut body = field("body").map(|b| self.block(b)).unwrap_or_default();
                if let Some(alternative) = field("alternative") {
                    body.extend(self.block(alternative));
                }
                out.push(Stmt::Loop { vars, iter, body });
            }
            "while_statement" => {
                if let Some(condition) = field("condition") {
                    out.push(Stmt::Eval(self.expr(condition)));
                }
                let body = field("body").map(|b| self.block(b)).unwrap_or_default();
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
                let mut arms = vec![
                    field("consequence")
                        .map(|b| self.block(b))
                        .unwrap_or_default(),
                ];
                let mut cursor = node.walk();
                for alternative in node.children_by_field_name("alternative", &mut cursor) {
                    arms.push(self.block(alternative));
                }
                out.push(Stmt::Branch(arms));
            }
            "elif_clause"
            | "else_clause"
            | "except_clause"
            | "finally_clause"
            | "block"
            | "decorated_definition"
            | "case_clause"
            | "match_statement" => {
                // Walked as a plain block; their own conditions are only evaluated.
                out.push(Stmt::Branch(vec![self.block(node)]));
            }
            "try_statement" | "with_statement" | "class_definition" => {
                out.push(Stmt::Branch(vec![self.block(node)]));
            }
            "with_clause" => {
                let mut cursor = node.walk();
                for item in node.named_children(&mut cursor) {
                    if let Some(value) = item.child_by_field_name("value") {
                        if value.kind() == "as_pattern" {
                            let target = value
                                .child_by_field_name("alias")
                                .and_then(|a| a.named_child(0).or(Some(a)));
                            let expr = value.named_child(0).map_or(Expr::Other, |v| self.expr(v));
                            match target {
                                Some(target) => self.bind(target, expr, out),
                                None => out.push(Stmt::Eval(expr)),
                            }
                        } else {
                            out.push(Stmt::Eval(self.expr(value)));
                        }
                    }
                }
            }
            "function_definition" => {
                let name = field("name").map(|n| self.source.text(n).to_owned());
                let params = field("parameters")
                    .map(|p| self.parameters(p))
                    .unwrap_or_default();
                let body = field("body").map(|b| self.block(b)).unwrap_or_default();
                if let Some(name) = name {
                    out.push(Stmt::Def(std::rc::Rc::new(flow::Function {
                        name,
                        params,
                        body,
                    })));
                }
            }
            "return_statement" => {
                let value = node.named_child(0).map_or(Expr::Other, |v| self.expr(v));
                out.push(Stmt::Return(value));
            }
            "comment"
            | "pass_statement"
            | "break_statement"
            | "continue_statement"
            | "global_statement"
            | "nonlocal_statement"
            | "future_import_statement" => {}
            _ => out.push(Stmt::Eval(self.expr(node))),
        }
    }

    /// `x = v`, `a, b = v`, `x[k] = v`, `x.y = v`.
    fn bind(&mut self, target: Node, value: Expr, out: &mut Vec<Stmt>) {
        match target.kind() {
            "identifier" => out.push(Stmt::Let(self.source.text(target).to_owned(), value)),
            "subscript" | "attribute" => {
                let mut base = target;
                while let Some(inner) = base
                    .child_by_field_name("value")
                    .or_else(|| base.child_by_field_name("object"))
                {
                    base = inner;
                }
                if base.kind() == "identifier" {
                    out.push(Stmt::Update(self.source.text(base).to_owned(), value));
                } else {
                    out.push(Stmt::Eval(value));
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

    /// The names a target pattern binds.
    fn names(&self, node: Node) -> Vec<String> {
        let mut names = Vec::new();
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            if n.kind() == "identifier" {
                names.push(self.source.text(n).to_owned());
            } else if names.len() < 16 {
                // In order, so that `for i, b in enumerate(x)` unpacks `i` then `b`.
                let mut cursor = n.walk();
                let children: Vec<Node> = n.named_children(&mut cursor).collect();
                stack.extend(children.into_iter().rev());
            }
        }
        names
    }

    fn parameters(&self, node: Node) -> Vec<String> {
        let mut cursor = node.walk();
        node.named_children(&mut cursor)
            .filter_map(|p| match p.kind() {
                "identifier" => Some(self.source.text(p).to_owned()),
                _ => p
                    .child_by_field_name("name")
                    .or_else(|| p.named_child(0))
                    .filter(|n| n.kind() == "identifier")
                    .map(|n| self.source.text(n).to_owned()),
            })
            .collect()
    }

    fn import(&self, node: Node, out: &mut Vec<Stmt>) {
        let module = node
            .child_by_field_name("module_name")
            .map(|m| self.source.text(m).to_owned());
        let mut cursor = node.walk();
        for name in node.children_by_field_name("name", &mut cursor) {
            let (item, alias) = if name.kind() == "aliased_import" {
                (
                    name.child_by_field_name("name")
                        .map(|n| self.source.text(n).to_owned())
                        .unwrap_or_default(),
                    name.child_by_field_name("alias")
                        .map(|n| self.source.text(n).to_owned()),
                )
            } else {
                (self.source.text(name).to_owned(), None)
            };
            let (local, target) = match (&module, alias) {
                (Some(module), alias) => (
                    alias.unwrap_or_else(|| item.clone()),
                    format!("{module}.{item}"),
                ),
                (None, Some(alias)) => (alias, item),
                (None, None) => {
                    let top = item.split('.').next().unwrap_or("").to_owned();
                    (top.clone(), top)
                }
            };
            out.push(Stmt::Let(local, Expr::Module(target)));
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
                let mut parts = Vec::new();
                let mut cursor = node.walk();
                for child in node.named_children(&mut cursor) {
                    match child.kind() {
                        "string_content" => {
                            parts.push(Expr::Str(self.source.text(child).to_owned()))
                        }
                        "escape_sequence" => {
                            parts.push(Expr::Str(unescape(self.source.text(child))))
                        }
                        "interpolation" => parts.push(
                            child
                                .child_by_field_name("expression")
                                .map_or(Expr::Other, |e| self.expr(e)),
                        ),
                        _ => {}
                    }
                }
                match parts.len() {
                    0 => Expr::Str(String::new()),
                    1 if matches!(parts[0], Expr::Str(_)) => parts.remove(0),
                    _ => Expr::Concat(parts),
                }
            }
            "concatenated_string" => Expr::Concat(self.exprs(node)),
            "integer" => flow::parse_int(self.source.text(node)).map_or(Expr::Other, Expr::Int),
            "unary_operator" => match (
                field("operator").map(|o| self.source.text(o)),
                self.expr(field("argument").unwrap_or(node)),
            ) {
                (Some("-"), Expr::Int(n)) => Expr::Int(-n),
                (_, inner) => Expr::Opaque(vec![inner]),
            },
            "float" | "true" | "false" | "none" => Expr::Other,
            "identifier" => Expr::Var(self.source.text(node).to_owned()),
            "attribute" => {
                let attribute = field("attribute").map(|a| self.source.text(a).to_owned());
                Expr::Attr(boxed(self, "object"), attribute.unwrap_or_default())
            }
            "subscript" => {
                let key = match field("subscript") {
                    Some(k) if k.kind() != "slice" => self.expr(k),
                    // `s[::-1]`: the text backwards (the `reversed` row of the model table).
                    Some(k) if self.source.text(k).replace(' ', "") == "::-1" => {
                        return Expr::Call {
                            callee: Box::new(Expr::Var("reversed".into())),
                            args: vec![Arg {
                                key: None,
                                value: *boxed(self, "value"),
                            }],
                            at: self.source.at(node),
                        };
                    }
                    _ => Expr::Other,
                };
                if matches!(key, Expr::Other) {
                    // A slice keeps the value's secrets, not its text.
                    return Expr::Opaque(vec![*boxed(self, "value")]);
                }
                Expr::Index(boxed(self, "value"), Box::new(key))
            }
            "call" => {
                let callee = boxed(self, "function");
                let mut args = Vec::new();
                if let Some(generator) =
                    field("arguments").filter(|a| a.kind() == "generator_expression")
                {
                    // `bytes(b ^ 7 for b in data)`: the generator is the one argument.
                    args.push(Arg {
                        key: None,
                        value: self.expr(generator),
                    });
                } else if let Some(list) = field("arguments") {
                    let mut cursor = list.walk();
                    let children: Vec<Node> = list.named_children(&mut cursor).collect();
                    for arg in children {
                        if arg.kind() == "keyword_argument" {
                            let key = arg
                                .child_by_field_name("name")
                                .map(|n| self.source.text(n).to_owned());
                            let value = arg
                                .child_by_field_name("value")
                                .map_or(Expr::Other, |v| self.expr(v));
                            args.push(Arg { key, value });
                        } else if arg.kind() != "comment" {
                            let value = self.expr(arg);
                            args.push(Arg { key: None, value });
                        }
                    }
                }
                Expr::Call {
                    callee,
                    args,
                    at: self.source.at(node),
                }
            }
            "binary_operator" => {
                let op = field("operator").map(|o| self.source.text(o)).unwrap_or("");
                let (left, right) = (boxed(self, "left"), boxed(self, "right"));
                match op {
                    "+" => Expr::Concat(vec![*left, *right]),
                    "/" => Expr::Slash(left, right),
                    "%" => Expr::Percent(left, right),
                    "^" => Expr::Xor(left, right),
                    _ => Expr::Opaque(vec![*left, *right]),
                }
            }
            "boolean_operator" => Expr::Either(vec![*boxed(self, "left"), *boxed(self, "right")]),
            "conditional_expression" => {
                let parts = self.exprs(node);
                // `a if cond else b`: the first and last are the values.
                let mut parts = parts;
                if parts.len() == 3 {
                    parts.remove(1);
                }
                Expr::Either(parts)
            }
            "parenthesized_expression" | "await" | "expression_list"
                if node.named_child_count() == 1 =>
            {
                node.named_child(0).map_or(Expr::Other, |c| self.expr(c))
            }
            "list" | "tuple" | "set" | "expression_list" => {
                Expr::Build(self.exprs(node).into_iter().map(|e| (None, e)).collect())
            }
            "dictionary" => {
                let mut entries = Vec::new();
                let mut cursor = node.walk();
                let children: Vec<Node> = node.named_children(&mut cursor).collect();
                for pair in children {
                    if pair.kind() == "pair" {
                        let key = pair
                            .child_by_field_name("key")
                            .map(|k| self.source.text(k).trim_matches(['"', '\'']).to_owned());
                        let value = pair
                            .child_by_field_name("value")
                            .map_or(Expr::Other, |v| self.expr(v));
                        entries.push((key, value));
                    } else {
                        entries.push((None, Expr::Opaque(vec![self.expr(pair)])));
                    }
                }
                Expr::Build(entries)
            }
            "list_comprehension"
            | "generator_expression"
            | "set_comprehension"
            | "dictionary_comprehension" => {
                let body = field("body").map_or(Expr::Other, |b| self.expr(b));
                let mut cursor = node.walk();
                let clause = node
                    .named_children(&mut cursor)
                    .find(|c| c.kind() == "for_in_clause");
                match clause {
                    Some(clause) => Expr::Comprehension {
                        vars: clause
                            .child_by_field_name("left")
                            .map(|l| self.names(l))
                            .unwrap_or_default(),
                        iter: Box::new(
                            clause
                                .child_by_field_name("right")
                                .map_or(Expr::Other, |r| self.expr(r)),
                        ),
                        element: Box::new(body),
                    },
                    None => Expr::Opaque(vec![body]),
                }
            }
            "lambda" => {
                // `lambda c: c ^ 7`: a function of the file, for `map`.
                let params = field("parameters")
                    .map(|p| self.parameters(p))
                    .unwrap_or_default();
                let body = field("body").map_or(Expr::Other, |b| self.expr(b));
                Expr::Function(std::rc::Rc::new(flow::Function {
                    name: String::new(),
                    params,
                    body: vec![Stmt::Return(body)],
                }))
            }
            _ => Expr::Opaque(self.exprs(node)),
        }
    }
}
