//! Shell (sh, bash, zsh) through the tree-sitter bash grammar.
//!
//! Shell is where most Skill attacks happen, in scripts and in `SKILL.md` code blocks alike, so
//! every other analyser hands command strings here. It reads simple commands with their
//! arguments, pipelines, substitutions and redirections, and reports what they do: downloads
//! piped into interpreters (graded by who hosts them), decode-and-run, reverse shells,
//! persistence, privilege changes, quarantine removal, password dialogs, credential access, and
//! the capabilities used (programs, hosts, environment variables, files written).

use std::collections::HashSet;

use tree_sitter::Node;

use super::finding::Severity;
use super::knowledge::{self, Source};
use super::rules;
use super::sink::Sink;
use super::text;

/// How deep `sh -c '…'` strings are followed.
const MAX_NESTING: u8 = 3;
/// Larger inputs get only the text rules.
pub const MAX_PARSE_BYTES: usize = 1 << 20;

/// A word of a command, as far as it is known statically.
#[derive(Debug, Clone)]
struct Word {
    text: String,
    literal: bool,
    offset: usize,
}

/// A simple command after prefixes such as `sudo` and `env X=1` are removed.
struct Command<'t> {
    node: Node<'t>,
    name: Option<String>,
    name_literal: bool,
    args: Vec<Word>,
    offset: usize,
}

/// Scans shell `source`, which sits at byte `base` of the sink's file. Returns whether the
/// parser had to skip parts it could not read.
pub(crate) fn scan(source: &str, base: usize, sink: &mut Sink, nesting: u8) -> bool {
    if source.len() > MAX_PARSE_BYTES {
        return true;
    }
    let Some(tree) = super::parse(super::Grammar::Bash, source) else {
        return true;
    };
    let root = tree.root_node();
    let analysis = Analysis {
        src: source.as_bytes(),
        base,
        nesting,
        assigned: assigned_names(root, source.as_bytes()),
        downloads: std::cell::RefCell::new(Vec::new()),
    };
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        match node.kind() {
            "pipeline" => analysis.pipeline(node, sink),
            "command" => analysis.command(node, sink),
            "file_redirect" => analysis.redirect(node, sink),
            "simple_expansion" | "expansion" => analysis.expansion(node, sink),
            _ => {}
        }
        let mut cursor = node.walk();
        let children: Vec<Node> = node.named_children(&mut cursor).collect();
        stack.extend(children.into_iter().rev());
    }
    root.has_error()
}

struct Analysis<'s> {
    src: &'s [u8],
    base: usize,
    nesting: u8,
    assigned: HashSet<String>,
    /// Files a downloader wrote (`curl -o F URL`, `wget -O F`, `curl URL > F`), with the URL:
    /// running one later is download-and-execute.
    downloads: std::cell::RefCell<Vec<(String, Option<String>)>>,
}

impl Analysis<'_> {
    fn text(&self, node: Node) -> &str {
        node.utf8_text(self.src).unwrap_or("")
    }

    fn at(&self, node: Node) -> usize {
        self.base + node.start_byte()
    }

    fn word(&self, node: Node) -> Word {
        let raw = self.text(node);
        let (text, literal) = match node.kind() {
            "word" | "number" => (raw.replace('\\', ""), true),
            "raw_string" => (raw.trim_matches('\'').to_owned(), true),
            "ansi_c_string" => (
                raw.trim_start_matches('$').trim_matches('\'').to_owned(),
                true,
            ),
            "string" => {
                let mut cursor = node.walk();
                let dynamic = node
                    .named_children(&mut cursor)
                    .any(|c| !matches!(c.kind(), "string_content"));
                (raw.trim_matches('"').to_owned(), !dynamic)
            }
            "concatenation" => {
                let mut cursor = node.walk();
                let parts: Vec<Word> = node
                    .named_children(&mut cursor)
                    .map(|c| self.word(c))
                    .collect();
                (
                    parts.iter().map(|p| p.text.as_str()).collect(),
                    parts.iter().all(|p| p.literal),
                )
            }
            _ => (raw.to_owned(), false),
        };
        Word {
            text,
            literal,
            offset: self.at(node),
        }
    }

    fn parse_command<'t>(&self, node: Node<'t>) -> Command<'t> {
        let mut cursor = node.walk();
        let name_node = node.child_by_field_name("name");
        let mut words: Vec<Word> = Vec::new();
        if let Some(name) = name_node {
            words.push(self.word(name.named_child(0).unwrap_or(name)));
        }
        words.extend(
            node.children_by_field_name("argument", &mut cursor)
                .map(|a| self.word(a)),
        );
        // Prefixes that run the rest as a command.
        while let Some(first) = words.first() {
            let name = knowledge::program_name(&first.text);
            let skip_options = matches!(
                name.as_str(),
                "sudo"
                    | "doas"
                    | "nohup"
                    | "time"
                    | "exec"
                    | "command"
                    | "builtin"
                    | "env"
                    | "nice"
                    | "stdbuf"
                    | "xargs"
                    | "timeout"
            );
            if !skip_options || words.len() == 1 {
                break;
            }
            words.remove(0);
            while words.first().is_some_and(|w| {
                w.text.starts_with('-')
                    || (name == "env" && w.text.contains('='))
                    || (name == "timeout"
                        && w.text.chars().next().is_some_and(|c| c.is_ascii_digit()))
            }) {
                words.remove(0);
            }
        }
        let (name, name_literal, offset) = match words.first() {
            Some(w) => (Some(knowledge::program_name(&w.text)), w.literal, w.offset),
            None => (None, true, self.at(node)),
        };
        let args = if words.is_empty() {
            Vec::new()
        } else {
            words[1..].to_vec()
        };
        Command {
            node,
            name,
            name_literal,
            args,
            offset,
        }
    }

    fn command(&self, node: Node, sink: &mut Sink) {
        let cmd = self.parse_command(node);
        let Some(name) = cmd.name.clone() else { return };
        if !cmd.name_literal {
            if name.starts_with('$') {
                sink.emit(
                    rules::EXEC_COMPUTED_SHELL,
                    cmd.offset,
                    format!("runs a program named by {name}"),
                    Some("*".into()),
                );
            }
        } else if !knowledge::SHELL_BUILTINS.contains(&name.as_str()) && is_plausible_program(&name)
        {
            sink.emit(
                rules::USES_EXEC,
                cmd.offset,
                format!("runs {name}"),
                Some(name.clone()),
            );
        }
        let has = |flag: &str| cmd.args.iter().any(|a| a.text == flag);
        let any_arg = |pred: &dyn Fn(&str) -> bool| cmd.args.iter().any(|a| pred(&a.text));
        let joined: String = cmd
            .args
            .iter()
            .map(|a| a.text.as_str())
            .collect::<Vec<_>>()
            .join(" ");

        if knowledge::DOWNLOADERS.contains(&name.as_str())
            || name == "git"
            || name == "nc"
            || name == "ncat"
        {
            self.network_hosts(&cmd, sink);
        }
        if knowledge::DOWNLOADERS.contains(&name.as_str())
            && let Some(target) = Self::download_target(&cmd)
        {
            let url = cmd
                .args
                .iter()
                .find_map(|a| knowledge::urls(&a.text).first().map(|(_, u)| u.to_string()));
            self.downloads.borrow_mut().push((target, url));
        }
        self.downloaded_run(&cmd, &name, sink);
        match name.as_str() {
            "xattr"
                if joined.contains("com.apple.quarantine")
                    || any_arg(&|a| a == "-c" || a == "-cr" || a == "-rc") =>
            {
                sink.emit(
                    rules::EVADE_QUARANTINE,
                    cmd.offset,
                    "removes the quarantine flag macOS uses to check downloaded programs",
                    Some("xattr".into()),
                );
            }
            "osascript" if joined.to_ascii_lowercase().contains("hidden answer") => {
                sink.emit(
                    rules::PHISH_PASSWORD_DIALOG,
                    cmd.offset,
                    "shows a password dialog with a hidden answer",
                    Some("osascript".into()),
                );
            }
            "nc" | "ncat" | "netcat"
                if has("-e") || has("-c") || any_arg(&|a| a.starts_with("-e") && a.len() > 2) =>
            {
                sink.emit(
                    rules::NET_REVERSE_SHELL,
                    cmd.offset,
                    "netcat with -e/-c wires a program to a network connection",
                    None,
                );
            }
            "socat"
                if any_arg(&|a| {
                    a.to_ascii_lowercase().contains("exec:")
                        || a.to_ascii_lowercase().contains("system:")
                }) =>
            {
                sink.emit(
                    rules::NET_REVERSE_SHELL,
                    cmd.offset,
                    "socat runs a program over a network connection",
                    None,
                );
            }
            "crontab" if !(cmd.args.len() == 1 && has("-l")) => {
                sink.emit_with(
                    rules::PERSISTENCE,
                    Severity::Medium,
                    cmd.offset,
                    "installs a cron job",
                    Some("crontab".into()),
                );
            }
            "launchctl"
                if any_arg(&|a| matches!(a, "load" | "bootstrap" | "enable" | "submit")) =>
            {
                sink.emit_with(
                    rules::PERSISTENCE,
                    Severity::Medium,
                    cmd.offset,
                    "registers a launchd job",
                    Some("launchd".into()),
                );
            }
            "systemctl" if has("enable") => {
                sink.emit_with(
                    rules::PERSISTENCE,
                    Severity::Medium,
                    cmd.offset,
                    "enables a systemd unit at boot or login",
                    Some("systemd".into()),
                );
            }
            "schtasks" if any_arg(&|a| a.eq_ignore_ascii_case("/create")) => {
                sink.emit_with(
                    rules::PERSISTENCE,
                    Severity::Medium,
                    cmd.offset,
                    "creates a scheduled task",
                    Some("schtasks".into()),
                );
            }
            "reg" if joined.to_ascii_lowercase().contains("currentversion\\run") => {
                sink.emit(
                    rules::PERSISTENCE,
                    cmd.offset,
                    "adds a Windows Run key",
                    Some("registry".into()),
                );
            }
            "chmod" if any_arg(&is_setuid_mode) => {
                sink.emit(
                    rules::PRIV_ESCALATION,
                    cmd.offset,
                    "sets the setuid or setgid bit",
                    None,
                );
            }
            "visudo" => sink.emit(rules::PRIV_ESCALATION, cmd.offset, "edits sudoers", None),
            "unzip" if any_arg(&|a| a == "-P" || (a.starts_with("-P") && a.len() > 2)) => {
                sink.emit(
                    rules::ARCHIVE_PASSWORD_EXTRACT,
                    cmd.offset,
                    "extracts a password-protected zip",
                    Some("unzip".into()),
                );
            }
            "7z" | "7za" | "7zz" if any_arg(&|a| a.starts_with("-p") && a.len() > 2) => {
                sink.emit(
                    rules::ARCHIVE_PASSWORD_EXTRACT,
                    cmd.offset,
                    "extracts a password-protected archive",
                    Some(name.clone()),
                );
            }
            "tee" | "cp" | "mv" | "ln" | "install" => {
                if let Some(dest) = cmd.args.iter().rev().find(|a| !a.text.starts_with('-')) {
                    self.write_target(
                        &dest.text,
                        dest.offset,
                        self.written_content(cmd.node),
                        sink,
                    );
                }
            }
            "eval" => {
                self.substituted_download(cmd.node, "eval", sink);
                sink.emit(
                    rules::DYNAMIC_CODE,
                    cmd.offset,
                    "eval runs text as shell code",
                    None,
                );
            }
            "source" | "." => self.substituted_download(cmd.node, &name, sink),
            _ => {}
        }
        if knowledge::is_interpreter(&name) {
            self.substituted_download(cmd.node, &name, sink);
            if let Some(pos) = cmd
                .args
                .iter()
                .position(|a| a.text == "-c" || a.text == "-Command" || a.text == "-e")
                && let Some(script) = cmd.args.get(pos + 1)
                && script.literal
                && self.nesting < MAX_NESTING
                && matches!(name.as_str(), "sh" | "bash" | "zsh" | "dash" | "ksh")
            {
                // The string's content starts one byte after its opening quote.
                scan(&script.text, script.offset + 1, sink, self.nesting + 1);
            }
        }
        // Credentials count when their content is read or shipped, not when a path is mentioned.
        let credential_ok = !knowledge::CONTENT_READERS.contains(&name.as_str())
            || (name == "scp" && cmd.args.iter().any(|a| a.text.ends_with(".pub")));
        for arg in &cmd.args {
            if arg.text.contains("/dev/tcp/") || arg.text.contains("/dev/udp/") {
                sink.emit(
                    rules::NET_REVERSE_SHELL,
                    arg.offset,
                    "connects a shell stream to /dev/tcp",
                    None,
                );
            }
            if !credential_ok && let Some(hit) = knowledge::sensitive_path(&arg.text) {
                sink.emit(
                    rules::CRED_SENSITIVE_PATH,
                    arg.offset,
                    format!("touches {hit}"),
                    Some(arg.text.clone()),
                );
                sink.note_credential(arg.offset);
            }
            if arg.literal && arg.text.len() >= text::MIN_BLOB_CHARS {
                text::scan_blob(&arg.text, arg.offset, sink);
            }
        }
    }

    /// Hosts named in a downloader's arguments; `*` when the URL is computed.
    fn network_hosts(&self, cmd: &Command, sink: &mut Sink) {
        sink.note_network();
        let mut any = false;
        for arg in &cmd.args {
            for (pos, url) in knowledge::urls(&arg.text) {
                any = true;
                let value = knowledge::host_of(url).unwrap_or_else(|| "*".into());
                sink.emit(
                    rules::USES_NETWORK,
                    arg.offset + pos,
                    format!("connects to {value}"),
                    Some(value),
                );
            }
        }
        if !any
            && cmd
                .args
                .iter()
                .any(|a| !a.literal && !a.text.starts_with('-'))
        {
            sink.emit(
                rules::USES_NETWORK,
                cmd.offset,
                "connects to a host computed at run time",
                Some("*".into()),
            );
        }
    }

    fn pipeline(&self, node: Node, sink: &mut Sink) {
        let mut cursor = node.walk();
        let commands: Vec<Command> = node
            .named_children(&mut cursor)
            .filter_map(|child| first_command(child))
            .map(|c| self.parse_command(c))
            .collect();
        let mut source: Option<(Option<&Command>, bool)> = None; // (downloader, decoded)
        let mut env_dump: Option<usize> = None;
        for cmd in &commands {
            let Some(name) = cmd.name.as_deref() else {
                continue;
            };
            if knowledge::DOWNLOADERS.contains(&name) {
                if env_dump.is_some() {
                    sink.emit(
                        rules::ENV_DUMP,
                        env_dump.unwrap_or(cmd.offset),
                        "sends the whole environment over the network",
                        Some("*".into()),
                    );
                    sink.note_env_dump(env_dump.unwrap_or(cmd.offset));
                }
                source = Some((Some(cmd), source.is_some_and(|(_, d)| d)));
            } else if is_decoder(name, &cmd.args) {
                source = Some((source.and_then(|(d, _)| d), true));
            } else if (name == "env" || name == "printenv") && cmd.args.is_empty() {
                env_dump = Some(cmd.offset);
            } else if knowledge::is_interpreter(name) && reads_program_from_stdin(&cmd.args) {
                if let Some((download, decoded)) = source {
                    self.report_run(download, decoded, name, cmd.offset, sink);
                }
            } else if matches!(name, "nc" | "ncat" | "netcat") && env_dump.is_some() {
                sink.emit(
                    rules::ENV_DUMP,
                    env_dump.unwrap_or(cmd.offset),
                    "sends the whole environment over the network",
                    Some("*".into()),
                );
                sink.note_env_dump(env_dump.unwrap_or(cmd.offset));
            }
        }
    }

    /// Reports a file that an earlier command downloaded being run.
    fn report_downloaded_run(&self, url: Option<&str>, runner: &str, at: usize, sink: &mut Sink) {
        let (rule, what) = match url.map(knowledge::classify_source) {
            Some(Source::KnownInstaller) => (
                rules::EXEC_PIPE_TO_SHELL_KNOWN,
                "a file downloaded from a well-known installer",
            ),
            Some(Source::Throwaway) => (
                rules::EXEC_PIPE_TO_SHELL_RAW,
                "a file downloaded from a raw IP, plain http or throw-away host",
            ),
            _ => (rules::EXEC_PIPE_TO_SHELL, "a downloaded file"),
        };
        let from = url.map(|u| format!(" ({u})")).unwrap_or_default();
        sink.emit(
            rule,
            at,
            format!("{what}{from} is run by {runner}"),
            Some(runner.to_owned()),
        );
    }

    /// The file a downloader command writes, when it names one.
    fn download_target(cmd: &Command) -> Option<String> {
        let mut args = cmd.args.iter();
        while let Some(arg) = args.next() {
            let text = arg.text.as_str();
            match text {
                "-o" | "--output" | "-O" | "--output-document" | "-OutFile" => {
                    return args.next().map(|a| a.text.clone());
                }
                _ if text.starts_with("--output=") || text.starts_with("--output-document=") => {
                    return text.split_once('=').map(|(_, v)| v.to_owned());
                }
                _ => {}
            }
        }
        None
    }

    /// Reports code from a download and/or a decoder being run by `interpreter`.
    fn report_run(
        &self,
        download: Option<&Command>,
        decoded: bool,
        interpreter: &str,
        at: usize,
        sink: &mut Sink,
    ) {
        if decoded {
            sink.emit(
                rules::EXEC_DECODE_AND_RUN,
                at,
                format!("decoded data is piped into {interpreter}"),
                None,
            );
            return;
        }
        let Some(download) = download else { return };
        let url = download
            .args
            .iter()
            .find_map(|a| knowledge::urls(&a.text).first().map(|(_, u)| u.to_string()));
        let (rule, what) = match url.as_deref().map(knowledge::classify_source) {
            Some(Source::KnownInstaller) => {
                (rules::EXEC_PIPE_TO_SHELL_KNOWN, "a well-known installer")
            }
            Some(Source::Throwaway) => (
                rules::EXEC_PIPE_TO_SHELL_RAW,
                "a raw IP, plain http or throw-away host",
            ),
            _ => (rules::EXEC_PIPE_TO_SHELL, "a download"),
        };
        let from = url.map(|u| format!(" from {u}")).unwrap_or_default();
        sink.emit(
            rule,
            download.offset,
            format!("{what}{from} is piped into {interpreter}"),
            Some(interpreter.to_owned()),
        );
    }

    /// `sh -c "$(curl …)"`, `bash <(curl …)`, `source <(curl …)`, `eval "$(curl …)"`.
    fn substituted_download(&self, node: Node, runner: &str, sink: &mut Sink) {
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            if matches!(n.kind(), "command_substitution" | "process_substitution") {
                let mut inner = vec![n];
                while let Some(m) = inner.pop() {
                    if m.kind() == "pipeline" {
                        // `$(echo … | base64 -d)` or `$(curl … | gunzip)`: the pipeline's output runs.
                        let mut c = m.walk();
                        let cmds: Vec<Command> = m
                            .named_children(&mut c)
                            .filter_map(first_command)
                            .map(|x| self.parse_command(x))
                            .collect();
                        if cmds
                            .iter()
                            .any(|x| x.name.as_deref().is_some_and(|n| is_decoder(n, &x.args)))
                        {
                            self.report_run(None, true, runner, self.at(n), sink);
                            return;
                        }
                        if let Some(download) = cmds.iter().find(|x| {
                            x.name
                                .as_deref()
                                .is_some_and(|n| knowledge::DOWNLOADERS.contains(&n))
                        }) {
                            self.report_run(Some(download), false, runner, self.at(n), sink);
                            return;
                        }
                        continue;
                    }
                    if m.kind() == "command" {
                        let cmd = self.parse_command(m);
                        if cmd
                            .name
                            .as_deref()
                            .is_some_and(|name| knowledge::DOWNLOADERS.contains(&name))
                        {
                            self.report_run(Some(&cmd), false, runner, self.at(n), sink);
                            return;
                        }
                    }
                    let mut c = m.walk();
                    inner.extend(m.named_children(&mut c));
                }
            }
            let mut c = n.walk();
            stack.extend(n.named_children(&mut c));
        }
    }

    /// A command that runs a file an earlier download wrote: `./x`, `/tmp/x`, `sh x`, `python3 x`.
    fn downloaded_run(&self, cmd: &Command, name: &str, sink: &mut Sink) {
        let same = |a: &str, b: &str| a.trim_start_matches("./") == b.trim_start_matches("./");
        let downloads = self.downloads.borrow();
        if downloads.is_empty() {
            return;
        }
        let program_text = self
            .text(cmd.node.child_by_field_name("name").unwrap_or(cmd.node))
            .trim_matches(['"', '\'']);
        let script = knowledge::is_interpreter(name)
            .then(|| {
                cmd.args
                    .iter()
                    .find(|a| !a.text.starts_with('-'))
                    .map(|a| a.text.clone())
            })
            .flatten();
        for (path, url) in downloads.iter() {
            if same(program_text, path) || script.as_deref().is_some_and(|s| same(s, path)) {
                self.report_downloaded_run(url.as_deref(), name, cmd.offset, sink);
                return;
            }
        }
    }

    fn redirect(&self, node: Node, sink: &mut Sink) {
        let Some(dest) = node.child_by_field_name("destination") else {
            return;
        };
        let word = self.word(dest);
        if word.text.contains("/dev/tcp/") || word.text.contains("/dev/udp/") {
            sink.emit(
                rules::NET_REVERSE_SHELL,
                word.offset,
                "redirects a shell stream to /dev/tcp",
                None,
            );
            return;
        }
        let operator = self.text(node);
        let writes = operator.contains('>') && !operator.contains(">&") || operator.contains("&>");
        if writes
            && let Some(body) = node
                .parent()
                .and_then(|p| p.child_by_field_name("body"))
                .filter(|b| b.kind() == "command")
        {
            let cmd = self.parse_command(body);
            if cmd
                .name
                .as_deref()
                .is_some_and(|n| knowledge::DOWNLOADERS.contains(&n))
            {
                let url = cmd
                    .args
                    .iter()
                    .find_map(|a| knowledge::urls(&a.text).first().map(|(_, u)| u.to_string()));
                self.downloads.borrow_mut().push((word.text.clone(), url));
            }
        }
        if writes {
            let content = node.parent().and_then(|p| self.written_content(p));
            self.write_target(&word.text, word.offset, content, sink);
        }
    }

    fn write_target(&self, target: &str, offset: usize, content: Option<String>, sink: &mut Sink) {
        text::report_write(target, offset, content.as_deref(), sink);
    }

    /// What an `echo … >> file` or heredoc writes, when it can be told.
    fn written_content(&self, node: Node) -> Option<String> {
        let statement = if node.kind() == "redirected_statement" {
            Some(node)
        } else {
            node.parent().filter(|p| p.kind() == "redirected_statement")
        };
        let statement = statement?;
        let body = statement.child_by_field_name("body")?;
        let mut cursor = statement.walk();
        if let Some(heredoc) = statement
            .named_children(&mut cursor)
            .find(|c| c.kind() == "heredoc_redirect")
        {
            return Some(self.text(heredoc).to_owned());
        }
        if body.kind() == "command" {
            let cmd = self.parse_command(body);
            if matches!(cmd.name.as_deref(), Some("echo" | "printf")) {
                return Some(
                    cmd.args
                        .iter()
                        .map(|a| a.text.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                );
            }
        }
        None
    }

    fn expansion(&self, node: Node, sink: &mut Sink) {
        let raw = self.text(node);
        let name: String = raw
            .trim_start_matches('$')
            .trim_start_matches('{')
            .trim_start_matches(['#', '!'])
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() || name.chars().next().is_some_and(|c| c.is_ascii_digit()) {
            return;
        }
        if self.assigned.contains(&name) || knowledge::STANDARD_ENV.contains(&name.as_str()) {
            return;
        }
        // Only names that look like environment variables (upper case) are reported.
        if name.chars().any(|c| c.is_ascii_lowercase()) {
            return;
        }
        sink.emit(
            rules::USES_ENV,
            self.at(node),
            format!("reads ${name}"),
            Some(name),
        );
    }
}

/// Names the script assigns itself (so `$NAME` is not the environment).
fn assigned_names(root: Node, src: &[u8]) -> HashSet<String> {
    let mut names = HashSet::new();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        match node.kind() {
            "variable_assignment" => {
                if let Some(name) = node
                    .child_by_field_name("name")
                    .and_then(|n| n.utf8_text(src).ok())
                {
                    names.insert(name.to_owned());
                }
            }
            "for_statement" => {
                if let Some(name) = node
                    .child_by_field_name("variable")
                    .and_then(|n| n.utf8_text(src).ok())
                {
                    names.insert(name.to_owned());
                }
            }
            "command" => {
                // `read NAME`, `local NAME`, `export NAME=…` are handled by their assignments.
                let name = node
                    .child_by_field_name("name")
                    .and_then(|n| n.utf8_text(src).ok());
                if matches!(name, Some("read" | "local" | "declare" | "typeset")) {
                    let mut cursor = node.walk();
                    for arg in node.children_by_field_name("argument", &mut cursor) {
                        if let Ok(text) = arg.utf8_text(src)
                            && !text.starts_with('-')
                        {
                            names.insert(text.to_owned());
                        }
                    }
                }
            }
            _ => {}
        }
        let mut cursor = node.walk();
        stack.extend(node.named_children(&mut cursor));
    }
    names
}

fn first_command(node: Node) -> Option<Node> {
    if node.kind() == "command" {
        return Some(node);
    }
    let mut cursor = node.walk();
    node.named_children(&mut cursor)
        .find(|c| c.kind() == "command")
}

/// Whether an interpreter reads its program from stdin: no script file, no `-c`/`-m`/`-e`
/// program argument, or an explicit `-` / `-s`.
fn reads_program_from_stdin(args: &[Word]) -> bool {
    for arg in args {
        match arg.text.as_str() {
            "-" | "-s" => return true,
            "-c" | "-m" | "-e" | "-E" | "--command" | "-Command" | "-File" | "--eval" | "-p" => {
                return false;
            }
            a if a.starts_with('-') => {}
            _ => return false,
        }
    }
    true
}

fn is_decoder(name: &str, args: &[Word]) -> bool {
    let has = |f: &str| args.iter().any(|a| a.text == f);
    match name {
        "base64" | "gbase64" => {
            has("-d")
                || has("-D")
                || has("--decode")
                || args.iter().any(|a| {
                    a.text.starts_with('-') && a.text.contains('d') && !a.text.starts_with("--")
                })
        }
        "openssl" => {
            has("-d")
                && args
                    .iter()
                    .any(|a| a.text.contains("base64") || a.text == "enc")
        }
        "xxd" => args.iter().any(|a| a.text.starts_with("-r")),
        _ => false,
    }
}

fn is_setuid_mode(arg: &str) -> bool {
    let symbolic = arg.contains("+s") || arg.contains("=s");
    let numeric = arg.len() == 4
        && arg.bytes().all(|b| b.is_ascii_digit())
        && matches!(arg.as_bytes()[0], b'2' | b'4' | b'6');
    symbolic || numeric
}

/// Words that are programs rather than prose or placeholders picked up from docs.
fn is_plausible_program(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'+' | b'-'))
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
}
