//! PowerShell lowered into the statement form of [`flow`](super::flow) by a small
//! hand-written parser (no grammar is at hand): assignments, `foreach` over a list, functions
//! and their implicit output, commands with named and positional parameters, pipelines,
//! expandable strings (`"$env:USERPROFILE\$name"`), `+`, `@(…)` and `@{…}` literals, static
//! calls (`[Convert]::FromBase64String(…)`) and method calls. Anything else is skipped; the
//! token rules of [`powershell`](super::powershell) still see the whole file.

use std::rc::Rc;

use super::flow::{self, Arg, Body, Expr, Function, Stmt};

/// Parameters that take no value, so that `Get-Content -Raw $path` reads `$path`.
const SWITCHES: &[&str] = &[
    "raw",
    "usebasicparsing",
    "force",
    "recurse",
    "noprofile",
    "asplaintext",
    "wait",
    "passthru",
    "quiet",
    "compress",
    "nonewline",
];

/// Lowers PowerShell `source` whose first byte sits at `base` in the file.
pub(crate) fn lower(source: &str, base: usize) -> Vec<Stmt> {
    let mut parser = Parser {
        src: source.as_bytes(),
        text: source,
        pos: 0,
        base,
        depth: 0,
    };
    parser.statements(None, false)
}

struct Parser<'s> {
    src: &'s [u8],
    text: &'s str,
    pos: usize,
    base: usize,
    depth: u32,
}

impl Parser<'_> {
    fn peek(&self) -> u8 {
        self.src.get(self.pos).copied().unwrap_or(0)
    }

    /// The bytes from the current position on (empty past the end), safe to compare at any
    /// position, even inside a multi-byte character.
    fn rest(&self) -> &[u8] {
        self.src.get(self.pos..).unwrap_or(&[])
    }

    fn at_end(&self) -> bool {
        self.pos >= self.src.len()
    }

    /// Skips blanks and comments; newlines too when `newlines`.
    fn skip(&mut self, newlines: bool) {
        while !self.at_end() {
            match self.peek() {
                b' ' | b'\t' | b'\r' => self.pos += 1,
                b'\n' if newlines => self.pos += 1,
                b'`' if self.src.get(self.pos + 1) == Some(&b'\n') => self.pos += 2,
                b'#' => {
                    while !self.at_end() && self.peek() != b'\n' {
                        self.pos += 1;
                    }
                }
                b'<' if self.src.get(self.pos + 1) == Some(&b'#') => {
                    match self.text.get(self.pos..).unwrap_or("").find("#>") {
                        Some(end) => self.pos += end + 2,
                        None => self.pos = self.src.len(),
                    }
                }
                _ => break,
            }
        }
    }

    fn word(&mut self) -> &str {
        let start = self.pos;
        while !self.at_end()
            && (self.peek().is_ascii_alphanumeric()
                || matches!(
                    self.peek(),
                    b'-' | b'_' | b'.' | b'\\' | b'/' | b':' | b'*' | b'~'
                ))
        {
            self.pos += 1;
        }
        self.text.get(start..self.pos).unwrap_or("")
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == c {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Statements until `close` (or the end); inside a function, output is its return value.
    fn statements(&mut self, close: Option<u8>, function: bool) -> Vec<Stmt> {
        let mut out = Vec::new();
        if self.depth >= flow::MAX_EXPR_DEPTH {
            self.pos = self.src.len();
            return out;
        }
        self.depth += 1;
        loop {
            self.skip(true);
            while self.eat(b';') {
                self.skip(true);
            }
            if self.at_end() || Some(self.peek()) == close {
                break;
            }
            let before = self.pos;
            self.statement(function, &mut out);
            if self.pos == before {
                self.pos += 1;
            }
        }
        self.eat(close.unwrap_or(0));
        self.depth -= 1;
        out
    }

    fn block(&mut self, function: bool) -> Vec<Stmt> {
        self.skip(true);
        if self.eat(b'{') {
            self.statements(Some(b'}'), function)
        } else {
            Vec::new()
        }
    }

    /// `( … )` after a keyword, as an expression.
    fn condition(&mut self) -> Expr {
        self.skip(false);
        if self.eat(b'(') {
            let expr = self.pipeline();
            self.skip(true);
            self.eat(b')');
            expr
        } else {
            Expr::Other
        }
    }

    fn statement(&mut self, function: bool, out: &mut Vec<Stmt>) {
        let start = self.pos;
        let keyword = self.word().to_ascii_lowercase();
        match keyword.as_str() {
            "function" | "filter" => {
                self.skip(false);
                let name = self.word().to_ascii_lowercase();
                self.skip(false);
                let mut params = Vec::new();
                if self.peek() == b'(' {
                    params = self.params();
                }
                self.skip(true);
                if !self.eat(b'{') {
                    return;
                }
                self.skip(true);
                let save = self.pos;
                if self.word().eq_ignore_ascii_case("param") {
                    self.skip(false);
                    params.extend(self.params());
                } else {
                    self.pos = save;
                }
                let body = self.statements(Some(b'}'), true);
                out.push(Stmt::Def(Rc::new(Function {
                    name,
                    params,
                    body: Body::lowered(body),
                })));
            }
            "param" => {
                self.skip(false);
                self.params();
            }
            "foreach" => {
                self.skip(false);
                let (vars, iter) = if self.eat(b'(') {
                    self.skip(false);
                    let var = if self.eat(b'$') {
                        self.word().to_ascii_lowercase()
                    } else {
                        String::new()
                    };
                    self.skip(false);
                    let _in = self.word();
                    let iter = self.pipeline();
                    self.skip(true);
                    self.eat(b')');
                    (vec![var], iter)
                } else {
                    (Vec::new(), Expr::Other)
                };
                let body = self.block(function);
                out.push(Stmt::Loop { vars, iter, body });
            }
            "while" | "for" | "do" | "until" => {
                let condition = self.condition();
                let body = self.block(function);
                out.push(Stmt::Eval(condition));
                out.push(Stmt::Loop {
                    vars: Vec::new(),
                    iter: Expr::Other,
                    body,
                });
            }
            "if" | "elseif" | "switch" => {
                let condition = self.condition();
                out.push(Stmt::Eval(condition));
                let mut arms = vec![self.block(function)];
                loop {
                    self.skip(true);
                    let save = self.pos;
                    let next = self.word().to_ascii_lowercase();
                    match next.as_str() {
                        "elseif" => {
                            let condition = self.condition();
                            out.push(Stmt::Eval(condition));
                            arms.push(self.block(function));
                        }
                        "else" => arms.push(self.block(function)),
                        _ => {
                            self.pos = save;
                            break;
                        }
                    }
                }
                out.push(Stmt::Branch(arms));
            }
            "try" | "catch" | "finally" | "begin" | "process" | "end" => {
                // `catch [Type]`: skip the type.
                self.skip(false);
                if self.peek() == b'[' {
                    self.primary();
                }
                let body = self.block(function);
                out.push(Stmt::Branch(vec![body]));
            }
            "return" => {
                let value = self.pipeline();
                out.push(Stmt::Return(value));
            }
            _ => {
                self.pos = start;
                self.skip(false);
                if self.peek() == b'$' {
                    let save = self.pos;
                    self.pos += 1;
                    let name = self.variable_name();
                    self.skip(false);
                    let add = self.rest().starts_with(b"+=");
                    if add || (self.peek() == b'=' && self.src.get(self.pos + 1) != Some(&b'=')) {
                        self.pos += if add { 2 } else { 1 };
                        let value = self.pipeline();
                        out.push(if add {
                            Stmt::Update(name, value)
                        } else {
                            Stmt::Let(name, value)
                        });
                        return;
                    }
                    self.pos = save;
                }
                let value = self.pipeline();
                out.push(if function {
                    Stmt::Return(value)
                } else {
                    Stmt::Eval(value)
                });
            }
        }
    }

    /// `($a, [string]$b = 1)`: the names.
    fn params(&mut self) -> Vec<String> {
        let mut names = Vec::new();
        if !self.eat(b'(') {
            return names;
        }
        let mut depth = 1;
        while !self.at_end() && depth > 0 {
            match self.peek() {
                b'(' => depth += 1,
                b')' => depth -= 1,
                b'$' if depth == 1 => {
                    self.pos += 1;
                    names.push(self.variable_name());
                    continue;
                }
                _ => {}
            }
            self.pos += 1;
        }
        names
    }

    fn variable_name(&mut self) -> String {
        if self.eat(b'{') {
            let start = self.pos;
            while !self.at_end() && self.peek() != b'}' {
                self.pos += 1;
            }
            let name = self
                .text
                .get(start..self.pos)
                .unwrap_or("")
                .to_ascii_lowercase();
            self.eat(b'}');
            return name;
        }
        let start = self.pos;
        while !self.at_end()
            && (self.peek().is_ascii_alphanumeric() || matches!(self.peek(), b'_' | b':'))
        {
            self.pos += 1;
        }
        self.text
            .get(start..self.pos)
            .unwrap_or("")
            .to_ascii_lowercase()
    }

    /// `a | b | c`: each stage receives the previous one's output.
    fn pipeline(&mut self) -> Expr {
        let mut value = self.element();
        loop {
            self.skip(false);
            if self.peek() == b'|' && self.src.get(self.pos + 1) != Some(&b'|') {
                self.pos += 1;
                self.skip(true);
                let next = self.element();
                value = match next {
                    Expr::Call {
                        callee,
                        mut args,
                        at,
                    } => {
                        args.push(Arg {
                            key: Some("input".into()),
                            value,
                        });
                        Expr::Call { callee, args, at }
                    }
                    other => Expr::Opaque(vec![value, other]),
                };
            } else {
                return value;
            }
        }
    }

    /// A command (`Get-Content -Raw $p`) or an expression.
    fn element(&mut self) -> Expr {
        self.skip(false);
        let c = self.peek();
        if c.is_ascii_alphabetic() {
            self.command()
        } else if c == b'&' || (c == b'.' && self.src.get(self.pos + 1) == Some(&b' ')) {
            self.pos += 1;
            self.skip(false);
            let callee = self.primary();
            let args = self.arguments();
            Expr::Call {
                callee: Box::new(Expr::Opaque(vec![callee])),
                args,
                at: self.base + self.pos,
            }
        } else {
            self.expression()
        }
    }

    fn command(&mut self) -> Expr {
        let at = self.base + self.pos;
        let name = self.word().to_ascii_lowercase();
        let args = self.arguments();
        Expr::Call {
            callee: Box::new(Expr::Var(name)),
            args,
            at,
        }
    }

    fn arguments(&mut self) -> Vec<Arg> {
        let mut args = Vec::new();
        let mut key: Option<String> = None;
        loop {
            self.skip(false);
            let c = self.peek();
            if self.at_end() || matches!(c, b'\n' | b';' | b'|' | b')' | b'}') {
                break;
            }
            if c == b'-'
                && self
                    .src
                    .get(self.pos + 1)
                    .is_some_and(u8::is_ascii_alphabetic)
            {
                self.pos += 1;
                let name = self.word().to_ascii_lowercase();
                let name = name.trim_end_matches(':').to_owned();
                if SWITCHES.contains(&name.as_str()) {
                    continue;
                }
                key = Some(name);
                continue;
            }
            let before = self.pos;
            let value =
                if c.is_ascii_alphanumeric() || matches!(c, b'.' | b'\\' | b'/' | b'~' | b'*') {
                    Expr::Str(self.word().to_owned())
                } else {
                    // Argument mode: `-Name` is the next parameter, not an operator.
                    self.postfix()
                };
            if self.pos == before {
                self.pos += 1;
                continue;
            }
            args.push(Arg {
                key: key.take(),
                value,
            });
        }
        args
    }

    /// `a + b`, `a, b` (a list), with other operators kept as opaque.
    fn expression(&mut self) -> Expr {
        if self.depth >= flow::MAX_EXPR_DEPTH {
            self.pos = self.src.len();
            return Expr::Other;
        }
        self.depth += 1;
        let mut parts = vec![self.postfix()];
        let mut list = Vec::new();
        loop {
            self.skip(false);
            match self.peek() {
                b'+' => {
                    self.pos += 1;
                    self.skip(true);
                    parts.push(self.postfix());
                }
                b',' => {
                    self.pos += 1;
                    self.skip(true);
                    list.push(concat(std::mem::take(&mut parts)));
                    parts.push(self.postfix());
                }
                b'-' if self
                    .src
                    .get(self.pos + 1)
                    .is_some_and(u8::is_ascii_alphabetic) =>
                {
                    // `-bxor` and `-join` are followed; -f, -replace, -eq… stay opaque but keep
                    // their parts.
                    self.pos += 1;
                    let operator = self.word().to_ascii_lowercase();
                    self.skip(true);
                    let right = self.postfix();
                    let left = concat(std::mem::take(&mut parts));
                    parts.push(match operator.as_str() {
                        "bxor" => Expr::Xor(Box::new(left), Box::new(right)),
                        "join" => join(left, Some(right), self.base + self.pos),
                        _ => Expr::Opaque(vec![left, right]),
                    });
                }
                _ => break,
            }
        }
        self.depth -= 1;
        let value = concat(parts);
        if list.is_empty() {
            value
        } else {
            list.push(value);
            Expr::Build(list.into_iter().map(|e| (None, e)).collect())
        }
    }

    /// A primary followed by `.Member`, `.Method(…)`, `[index]`, `::Static(…)`.
    fn postfix(&mut self) -> Expr {
        if self.depth >= flow::MAX_EXPR_DEPTH {
            self.pos = self.src.len();
            return Expr::Other;
        }
        self.depth += 1;
        let value = self.postfix_inner();
        self.depth -= 1;
        value
    }

    fn postfix_inner(&mut self) -> Expr {
        let mut value = self.primary();
        loop {
            let at = self.base + self.pos;
            if self.rest().starts_with(b"::") || self.peek() == b'.' {
                self.pos += if self.peek() == b'.' { 1 } else { 2 };
                let member = self.member_name();
                if member.is_empty() {
                    return value;
                }
                value = Expr::Attr(Box::new(value), member);
                if self.peek() == b'(' {
                    self.pos += 1;
                    let args = self.call_arguments();
                    value = Expr::Call {
                        callee: Box::new(value),
                        args,
                        at,
                    };
                }
            } else if self.peek() == b'[' {
                self.pos += 1;
                let index = self.expression();
                self.skip(true);
                self.eat(b']');
                value = Expr::Index(Box::new(value), Box::new(index));
            } else {
                return value;
            }
        }
    }

    fn member_name(&mut self) -> String {
        let start = self.pos;
        while !self.at_end() && (self.peek().is_ascii_alphanumeric() || self.peek() == b'_') {
            self.pos += 1;
        }
        self.text
            .get(start..self.pos)
            .unwrap_or("")
            .to_ascii_lowercase()
    }

    /// `(a, b)` of a method call, after the `(`.
    fn call_arguments(&mut self) -> Vec<Arg> {
        let mut args = Vec::new();
        loop {
            self.skip(true);
            if self.at_end() || self.eat(b')') {
                return args;
            }
            let before = self.pos;
            let value = self.postfix_sum();
            args.push(Arg { key: None, value });
            self.skip(true);
            self.eat(b',');
            if self.pos == before {
                self.pos += 1;
            }
        }
    }

    /// `a + b` without list commas (for method arguments).
    fn postfix_sum(&mut self) -> Expr {
        let mut parts = vec![self.postfix()];
        loop {
            self.skip(true);
            if self.eat(b'+') {
                self.skip(true);
                parts.push(self.postfix());
            } else {
                return concat(parts);
            }
        }
    }

    fn primary(&mut self) -> Expr {
        // Every nesting passes through here: past the bound, the rest of the file is skipped.
        if self.depth >= flow::MAX_EXPR_DEPTH {
            self.pos = self.src.len();
            return Expr::Other;
        }
        self.depth += 1;
        let value = self.primary_inner();
        self.depth -= 1;
        value
    }

    fn primary_inner(&mut self) -> Expr {
        self.skip(false);
        match self.peek() {
            b'"' => {
                self.pos += 1;
                self.expandable_string()
            }
            b'\'' => {
                self.pos += 1;
                let mut out = String::new();
                while !self.at_end() {
                    if self.rest().starts_with(b"''") {
                        out.push('\'');
                        self.pos += 2;
                    } else if self.eat(b'\'') {
                        break;
                    } else {
                        let c = self
                            .text
                            .get(self.pos..)
                            .and_then(|t| t.chars().next())
                            .unwrap_or('\0');
                        out.push(c);
                        self.pos += c.len_utf8().max(1);
                    }
                }
                Expr::Str(out)
            }
            b'$' => {
                self.pos += 1;
                if self.eat(b'(') {
                    let inner = self.statements(Some(b')'), false);
                    return statements_value(inner);
                }
                variable(&self.variable_name())
            }
            b'(' => {
                self.pos += 1;
                let inner = self.pipeline();
                self.skip(true);
                self.eat(b')');
                inner
            }
            b'@' => {
                self.pos += 1;
                if self.eat(b'(') {
                    let inner = self.statements(Some(b')'), true);
                    let items = inner
                        .into_iter()
                        .filter_map(|s| match s {
                            Stmt::Return(Expr::Build(items)) => Some(items),
                            Stmt::Return(e) => Some(vec![(None, e)]),
                            _ => None,
                        })
                        .flatten()
                        .collect();
                    Expr::Build(items)
                } else if self.eat(b'{') {
                    self.hashtable()
                } else {
                    Expr::Other
                }
            }
            b'[' => {
                // A type: `[Convert]::…` names a static member; `[string]$x` is a cast.
                self.pos += 1;
                let start = self.pos;
                let mut depth = 1;
                while !self.at_end() && depth > 0 {
                    match self.peek() {
                        b'[' => depth += 1,
                        b']' => depth -= 1,
                        _ => {}
                    }
                    self.pos += 1;
                }
                let name = self
                    .text
                    .get(start..self.pos.saturating_sub(1))
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                let name = name.strip_prefix("system.").unwrap_or(&name).to_owned();
                if self.rest().starts_with(b"::") {
                    Expr::Var(name)
                } else if name == "char" {
                    // `[char]$code`: the character (the `char` row of the model table).
                    let at = self.base + self.pos;
                    let value = self.postfix();
                    Expr::Call {
                        callee: Box::new(Expr::Var(name)),
                        args: vec![Arg { key: None, value }],
                        at,
                    }
                } else {
                    self.postfix()
                }
            }
            c if c.is_ascii_digit() => flow::parse_int(self.word()).map_or(Expr::Other, Expr::Int),
            b'-' if self
                .rest()
                .get(1..5)
                .is_some_and(|w| w.eq_ignore_ascii_case(b"join")) =>
            {
                // Unary `-join $parts`: the parts joined with nothing.
                let at = self.base + self.pos;
                self.pos += 5;
                self.skip(false);
                let parts = self.postfix();
                join(parts, None, at)
            }
            b'{' => {
                // A script block (`ForEach-Object { $_ -bxor 7 }`): a function of `$_`.
                self.pos += 1;
                let body = self.statements(Some(b'}'), true);
                Expr::Function(Rc::new(Function {
                    name: String::new(),
                    params: vec!["_".into()],
                    body: Body::lowered(body),
                }))
            }
            _ => Expr::Other,
        }
    }

    /// `@{ key = value; … }`, after the `{`.
    fn hashtable(&mut self) -> Expr {
        let mut entries = Vec::new();
        loop {
            self.skip(true);
            while self.eat(b';') {
                self.skip(true);
            }
            if self.at_end() || self.eat(b'}') {
                return Expr::Build(entries);
            }
            let before = self.pos;
            let key = match self.peek() {
                b'"' | b'\'' => match self.primary() {
                    Expr::Str(s) => s,
                    _ => String::new(),
                },
                _ => self.word().to_owned(),
            };
            self.skip(false);
            if self.eat(b'=') {
                let value = self.pipeline();
                entries.push((Some(key), value));
            }
            if self.pos == before {
                self.pos += 1;
            }
        }
    }

    /// `"…"` after the opening quote: text, `$var`, `$env:NAME`, `${name}`, `$(…)`.
    fn expandable_string(&mut self) -> Expr {
        let mut parts = Vec::new();
        let mut text = String::new();
        while !self.at_end() {
            match self.peek() {
                b'"' if self.src.get(self.pos + 1) == Some(&b'"') => {
                    text.push('"');
                    self.pos += 2;
                }
                b'"' => {
                    self.pos += 1;
                    break;
                }
                b'`' => {
                    self.pos += 1;
                    let c = self
                        .text
                        .get(self.pos..)
                        .and_then(|t| t.chars().next())
                        .unwrap_or('\0');
                    text.push(match c {
                        'n' => '\n',
                        't' => '\t',
                        '0' => '\0',
                        other => other,
                    });
                    self.pos += c.len_utf8().max(1);
                }
                b'$' if self.src.get(self.pos + 1).is_some_and(|c| {
                    c.is_ascii_alphabetic() || matches!(c, b'{' | b'(' | b'_')
                }) =>
                {
                    self.pos += 1;
                    if !text.is_empty() {
                        parts.push(Expr::Str(std::mem::take(&mut text)));
                    }
                    if self.eat(b'(') {
                        let inner = self.statements(Some(b')'), false);
                        parts.push(statements_value(inner));
                    } else {
                        parts.push(variable(&self.variable_name()));
                    }
                }
                _ => {
                    let c = self
                        .text
                        .get(self.pos..)
                        .and_then(|t| t.chars().next())
                        .unwrap_or('\0');
                    text.push(c);
                    self.pos += c.len_utf8().max(1);
                }
            }
        }
        if !text.is_empty() || parts.is_empty() {
            parts.push(Expr::Str(text));
        }
        concat(parts)
    }
}

/// `parts -join separator` (or unary `-join parts`, joined with nothing).
fn join(parts: Expr, separator: Option<Expr>, at: usize) -> Expr {
    Expr::Call {
        callee: Box::new(Expr::Attr(Box::new(parts), "join".into())),
        args: separator
            .into_iter()
            .map(|value| Arg { key: None, value })
            .collect(),
        at,
    }
}

fn concat(mut parts: Vec<Expr>) -> Expr {
    if parts.len() == 1 {
        parts.remove(0)
    } else {
        Expr::Concat(parts)
    }
}

/// The value of `$( … )`: what its statements output.
fn statements_value(statements: Vec<Stmt>) -> Expr {
    Expr::Opaque(
        statements
            .into_iter()
            .filter_map(|s| match s {
                Stmt::Eval(e) | Stmt::Return(e) => Some(e),
                _ => None,
            })
            .collect(),
    )
}

/// `$name`, `$env:NAME` (the home folders as paths, other variables read from the
/// environment), `$script:name`.
fn variable(name: &str) -> Expr {
    match name.split_once(':') {
        Some(("env", var)) => match var {
            "userprofile" | "home" => Expr::Str("~".into()),
            "appdata" => Expr::Str("~/AppData/Roaming".into()),
            "localappdata" => Expr::Str("~/AppData/Local".into()),
            _ => Expr::EnvVar(Box::new(Expr::Str(var.to_ascii_uppercase()))),
        },
        Some((_, local)) => Expr::Var(local.to_owned()),
        None => Expr::Var(name.to_owned()),
    }
}
