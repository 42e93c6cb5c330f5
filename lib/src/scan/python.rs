//! Python through the tree-sitter Python grammar.
//!
//! Calls are resolved through the file's imports (`from os import system as s`,
//! `import subprocess as sp`, `__import__('os')`, `getattr(os, 'sys' + 'tem')`) and string
//! constants are folded (`'child_' + 'process'`, module-level `API = "https://…"`), so that
//! `subprocess.run(["git", "log"])` and `os.system(user_string)` are told apart.

use tree_sitter::Node;

use super::ast::{self, Field, Fold, Source};
use super::flow::{self, Arg, Expr, Lowerer as _, Stmt, unescape};
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
        source: Source::new(source, base, super::Grammar::Python),
        socket_at: None,
        dup2_at: None,
        spawns_shell: false,
        downloads: Vec::new(),
    };
    // One walk binds names and picks out what the rules look at; the rules run after it, so
    // that they see every constant and alias of the file.
    for node in py.read_tree(root) {
        match py.kind(node) {
            "call" => py.call(node, sink),
            "subscript" => py.environ_subscript(node, sink),
            "string" => py.string(node, sink),
            "list" | "tuple" => py.char_code_list(node, sink),
            "import_statement" | "import_from_statement" => py.native_import(node, sink),
            _ => {}
        }
    }
    if flow::worth_following(source, sink) {
        let mut lower = Lower {
            source: &py.source,
            depth: 0,
            deferred: Vec::new(),
        };
        let top = lower.block(root);
        lower.interpret(flow::Lang::Python, &top, sink);
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

/// A call as the rules see it.
struct CallSite<'t> {
    /// The callee, resolved through imports (`subprocess.run`).
    name: String,
    at: usize,
    args: Vec<Node<'t>>,
    positional: Vec<Node<'t>>,
    keywords: Vec<(String, Node<'t>)>,
}

impl<'t> CallSite<'t> {
    fn first(&self) -> Option<Node<'t>> {
        self.positional.first().copied()
    }

    fn keyword(&self, key: &str) -> Option<Node<'t>> {
        self.keywords
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| *v)
    }
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

impl<'s> Fold<'s> for Py<'s> {
    fn source(&self) -> &Source<'s> {
        &self.source
    }

    fn own_literal(&self, node: Node) -> Option<String> {
        match self.kind(node) {
            "string" => {
                let mut cursor = node.walk();
                let mut out = String::new();
                for child in node.named_children(&mut cursor) {
                    match self.kind(child) {
                        "string_content" => out.push_str(self.text(child)),
                        "string_start" | "string_end" => {}
                        // f"{home}/x" with `home` a known constant.
                        "interpolation" => {
                            out.push_str(&self.literal(self.field(child, Field::Expression)?)?)
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
            _ => None,
        }
    }

    fn own_literal_prefix(&self, node: Node) -> Option<String> {
        match self.kind(node) {
            "string" => {
                let mut cursor = node.walk();
                let mut out = String::new();
                for child in node.named_children(&mut cursor) {
                    match self.kind(child) {
                        "string_content" => out.push_str(self.text(child)),
                        "string_start" => {}
                        _ => break,
                    }
                }
                (!out.is_empty()).then_some(out)
            }
            "call" => {
                // "https://x/{}".format(…)
                let function = self.field(node, Field::Function)?;
                if self.kind(function) == "attribute" {
                    return self.literal_prefix(self.field(function, Field::Object)?);
                }
                None
            }
            _ => None,
        }
    }

    /// `getattr(os, 'sys' + 'tem')`, `__import__('os')`.
    fn own_qualified(&self, node: Node) -> Option<String> {
        if self.kind(node) != "call" {
            return None;
        }
        let function = self.qualified(self.field(node, Field::Function)?)?;
        let args = self.field(node, Field::Arguments)?;
        if function == "getattr" {
            let object = self.qualified(args.named_child(0)?)?;
            let name = self.literal(args.named_child(1)?)?;
            return Some(format!("{object}.{name}"));
        }
        self.module_expression(node)
    }
}

impl Py<'_> {
    /// Binds the file's imports and constants in document order (a constant can build on one
    /// bound before it) and returns the nodes the rules look at, in the same order.
    fn read_tree<'t>(&mut self, root: Node<'t>) -> Vec<Node<'t>> {
        let mut picked = Vec::new();
        ast::visit_named(root, |node| {
            let kind = self.kind(node);
            match kind {
                "call" | "subscript" | "string" | "list" | "tuple" => picked.push(node),
                "import_statement" | "import_from_statement" => {
                    picked.push(node);
                    self.bind_import(node, kind);
                }
                "assignment" => self.bind_assignment(node),
                _ => {}
            }
        });
        picked
    }

    fn bind_import(&mut self, node: Node, kind: &str) {
        match kind {
            "import_statement" => {
                for name in self.syntax.fields(node, Field::Name) {
                    let (module, alias) = self.import_name(name);
                    let local =
                        alias.unwrap_or_else(|| module.split('.').next().unwrap_or("").to_owned());
                    let target = if self.kind(name) == "aliased_import" {
                        module.clone()
                    } else {
                        local.clone()
                    };
                    self.source.aliases.insert(local, target);
                }
            }
            "import_from_statement" => {
                let module = self
                    .field(node, Field::ModuleName)
                    .map(|m| self.text(m).to_owned())
                    .unwrap_or_default();
                for name in self.syntax.fields(node, Field::Name) {
                    let (item, alias) = self.import_name(name);
                    let local = alias.unwrap_or_else(|| item.clone());
                    self.source
                        .aliases
                        .insert(local, format!("{module}.{item}"));
                }
            }
            _ => {}
        }
    }

    /// `NAME = constant`, `NAME = path`, `NAME = __import__('os')`.
    fn bind_assignment(&mut self, node: Node) {
        if let (Some(left), Some(right)) = (
            self.field(node, Field::Left),
            self.field(node, Field::Right),
        ) && self.kind(left) == "identifier"
        {
            // Paths count as constants too: `home = os.path.expanduser("~")`.
            if let Some(value) = self.literal(right).or_else(|| self.path_value(right)) {
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

    fn import_name(&self, node: Node) -> (String, Option<String>) {
        if self.kind(node) == "aliased_import" {
            let name = self
                .field(node, Field::Name)
                .map(|n| self.text(n).to_owned())
                .unwrap_or_default();
            let alias = self
                .field(node, Field::Alias)
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
        if self.kind(node) != "call" {
            return None;
        }
        let function = self.qualified(self.field(node, Field::Function)?)?;
        if function == "__import__" || function == "importlib.import_module" {
            let first = self.field(node, Field::Arguments)?.named_child(0)?;
            return self.literal(first);
        }
        None
    }

    /// `base64.b64decode('…').decode()` of a constant: the decoded text.
    fn decoded_literal(&self, node: Node) -> Option<String> {
        let function = self.field(node, Field::Function)?;
        if self.kind(function) != "attribute"
            || self.text(self.field(function, Field::Attribute)?) != "decode"
        {
            return None;
        }
        let inner = self.field(function, Field::Object)?;
        if self.kind(inner) != "call" {
            return None;
        }
        let decoder = self.qualified(self.field(inner, Field::Function)?)?;
        if !matches!(
            decoder.as_str(),
            "base64.b64decode" | "base64.standard_b64decode" | "base64.urlsafe_b64decode"
        ) {
            return None;
        }
        let blob = self.literal(self.field(inner, Field::Arguments)?.named_child(0)?)?;
        text::decode_base64_text(&blob)
    }

    /// A call, through one small function per rule.
    fn call(&mut self, node: Node, sink: &mut Sink) {
        let Some(function) = self.field(node, Field::Function) else {
            return;
        };
        self.path_method(node, function, sink);
        let Some(name) = self.qualified(function) else {
            return;
        };
        let call = self.call_site(node, name);
        self.download_saved(&call);
        self.command_run(&call, sink);
        self.code_evaluated(&call, sink);
        self.network_used(&call, sink);
        self.environment_serialized(&call, sink);
        self.environment_read(&call, sink);
        self.reverse_shell_part(&call);
        self.file_opened(&call, sink);
        self.credential_path_built(&call, sink);
        self.native_code_loaded(&call, sink);
    }

    /// `(Path.home() / ".ssh" / "id_rsa").read_bytes()`: a method of a path value.
    fn path_method(&self, node: Node, function: Node, sink: &mut Sink) {
        if self.kind(function) == "attribute"
            && let Some(method) = self.field(function, Field::Attribute).map(|m| self.text(m))
            && matches!(
                method,
                "read_bytes" | "read_text" | "open" | "write_text" | "write_bytes"
            )
            && let Some(object) = self.field(function, Field::Object)
            && self.kind(object) != "identifier"
            && let Some(path) = self.path_value(object)
        {
            if method.starts_with("write") {
                text::report_write(&path, self.at(node), None, sink);
            } else {
                text::report_read(&path, self.at(node), sink);
            }
        }
    }

    fn call_site<'t>(&self, node: Node<'t>, name: String) -> CallSite<'t> {
        let args: Vec<Node> = self
            .field(node, Field::Arguments)
            .map(|a| {
                let mut cursor = a.walk();
                a.named_children(&mut cursor).collect()
            })
            .unwrap_or_default();
        let positional = args
            .iter()
            .copied()
            .filter(|a| self.kind(*a) != "keyword_argument")
            .collect();
        let keywords = args
            .iter()
            .filter(|a| self.kind(**a) == "keyword_argument")
            .filter_map(|a| {
                Some((
                    self.text(self.field(*a, Field::Name)?).to_owned(),
                    self.field(*a, Field::Value)?,
                ))
            })
            .collect();
        CallSite {
            name,
            at: self.at(node),
            args,
            positional,
            keywords,
        }
    }

    /// `urlretrieve(url, path)`: remembered, running the file later is download-and-execute.
    fn download_saved(&mut self, call: &CallSite) {
        if matches!(
            call.name.as_str(),
            "urllib.request.urlretrieve" | "urllib.urlretrieve" | "wget.download"
        ) && let Some(path) = call
            .positional
            .get(1)
            .copied()
            .or_else(|| call.keyword("filename"))
            .or_else(|| call.keyword("out"))
            .and_then(|p| self.path_value(p))
        {
            let url = call.first().and_then(|u| self.literal_prefix(u));
            self.downloads.push((path, url));
        }
    }

    /// `subprocess.run([...])`, `os.system("…")`: the command is scanned as shell.
    fn command_run(&mut self, call: &CallSite, sink: &mut Sink) {
        let short = call.name.as_str();
        if !EXEC_CALLS.contains(&short) {
            return;
        }
        self.downloaded_run(call.first(), short, call.at, sink);
        let shell_true = call
            .keyword("shell")
            .is_some_and(|v| self.text(v) == "True");
        self.exec_call(
            short,
            call.first(),
            shell_true || SHELL_STRING_CALLS.contains(&short),
            call.at,
            sink,
        );
    }

    /// `eval`, `exec`, `pickle.loads`…: of downloaded, decoded or computed code.
    fn code_evaluated(&self, call: &CallSite, sink: &mut Sink) {
        let short = call.name.as_str();
        let arg = call.first();
        if !(DYNAMIC_CALLS.contains(&short)
            || (matches!(short, "importlib.import_module" | "__import__")
                && arg.is_some_and(|a| self.literal(a).is_none())))
        {
            return;
        }
        if arg.is_some_and(|a| self.contains_call(a, NETWORK_CALLS)) {
            sink.emit(
                rules::EXEC_REMOTE_CODE,
                call.at,
                format!("{short} runs code downloaded over the network"),
                None,
            );
        } else if arg.is_some_and(|a| self.contains_call(a, DECODE_CALLS)) {
            sink.emit(
                rules::EXEC_DECODE_AND_RUN,
                call.at,
                format!("{short} runs decoded data"),
                None,
            );
        } else if !(matches!(short, "eval" | "exec" | "compile")
            && arg.is_some_and(|a| self.literal(a).is_some()))
        {
            sink.emit(
                rules::DYNAMIC_CODE,
                call.at,
                format!("{short} evaluates code built at run time"),
                None,
            );
        }
    }

    /// A request or connection: its host, and the whole environment sent with it.
    fn network_used(&self, call: &CallSite, sink: &mut Sink) {
        let short = call.name.as_str();
        if !(NETWORK_CALLS.contains(&short)
            || short.starts_with("requests.Session")
            || short.ends_with(".urlopen"))
        {
            return;
        }
        sink.note_network();
        let url = call.first().or_else(|| call.keyword("url"));
        let host = url.and_then(|u| self.literal_prefix(u)).and_then(|p| {
            knowledge::host_of(&p).or_else(|| {
                (short.starts_with("http.client")
                    || short == "ftplib.FTP"
                    || short.starts_with("smtplib"))
                .then(|| p.to_ascii_lowercase())
            })
        });
        let whole_env = call.args.iter().filter(|a| self.mentions_environ(**a));
        let whole_env: Vec<usize> = whole_env.map(|a| self.at(*a)).collect();
        sink.network_call(short, call.at, host, &whole_env);
    }

    /// `json.dumps(os.environ)`, `print(dict(os.environ))`.
    fn environment_serialized(&self, call: &CallSite, sink: &mut Sink) {
        let short = call.name.as_str();
        if matches!(
            short,
            "json.dumps" | "json.dump" | "print" | "str" | "repr" | "pprint.pprint"
        ) && call.first().is_some_and(|a| self.is_whole_environ(a))
        {
            sink.emit(
                rules::ENV_DUMP,
                call.at,
                format!("{short} serializes the whole environment"),
                Some("*".into()),
            );
            sink.note_env_dump(call.at);
        }
    }

    /// `os.getenv("NAME")`.
    fn environment_read(&self, call: &CallSite, sink: &mut Sink) {
        if matches!(
            call.name.as_str(),
            "os.getenv" | "os.environ.get" | "os.environ.setdefault" | "os.environ.pop"
        ) && let Some(var) = call.first().and_then(|a| self.literal(a))
        {
            sink.emit(rules::USES_ENV, call.at, format!("reads ${var}"), Some(var));
        }
    }

    /// The parts of a reverse shell (a socket, `os.dup2`, a shell spawned), reported together
    /// once the file is read.
    fn reverse_shell_part(&mut self, call: &CallSite) {
        let short = call.name.as_str();
        if matches!(short, "socket.socket" | "socket.create_connection") {
            self.socket_at.get_or_insert(call.at);
        }
        if short == "os.dup2" {
            self.dup2_at.get_or_insert(call.at);
        }
        if short == "pty.spawn"
            || (EXEC_CALLS.contains(&short)
                && call.first().is_some_and(|a| {
                    let t = self.text(a);
                    t.contains("/bin/sh")
                        || t.contains("/bin/bash")
                        || t.contains("\"sh\"")
                        || t.contains("'sh'")
                        || t.contains("\"-i\"")
                }))
        {
            self.spawns_shell = true;
        }
    }

    /// `open(path, mode)`: a read or a write of a known path.
    fn file_opened(&self, call: &CallSite, sink: &mut Sink) {
        if matches!(
            call.name.as_str(),
            "open" | "io.open" | "codecs.open" | "builtins.open"
        ) && let Some(path) = call.first().and_then(|a| self.path_value(a))
        {
            let mode = call
                .positional
                .get(1)
                .copied()
                .or_else(|| call.keyword("mode"))
                .and_then(|m| self.literal(m))
                .unwrap_or_else(|| "r".into());
            if mode.contains(['w', 'a', 'x', '+']) {
                text::report_write(&path, call.at, None, sink);
            } else {
                text::report_read(&path, call.at, sink);
            }
        }
    }

    /// `os.path.join(home, ".ssh", "id_rsa")`: the path of a credential built.
    fn credential_path_built(&self, call: &CallSite, sink: &mut Sink) {
        if !matches!(
            call.name.as_str(),
            "os.path.join" | "pathlib.Path" | "Path" | "os.path.expanduser"
        ) {
            return;
        }
        let parts: Option<Vec<String>> = call
            .positional
            .iter()
            .map(|a| self.path_value(*a))
            .collect();
        if let Some(parts) = parts {
            let joined = parts.join("/");
            if let Some(hit) = knowledge::sensitive_path(&joined) {
                sink.emit(
                    rules::CRED_SENSITIVE_PATH,
                    call.at,
                    format!("builds the path of {hit}"),
                    Some(joined),
                );
                sink.note_credential(call.at);
            }
        }
    }

    /// `ctypes.CDLL(…)`.
    fn native_code_loaded(&self, call: &CallSite, sink: &mut Sink) {
        let short = call.name.as_str();
        if matches!(
            short,
            "ctypes.CDLL" | "ctypes.cdll.LoadLibrary" | "ctypes.WinDLL" | "cffi.FFI"
        ) {
            sink.emit(
                rules::NATIVE_CODE,
                call.at,
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
        let first = if matches!(self.kind(program), "list" | "tuple") {
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
        match self.kind(node) {
            "call" => {
                let function = self.qualified(self.field(node, Field::Function)?)?;
                let first = self.field(node, Field::Arguments)?.named_child(0);
                if matches!(function.as_str(), "pathlib.Path.home" | "Path.home") {
                    return Some("~".into());
                }
                let first = first?;
                match function.as_str() {
                    "os.path.expanduser" | "pathlib.Path" | "Path" | "os.path.expandvars" => {
                        self.literal(first)
                    }
                    "os.path.join" => {
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
            "parenthesized_expression" => self.path_value(node.named_child(0)?),
            "binary_operator" => {
                let op = self.field(node, Field::Operator).map(|o| self.text(o))?;
                if op != "/" {
                    return None;
                }
                // `Path.home() / ".ssh" / "id_rsa"`: the left side is a path value itself.
                let left = self.field(node, Field::Left)?;
                let left = match self.path_value(left) {
                    Some(left) => left,
                    None if self.text(left).contains("home()") => "~".to_owned(),
                    None => return None,
                };
                Some(format!(
                    "{left}/{}",
                    self.path_value(self.field(node, Field::Right)?)?
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
        match self.kind(first) {
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
        ast::any_named(node, |n| {
            self.kind(n) == "call"
                && self
                    .field(n, Field::Function)
                    .and_then(|f| self.qualified(f))
                    .is_some_and(|f| {
                        names.contains(&f.as_str())
                            || names.iter().any(|name| {
                                f.ends_with(&format!(
                                    ".{}",
                                    name.rsplit('.').next().unwrap_or(name)
                                )) && name.contains("urlopen")
                            })
                    })
        })
    }

    fn is_whole_environ(&self, node: Node) -> bool {
        let text = self.text(node);
        let qualified = self.qualified(node);
        qualified.as_deref() == Some("os.environ")
            || matches!(
                text,
                "dict(os.environ)" | "os.environ.copy()" | "{**os.environ}"
            )
            || (self.kind(node) == "call"
                && self.mentions_environ(node)
                && !text.contains(".get(")
                && !text.contains('['))
    }

    /// Whether the whole environment (not one variable of it) flows into `node`.
    fn mentions_environ(&self, node: Node) -> bool {
        ast::any_named(node, |n| {
            if self.kind(n) != "attribute" || self.qualified(n).as_deref() != Some("os.environ") {
                return false;
            }
            let one_variable = n.parent().is_some_and(|p| {
                self.kind(p) == "subscript"
                    || (self.kind(p) == "attribute"
                        && p.parent().is_some_and(|g| {
                            self.kind(g) == "call" && self.text(p).ends_with(".get")
                        }))
            });
            !one_variable
        })
    }

    fn environ_subscript(&self, node: Node, sink: &mut Sink) {
        let Some(value) = self.field(node, Field::Value) else {
            return;
        };
        if self.qualified(value).as_deref() != Some("os.environ") {
            return;
        }
        if let Some(var) = self
            .field(node, Field::Subscript)
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
                (self.kind(c) == "integer")
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
        self.block(body)
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

    fn statement(&mut self, node: Node<'t>, out: &mut Vec<Stmt>) {
        let source = self.source;
        let field = |name: Field| source.field(node, name);
        match self.source.kind(node) {
            "expression_statement" => {
                let mut cursor = node.walk();
                for child in node.named_children(&mut cursor) {
                    self.statement(child, out);
                }
            }
            "assignment" => {
                let (Some(left), Some(right)) = (field(Field::Left), field(Field::Right)) else {
                    return;
                };
                let value = self.expr(right);
                self.bind(left, value, out);
            }
            "augmented_assignment" => {
                let (Some(left), Some(right)) = (field(Field::Left), field(Field::Right)) else {
                    return;
                };
                let value = self.expr(right);
                if self.source.kind(left) == "identifier" {
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
                let vars = field(Field::Left)
                    .map(|l| self.names(l))
                    .unwrap_or_default();
                let iter = field(Field::Right).map_or(Expr::Other, |r| self.expr(r));
                let mut body = field(Field::Body)
                    .map(|b| self.block(b))
                    .unwrap_or_default();
                if let Some(alternative) = field(Field::Alternative) {
                    body.extend(self.block(alternative));
                }
                out.push(Stmt::Loop { vars, iter, body });
            }
            "while_statement" => {
                if let Some(condition) = field(Field::Condition) {
                    out.push(Stmt::Eval(self.expr(condition)));
                }
                let body = field(Field::Body)
                    .map(|b| self.block(b))
                    .unwrap_or_default();
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
                let mut arms = vec![
                    field(Field::Consequence)
                        .map(|b| self.block(b))
                        .unwrap_or_default(),
                ];
                for alternative in self.source.syntax.fields(node, Field::Alternative) {
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
                    if let Some(value) = self.source.field(item, Field::Value) {
                        if self.source.kind(value) == "as_pattern" {
                            let target = self
                                .source
                                .field(value, Field::Alias)
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
                let name = field(Field::Name).map(|n| self.source.text(n).to_owned());
                let params = field(Field::Parameters)
                    .map(|p| self.parameters(p))
                    .unwrap_or_default();
                if let Some(name) = name {
                    let body = match field(Field::Body) {
                        Some(body) => self.defer(body),
                        None => flow::Body::lowered(Vec::new()),
                    };
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
    fn bind(&mut self, target: Node<'t>, value: Expr, out: &mut Vec<Stmt>) {
        match self.source.kind(target) {
            "identifier" => out.push(Stmt::Let(self.source.text(target).to_owned(), value)),
            "subscript" | "attribute" => {
                let mut base = target;
                while let Some(inner) = self
                    .source
                    .field(base, Field::Value)
                    .or_else(|| self.source.field(base, Field::Object))
                {
                    base = inner;
                }
                if self.source.kind(base) == "identifier" {
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
    fn names(&self, node: Node<'t>) -> Vec<String> {
        let mut names = Vec::new();
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            if self.source.kind(n) == "identifier" {
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

    fn parameters(&self, node: Node<'t>) -> Vec<String> {
        let mut cursor = node.walk();
        node.named_children(&mut cursor)
            .filter_map(|p| match self.source.kind(p) {
                "identifier" => Some(self.source.text(p).to_owned()),
                _ => self
                    .source
                    .field(p, Field::Name)
                    .or_else(|| p.named_child(0))
                    .filter(|n| self.source.kind(*n) == "identifier")
                    .map(|n| self.source.text(n).to_owned()),
            })
            .collect()
    }

    fn import(&self, node: Node<'t>, out: &mut Vec<Stmt>) {
        let module = self
            .source
            .field(node, Field::ModuleName)
            .map(|m| self.source.text(m).to_owned());
        for name in self.source.syntax.fields(node, Field::Name) {
            let (item, alias) = if self.source.kind(name) == "aliased_import" {
                (
                    self.source
                        .field(name, Field::Name)
                        .map(|n| self.source.text(n).to_owned())
                        .unwrap_or_default(),
                    self.source
                        .field(name, Field::Alias)
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

    fn expr_inner(&mut self, node: Node<'t>) -> Expr {
        let source = self.source;
        let field = |name: Field| source.field(node, name);
        let boxed = |this: &mut Self, name: Field| -> Box<Expr> {
            Box::new(field(name).map_or(Expr::Other, |n| this.expr(n)))
        };
        match self.source.kind(node) {
            "string" => {
                let mut parts = Vec::new();
                let mut cursor = node.walk();
                for child in node.named_children(&mut cursor) {
                    match self.source.kind(child) {
                        "string_content" => {
                            parts.push(Expr::Str(self.source.text(child).to_owned()))
                        }
                        "escape_sequence" => {
                            parts.push(Expr::Str(unescape(self.source.text(child))))
                        }
                        "interpolation" => parts.push(
                            self.source
                                .field(child, Field::Expression)
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
                field(Field::Operator).map(|o| self.source.text(o)),
                self.expr(field(Field::Argument).unwrap_or(node)),
            ) {
                (Some("-"), Expr::Int(n)) => Expr::Int(-n),
                (_, inner) => Expr::Opaque(vec![inner]),
            },
            "float" | "true" | "false" | "none" => Expr::Other,
            "identifier" => Expr::Var(self.source.text(node).to_owned()),
            "attribute" => {
                let attribute = field(Field::Attribute).map(|a| self.source.text(a).to_owned());
                Expr::Attr(boxed(self, Field::Object), attribute.unwrap_or_default())
            }
            "subscript" => {
                let key = match field(Field::Subscript) {
                    Some(k) if self.source.kind(k) != "slice" => self.expr(k),
                    // `s[::-1]`: the text backwards (the `reversed` row of the model table).
                    Some(k) if self.source.text(k).replace(' ', "") == "::-1" => {
                        return Expr::Call {
                            callee: Box::new(Expr::Var("reversed".into())),
                            args: vec![Arg {
                                key: None,
                                value: *boxed(self, Field::Value),
                            }],
                            at: self.source.at(node),
                        };
                    }
                    _ => Expr::Other,
                };
                if matches!(key, Expr::Other) {
                    // A slice keeps the value's secrets, not its text.
                    return Expr::Opaque(vec![*boxed(self, Field::Value)]);
                }
                Expr::Index(boxed(self, Field::Value), Box::new(key))
            }
            "call" => {
                let callee = boxed(self, Field::Function);
                let mut args = Vec::new();
                if let Some(generator) = field(Field::Arguments)
                    .filter(|a| self.source.kind(*a) == "generator_expression")
                {
                    // `bytes(b ^ 7 for b in data)`: the generator is the one argument.
                    args.push(Arg {
                        key: None,
                        value: self.expr(generator),
                    });
                } else if let Some(list) = field(Field::Arguments) {
                    let mut cursor = list.walk();
                    for arg in list.named_children(&mut cursor) {
                        if self.source.kind(arg) == "keyword_argument" {
                            let key = self
                                .source
                                .field(arg, Field::Name)
                                .map(|n| self.source.text(n).to_owned());
                            let value = self
                                .source
                                .field(arg, Field::Value)
                                .map_or(Expr::Other, |v| self.expr(v));
                            args.push(Arg { key, value });
                        } else if self.source.kind(arg) != "comment" {
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
                let op = field(Field::Operator)
                    .map(|o| self.source.text(o))
                    .unwrap_or("");
                let (left, right) = (boxed(self, Field::Left), boxed(self, Field::Right));
                match op {
                    "+" => Expr::Concat(vec![*left, *right]),
                    "/" => Expr::Slash(left, right),
                    "%" => Expr::Percent(left, right),
                    "^" => Expr::Xor(left, right),
                    _ => Expr::Opaque(vec![*left, *right]),
                }
            }
            "boolean_operator" => {
                Expr::Either(vec![*boxed(self, Field::Left), *boxed(self, Field::Right)])
            }
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
                for pair in node.named_children(&mut cursor) {
                    if self.source.kind(pair) == "pair" {
                        let key = self
                            .source
                            .field(pair, Field::Key)
                            .map(|k| self.source.text(k).trim_matches(['"', '\'']).to_owned());
                        let value = self
                            .source
                            .field(pair, Field::Value)
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
                let body = field(Field::Body).map_or(Expr::Other, |b| self.expr(b));
                let mut cursor = node.walk();
                let clause = node
                    .named_children(&mut cursor)
                    .find(|c| self.source.kind(*c) == "for_in_clause");
                match clause {
                    Some(clause) => Expr::Comprehension {
                        vars: self
                            .source
                            .field(clause, Field::Left)
                            .map(|l| self.names(l))
                            .unwrap_or_default(),
                        iter: Box::new(
                            self.source
                                .field(clause, Field::Right)
                                .map_or(Expr::Other, |r| self.expr(r)),
                        ),
                        element: Box::new(body),
                    },
                    None => Expr::Opaque(vec![body]),
                }
            }
            "lambda" => {
                // `lambda c: c ^ 7`: a function of the file, for `map`.
                let params = field(Field::Parameters)
                    .map(|p| self.parameters(p))
                    .unwrap_or_default();
                let body = field(Field::Body).map_or(Expr::Other, |b| self.expr(b));
                Expr::Function(std::rc::Rc::new(flow::Function {
                    name: String::new(),
                    params,
                    body: flow::Body::lowered(vec![Stmt::Return(body)]),
                }))
            }
            _ => Expr::Opaque(self.exprs(node)),
        }
    }
}
