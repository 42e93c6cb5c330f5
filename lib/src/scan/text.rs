//! Rules for any text: hidden Unicode, encoded payloads (decoded, bounded, and scanned again),
//! and what writing to a path means. Shared by every language analyser.

use base64::Engine as _;

use super::finding::Severity;
use super::knowledge;
use super::rules;
use super::sink::Sink;

/// Shortest string considered as a possible encoded payload.
pub const MIN_BLOB_CHARS: usize = 40;
/// Most bytes decoded from one blob.
pub(crate) const MAX_DECODED_BYTES: usize = 64 * 1024;
/// How many layers of encoding are unwrapped.
const MAX_DECODE_DEPTH: usize = 3;

/// Hidden Unicode anywhere in a text file.
pub(crate) fn scan_hidden_unicode(text: &str, sink: &mut Sink) {
    // Every character this looks for is outside ASCII; most files are ASCII only.
    if text.is_ascii() {
        return;
    }
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    let mut line = 0usize;
    let mut last_line_reported: Option<(usize, rules::RuleId)> = None;
    while i < chars.len() {
        let (offset, ch) = chars[i];
        let code = ch as u32;
        if ch == '\n' {
            line += 1;
        }
        if (0xE0000..=0xE007F).contains(&code) {
            let start = i;
            while i < chars.len() && (0xE0000..=0xE007F).contains(&(chars[i].1 as u32)) {
                i += 1;
            }
            // Emoji subdivision flags (🏴 followed by tags ending in CANCEL TAG) are legitimate.
            let flag =
                start > 0 && chars[start - 1].1 == '\u{1F3F4}' && chars[i - 1].1 == '\u{E007F}';
            if !flag {
                let hidden: String = chars[start..i]
                    .iter()
                    .filter_map(|(_, c)| {
                        char::from_u32(*c as u32 - 0xE0000)
                            .filter(|c| c.is_ascii_graphic() || *c == ' ')
                    })
                    .collect();
                let shown: String = hidden.chars().take(80).collect();
                sink.emit(
                    rules::HIDDEN_TAG_CHARACTERS,
                    offset,
                    format!("{} invisible tag characters spelling {shown:?}", i - start),
                    None,
                );
            }
            continue;
        }
        let line_key = |rule: rules::RuleId| (line, rule);
        if matches!(code, 0x202A..=0x202E | 0x2066..=0x2069) {
            let key = line_key(rules::HIDDEN_BIDI);
            if last_line_reported != Some(key) {
                sink.emit(rules::HIDDEN_BIDI, offset, format!("bidi control U+{code:04X} can make text display differently from what it is"), None);
                last_line_reported = Some(key);
            }
        } else if is_zero_width(code) && !(code == 0xFEFF && offset == 0) {
            let start = i;
            while i + 1 < chars.len() && is_zero_width(chars[i + 1].1 as u32) {
                i += 1;
            }
            let run = i - start + 1;
            let joiner_ok =
                matches!(code, 0x200C | 0x200D) && run == 1 && joins_script_or_emoji(&chars, start);
            let key = line_key(rules::HIDDEN_ZERO_WIDTH);
            if !joiner_ok && last_line_reported != Some(key) {
                let severity = if run >= 8 {
                    Severity::High
                } else {
                    Severity::Medium
                };
                sink.emit_with(
                    rules::HIDDEN_ZERO_WIDTH,
                    severity,
                    offset,
                    format!("{run} invisible character(s) starting with U+{code:04X}"),
                    None,
                );
                last_line_reported = Some(key);
            }
        }
        i += 1;
    }
}

/// Mining pool connections anywhere in a text file: `stratum+tcp://…` addresses, and hosts of
/// well-known pools given with a port (`pool.supportxmr.com:443`). Pool websites and APIs
/// (HTTPS without a port) are not connections a miner makes.
pub(crate) fn scan_mining_pools(text: &str, sink: &mut Sink) {
    let bytes = text.as_bytes();
    if let Some(at) = memchr::memmem::find(bytes, b"stratum") {
        let lower = text[at..].to_ascii_lowercase();
        for (rel, _) in lower.match_indices("stratum") {
            let rest = &lower[rel..];
            let scheme_end = rest.find("://");
            if scheme_end.is_some_and(|e| e <= "stratum2+tcp".len() + 1 && rest[..e].contains('+'))
            {
                let address: String = rest
                    .chars()
                    .take_while(|c| {
                        !c.is_whitespace() && !matches!(c, '"' | '\'' | '`' | ')' | '<')
                    })
                    .collect();
                sink.emit(
                    rules::MINING_POOL,
                    at + rel,
                    format!("connects to the mining pool {address}"),
                    Some(address),
                );
            }
        }
    }
    // Pool hosts with a port: `host:port`, the form every miner's `-o`/`url` takes.
    let mut from = 0;
    while let Some(rel) = memchr::memchr(b':', &bytes[from..]) {
        let colon = from + rel;
        from = colon + 1;
        if !bytes.get(colon + 1).is_some_and(u8::is_ascii_digit) {
            continue;
        }
        let start = bytes[..colon]
            .iter()
            .rposition(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-')))
            .map_or(0, |p| p + 1);
        let host = &text[start..colon];
        if host.contains('.')
            && let Some(pool) = knowledge::mining_pool(host)
        {
            // `stratum+tcp://host:port` was reported above.
            let already = text[..start].ends_with("://")
                && text[..start]
                    .rsplit(|c: char| c.is_whitespace() || c == '"' || c == '\'')
                    .next()
                    .is_some_and(|scheme| scheme.to_ascii_lowercase().starts_with("stratum"));
            if !already {
                sink.emit(
                    rules::MINING_POOL,
                    start,
                    format!("connects to {host}, a {pool} mining pool"),
                    Some(host.to_owned()),
                );
            }
        }
    }
}

fn is_zero_width(code: u32) -> bool {
    matches!(code, 0x200B..=0x200D | 0x2060..=0x2064 | 0xFEFF | 0x180E | 0x115F | 0x1160 | 0x3164 | 0xFFA0)
}

/// ZWJ/ZWNJ between emoji or inside scripts that need them (Arabic, Persian, Indic, …).
fn joins_script_or_emoji(chars: &[(usize, char)], index: usize) -> bool {
    let needs_joiner = |c: char| {
        let code = c as u32;
        code >= 0x0600 && !(0x2000..=0x206F).contains(&code)
    };
    let before = index.checked_sub(1).map(|i| chars[i].1);
    let after = chars.get(index + 1).map(|(_, c)| *c);
    before.is_some_and(needs_joiner) || after.is_some_and(needs_joiner)
}

/// A string that may be an encoded payload: decode it (base64 or hex, bounded) and, when the
/// result is text with commands or addresses in it, report it and scan the decoded text too.
pub(crate) fn scan_blob(blob: &str, offset: usize, sink: &mut Sink) {
    if sink.decode_depth() >= MAX_DECODE_DEPTH {
        return;
    }
    let trimmed = blob.trim();
    if trimmed.len() < MIN_BLOB_CHARS || trimmed.starts_with("data:") || trimmed.contains("://") {
        return;
    }
    let decoded = decode_hex(trimmed)
        .map(|d| (d, "hex"))
        .or_else(|| decode_base64(trimmed).map(|d| (d, "base64")));
    if let Some((bytes, encoding)) = decoded {
        scan_decoded(&bytes, encoding, offset, sink);
    }
}

/// What a string constant in code can mean on its own: a shell stream to `/dev/tcp`, or an
/// encoded payload.
pub(crate) fn scan_code_string(value: &str, at: usize, sink: &mut Sink) {
    if value.contains("/dev/tcp/") {
        sink.emit(
            rules::NET_REVERSE_SHELL,
            at,
            "connects a shell stream to /dev/tcp",
            None,
        );
    }
    if value.len() >= MIN_BLOB_CHARS && !value.contains(char::is_whitespace) {
        scan_blob(value, at, sink);
    }
}

/// Char codes (`String.fromCharCode(99, 117, …)`, `[99, 117, …]` joined with `chr`).
pub(crate) fn scan_char_codes(codes: &[u32], offset: usize, sink: &mut Sink) {
    if codes.len() < 12 || sink.decode_depth() >= MAX_DECODE_DEPTH {
        return;
    }
    let text: String = codes.iter().filter_map(|&c| char::from_u32(c)).collect();
    scan_decoded(text.as_bytes(), "char-code", offset, sink);
}

pub(crate) fn scan_decoded(bytes: &[u8], encoding: &'static str, offset: usize, sink: &mut Sink) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    scan_decoded_parts(text, text, encoding, offset, sink);
}

/// The strings of a compiled program (constants and names): all of them are searched for
/// addresses, credential paths and nested encodings, and those that hold a space (commands,
/// not names) are scanned as shell.
pub(crate) fn scan_decoded_strings(
    strings: &[String],
    encoding: &'static str,
    offset: usize,
    sink: &mut Sink,
) {
    let all = strings.join("\n");
    let commands: Vec<&str> = strings
        .iter()
        .map(String::as_str)
        .filter(|s| s.contains(' '))
        .collect();
    scan_decoded_parts(&all, &commands.join("\n"), encoding, offset, sink);
}

/// Decoded `text`, of which `commands` are scanned as shell.
fn scan_decoded_parts(
    text: &str,
    commands: &str,
    encoding: &'static str,
    offset: usize,
    sink: &mut Sink,
) {
    let printable = text
        .chars()
        .filter(|c| !c.is_control() || c.is_whitespace())
        .count();
    if printable * 10 < text.chars().count() * 9 || !looks_like_code(text) {
        return;
    }
    let shown: String = text.chars().take(60).collect::<String>().replace('\n', " ");
    sink.emit(
        rules::OBF_ENCODED_PAYLOAD,
        offset,
        format!("{encoding} string decodes to {shown:?}"),
        None,
    );
    sink.with_decoded(offset, encoding, |sink| {
        sink.scan_as_shell(commands, 0, 1);
        for (pos, url) in knowledge::urls(text) {
            if let Some(host) = knowledge::host_of(url) {
                sink.emit(
                    rules::USES_NETWORK,
                    pos,
                    format!("connects to {host}"),
                    Some(host),
                );
                sink.note_network();
            }
        }
        if let Some(hit) = knowledge::sensitive_path(text) {
            sink.emit(
                rules::CRED_SENSITIVE_PATH,
                0,
                format!("touches {hit}"),
                None,
            );
            sink.note_credential(0);
        }
        // Nested encodings: every long token of the decoded text.
        for token in
            text.split(|c: char| c.is_whitespace() || matches!(c, '\'' | '"' | '`' | '(' | ')'))
        {
            if token.len() >= MIN_BLOB_CHARS {
                scan_blob(token, 0, sink);
            }
        }
    });
}

/// Encoded payloads written in prose ("decode this and run it: Y3VybCAt…"): each long token of
/// a markdown step that decodes to code is scanned as the commands it is, so a payload that
/// exists only in the instructions counts like one in a script.
pub(crate) fn scan_prose_blobs(prose: &str, offset: usize, sink: &mut Sink) {
    // Most steps have no long run of encoding characters: one pass over the bytes says so.
    let mut run = 0;
    let has_long_run = prose.bytes().any(|b| {
        run = if b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_') {
            run + 1
        } else {
            0
        };
        run >= MIN_BLOB_CHARS
    });
    if !has_long_run {
        return;
    }
    let separators =
        |c: char| c.is_whitespace() || matches!(c, '`' | '"' | '\'' | '(' | ')' | '<' | '>');
    for token in prose.split(separators) {
        let token = token.trim_end_matches(['.', ',', ';', ':']);
        if token.len() >= MIN_BLOB_CHARS {
            // `token` is a slice of `prose`: its distance from the start is its place.
            let start = token.as_ptr() as usize - prose.as_ptr() as usize;
            scan_blob(token, offset + start, sink);
        }
    }
}

/// Whether decoded text reads like commands or code rather than data.
fn looks_like_code(text: &str) -> bool {
    const MARKERS: &[&str] = &[
        "http://",
        "https://",
        "curl ",
        "wget ",
        "bash",
        "/bin/sh",
        "sh -c",
        "powershell",
        "iex",
        "eval(",
        "exec(",
        "import ",
        "require(",
        "subprocess",
        "child_process",
        "/dev/tcp",
        "chmod ",
        "base64",
        "osascript",
        "nc -",
        "socket",
        "rm -rf",
        "| sh",
        "|sh",
        "python -c",
        "fromcharcode",
        "invoke-",
        "downloadstring",
        "start-process",
        ".ssh",
        "wallet",
    ];
    let lower = text.to_ascii_lowercase();
    MARKERS.iter().any(|m| lower.contains(m))
}

/// A base64 string of any length decoded to text, for strings code hands to a decoder
/// (`atob('…')`, `base64.b64decode('…')`): short ones name paths and variables.
pub(crate) fn decode_base64_text(text: &str) -> Option<String> {
    String::from_utf8(decode_base64_bytes(text)?)
        .ok()
        .filter(|t| !t.chars().any(|c| c.is_control() && !c.is_whitespace()))
}

/// The bytes of a base64 string of any length and content (what code hands to a decoder:
/// the key of a XOR, marshal data), bounded like the other decoders.
pub(crate) fn decode_base64_bytes(text: &str) -> Option<Vec<u8>> {
    if text.len() > MAX_DECODED_BYTES * 4 / 3 + 4 {
        return None;
    }
    let engines = [
        base64::engine::general_purpose::STANDARD,
        base64::engine::general_purpose::URL_SAFE,
        base64::engine::general_purpose::STANDARD_NO_PAD,
        base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ];
    engines.iter().find_map(|e| e.decode(text.trim()).ok())
}

fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let valid = text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_'));
    // Identifiers and hex digests are not base64 payloads: require a mix of cases or digits.
    let mixed = text.bytes().any(|b| b.is_ascii_uppercase())
        && text.bytes().any(|b| b.is_ascii_lowercase());
    if !valid || !mixed || text.len() > MAX_DECODED_BYTES * 4 / 3 + 4 {
        return None;
    }
    let engines = [
        base64::engine::general_purpose::STANDARD,
        base64::engine::general_purpose::STANDARD_NO_PAD,
        base64::engine::general_purpose::URL_SAFE,
        base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ];
    engines.iter().find_map(|e| e.decode(text).ok())
}

/// Hexadecimal text (an optional `0x` prefix), bounded like the other decoders.
pub(crate) fn decode_hex(text: &str) -> Option<Vec<u8>> {
    let text = text.strip_prefix("0x").unwrap_or(text);
    if !text.len().is_multiple_of(2)
        || text.len() > MAX_DECODED_BYTES * 2
        || !text.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return None;
    }
    hex::decode(text).ok()
}

/// What writing `content` (when known) to `target` means: persistence, privilege, agent memory,
/// or a plain capability.
pub(crate) fn report_write(target: &str, offset: usize, content: Option<&str>, sink: &mut Sink) {
    let lower = target.to_ascii_lowercase();
    if lower.contains("/etc/sudoers") {
        sink.emit(
            rules::PRIV_ESCALATION,
            offset,
            "writes sudoers",
            Some(target.into()),
        );
    } else if let Some(place) = knowledge::persistence_path(target) {
        // Settings in an rc file and openly scheduled jobs are what honest Skills do; hooks,
        // authorized keys and code appended to rc files are how attacks come back.
        let plain_settings = content.is_some_and(|c| {
            c.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .all(|l| {
                    // A compound line is not a plain setting: `export A=1; curl … | sh`.
                    let compound = ["; ", "&&", "||", "| ", "`"]
                        .iter()
                        .any(|op| l.contains(op));
                    !compound && l.starts_with("export ")
                        || l.starts_with("alias ")
                        || l.starts_with("source ")
                        || l.starts_with(". ")
                        || l.starts_with("eval \"$(") && !l.contains("curl") && !l.contains("wget")
                })
        });
        let scheduled = ["launchagents", "launchdaemons", "systemd", "cron"]
            .iter()
            .any(|s| place.contains(s));
        let severity = if plain_settings || scheduled {
            Severity::Medium
        } else {
            Severity::High
        };
        // The payload is scanned where it will run, and what it does raises the finding.
        let (severity, why) = match content.map(|c| follow_payload(place, c, offset, sink)) {
            Some(Payload::Dangerous) => (
                Severity::Critical,
                "; critical because what it writes runs a download or is itself dangerous",
            ),
            Some(Payload::Reaches) if severity < Severity::High => (
                Severity::High,
                "; high because what it writes downloads, runs or sends",
            ),
            _ => (severity, ""),
        };
        sink.emit_with(
            rules::PERSISTENCE,
            severity,
            offset,
            format!("writes {place}{why}"),
            Some(target.into()),
        );
    } else if let Some(file) = knowledge::agent_memory_path(target) {
        sink.emit(
            rules::MEMORY_POISONING,
            offset,
            format!("writes the agent's {file}"),
            Some(target.into()),
        );
    } else if is_outside_path(&lower) {
        sink.emit(
            rules::USES_WRITE,
            offset,
            format!("writes {target}"),
            Some(normalize_home(target)),
        );
    }
}

/// Base32 (RFC 4648, upper or lower case, padding optional), as `base64.b32decode` reads it.
pub(crate) fn decode_base32(text: &str) -> Option<Vec<u8>> {
    let text = text.trim().trim_end_matches('=');
    if text.len() > MAX_DECODED_BYTES * 8 / 5 + 8 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buffer, mut bits) = (0u64, 0u32);
    for c in text.bytes() {
        let value = match c.to_ascii_uppercase() {
            c @ b'A'..=b'Z' => c - b'A',
            c @ b'2'..=b'7' => c - b'2' + 26,
            _ => return None,
        };
        buffer = (buffer << 5) | u64::from(value);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Base85 in Python's `b85` alphabet or Ascii85 (`a85`, with `z` for four zero bytes and
/// optional `<~ ~>`).
pub(crate) fn decode_base85(text: &str, ascii85: bool) -> Option<Vec<u8>> {
    const B85: &[u8] =
        b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~";
    let text = text.trim();
    let text = if ascii85 {
        text.trim_start_matches("<~").trim_end_matches("~>")
    } else {
        text
    };
    if text.len() > MAX_DECODED_BYTES * 5 / 4 + 8 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() * 4 / 5);
    let mut group = Vec::with_capacity(5);
    let flush = |group: &mut Vec<u8>, out: &mut Vec<u8>| -> Option<()> {
        let n = group.len();
        if n == 0 {
            return Some(());
        }
        if n == 1 {
            return None;
        }
        let mut value: u64 = 0;
        for i in 0..5 {
            value = value * 85 + u64::from(*group.get(i).unwrap_or(&84));
        }
        let bytes = u32::try_from(value).ok()?.to_be_bytes();
        out.extend_from_slice(&bytes[..n - 1]);
        group.clear();
        Some(())
    };
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace()) {
        if ascii85 && c == b'z' && group.is_empty() {
            out.extend_from_slice(&[0; 4]);
            continue;
        }
        let value = if ascii85 {
            (b'!'..=b'u').contains(&c).then(|| c - b'!')?
        } else {
            u8::try_from(B85.iter().position(|&b| b == c)?).ok()?
        };
        group.push(value);
        if group.len() == 5 {
            flush(&mut group, &mut out)?;
        }
    }
    flush(&mut group, &mut out)?;
    Some(out)
}

/// What a payload written into a persistence location does when it runs.
enum Payload {
    /// Nothing the scanner objects to.
    Quiet,
    /// It downloads, runs code or uses the network.
    Reaches,
    /// It runs a download, or holds a high or critical finding of its own.
    Dangerous,
}

/// How many persisted payloads deep the scan follows (a payload that writes a payload…).
const MAX_PAYLOAD_DEPTH: usize = 2;

/// Scans `content`, written into the persistence location `place`, as the shell commands it
/// will run: cron lines without their schedule, systemd units' `Exec*=` values, the
/// `command="…"` options of authorized keys, rc files and hooks whole. Its findings point at the write at `offset`.
fn follow_payload(place: &str, content: &str, offset: usize, sink: &mut Sink) -> Payload {
    if sink.nesting() >= MAX_PAYLOAD_DEPTH || content.len() > MAX_DECODED_BYTES {
        return Payload::Quiet;
    }
    let commands: String = if place.contains("cron") {
        content
            .lines()
            .map(|l| {
                let l = l.trim();
                if l.starts_with('@') {
                    l.split_once(char::is_whitespace).map_or("", |(_, c)| c)
                } else {
                    let mut rest = l;
                    for _ in 0..5 {
                        rest = rest
                            .trim_start()
                            .split_once(char::is_whitespace)
                            .map_or("", |(_, r)| r);
                    }
                    rest
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    } else if place.contains("authorized_keys") {
        // Key lines are not commands; only a `command="…"` option runs one, at every login.
        content
            .lines()
            .filter_map(|l| l.split_once("command=\"").map(|(_, rest)| rest))
            .filter_map(|rest| rest.split_once('"').map(|(command, _)| command))
            .collect::<Vec<_>>()
            .join("\n")
    } else if place.contains("systemd") {
        content
            .lines()
            .filter_map(|l| l.trim().strip_prefix("Exec"))
            .filter_map(|l| {
                l.split_once('=')
                    .map(|(_, c)| c.trim_start_matches(['-', '@', '+', '!']))
            })
            .collect::<Vec<_>>()
            .join("\n")
    } else if place.contains("launch") {
        // Property lists hold their program as XML strings; the words are scanned as one line.
        content
            .split("<string>")
            .skip(1)
            .filter_map(|s| s.split_once("</string>").map(|(w, _)| w))
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        content.to_owned()
    };
    let first = sink.count();
    sink.with_origin(offset, |sink| {
        sink.scan_as_shell(&commands, 0, 1);
    });
    let found = sink.findings_from(first);
    // Running a download later (not from a well-known installer) is as bad as running it now.
    let runs_download = found.iter().any(|f| {
        [
            rules::EXEC_PIPE_TO_SHELL,
            rules::EXEC_PIPE_TO_SHELL_RAW,
            rules::EXEC_REMOTE_CODE,
            rules::EXEC_DECODE_AND_RUN,
        ]
        .contains(&f.rule)
    });
    if runs_download || found.iter().any(|f| f.severity >= Severity::High) {
        Payload::Dangerous
    } else if found.iter().any(|f| {
        f.rule.is_code_execution()
            || f.rule == rules::USES_NETWORK
            || f.rule == rules::EXEC_COMPUTED_SHELL
    }) {
        Payload::Reaches
    } else {
        Payload::Quiet
    }
}

/// What reading `target` means: credentials, or a plain capability.
pub(crate) fn report_read(target: &str, offset: usize, sink: &mut Sink) {
    if let Some(hit) = knowledge::sensitive_path(target) {
        sink.emit(
            rules::CRED_SENSITIVE_PATH,
            offset,
            format!("reads {hit}"),
            Some(normalize_home(target)),
        );
        sink.note_credential(offset);
    } else if is_outside_path(&target.to_ascii_lowercase()) {
        sink.emit(
            rules::USES_READ,
            offset,
            format!("reads {target}"),
            Some(normalize_home(target)),
        );
    }
}

/// Paths under the home folder or absolute system paths (not temp files or devices).
fn is_outside_path(lower: &str) -> bool {
    lower.starts_with('~')
        || lower.starts_with("$home")
        || lower.starts_with("${home}")
        || (lower.starts_with('/')
            && !["/dev/null", "/dev/std", "/tmp", "/proc/self", "/dev/tty"]
                .iter()
                .any(|p| lower.starts_with(p)))
}

fn normalize_home(path: &str) -> String {
    for prefix in ["$HOME", "${HOME}"] {
        if let Some(rest) = path.strip_prefix(prefix) {
            return format!("~{rest}");
        }
    }
    path.to_owned()
}
