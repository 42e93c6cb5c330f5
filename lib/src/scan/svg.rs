//! SVG images: active content, which no picture needs.
//!
//! A browser, a markdown preview or an agent's web view runs what an SVG carries: `<script>`
//! elements, `on*=` event handlers, `javascript:` URLs, and HTML forms, frames or scripts inside
//! `<foreignObject>`. Each is reported (SK-SVG-001), and the script text goes through the
//! JavaScript analyser in browser mode, where cookies and web storage are secrets: an SVG that
//! reads them and sends them out is credential theft. Plain `<foreignObject>` text (diagram
//! editors wrap labels in HTML `<div>`s) and inert elements (`<style>`, `<desc>`) are not
//! active. HTML files are not scanned this way: pages legitimately carry scripts.

use super::javascript;
use super::rules;
use super::sink::Sink;

/// HTML elements inside `<foreignObject>` that run code or send data.
const ACTIVE_HTML: &[&str] = &[
    "<script", "<iframe", "<embed", "<object", "<form", "<input", "<button", "<meta", "<base",
    "<link",
];

/// Scans an SVG file's text.
pub(crate) fn scan(text: &str, sink: &mut Sink) {
    let lower = text.to_ascii_lowercase();
    for (start, _) in lower.match_indices("<script") {
        let open_end = lower[start..]
            .find('>')
            .map_or(lower.len(), |e| start + e + 1);
        let tag = &lower[start..open_end];
        if tag.contains("href") {
            sink.emit(
                rules::SVG_ACTIVE_CONTENT,
                start,
                "loads an external script",
                None,
            );
        }
        let close = lower[open_end..]
            .find("</script")
            .map_or(lower.len(), |e| open_end + e);
        let (code, code_at) = strip_cdata(&text[open_end..close], open_end);
        sink.emit(
            rules::SVG_ACTIVE_CONTENT,
            start,
            "carries a <script> element",
            None,
        );
        if !code.trim().is_empty() {
            javascript::scan_browser_script(code, code_at, sink);
        }
    }
    for (start, _) in lower.match_indices("<foreignobject") {
        let end = lower[start..]
            .find("</foreignobject")
            .map_or(lower.len(), |e| start + e);
        let inner = &lower[start..end];
        if let Some(element) = ACTIVE_HTML.iter().find(|e| inner.contains(*e)) {
            sink.emit(
                rules::SVG_ACTIVE_CONTENT,
                start,
                format!("<foreignObject> holds active HTML ({element}>)"),
                None,
            );
        }
    }
    for (at, name, value) in attributes(text, &lower) {
        if name.starts_with("on") && name.len() > 2 {
            sink.emit(
                rules::SVG_ACTIVE_CONTENT,
                at,
                format!("an {name}= handler runs script"),
                None,
            );
            javascript::scan_browser_script(value.0, value.1, sink);
        } else if value
            .0
            .trim_start()
            .to_ascii_lowercase()
            .starts_with("javascript:")
        {
            sink.emit(
                rules::SVG_ACTIVE_CONTENT,
                at,
                format!("a javascript: URL in {name}="),
                None,
            );
            let script = value.0.trim_start();
            let skip = value.0.len() - script.len() + "javascript:".len();
            javascript::scan_browser_script(&value.0[skip..], value.1 + skip, sink);
        }
    }
}

/// The text of a `<script>` without its `<![CDATA[ … ]]>` wrapper, and where it starts.
fn strip_cdata(code: &str, at: usize) -> (&str, usize) {
    let trimmed = code.trim_start();
    let lead = code.len() - trimmed.len();
    match trimmed.strip_prefix("<![CDATA[") {
        Some(rest) => {
            let rest = rest.rsplit_once("]]>").map_or(rest, |(body, _)| body);
            (rest, at + lead + "<![CDATA[".len())
        }
        None => (code, at),
    }
}

/// Attributes of every tag outside `<script>` bodies: (offset, lowercased name, (value, value
/// offset)). Quoted values only; SVG written by tools quotes them all.
fn attributes<'t>(text: &'t str, lower: &str) -> Vec<(usize, String, (&'t str, usize))> {
    let mut out = Vec::new();
    let bytes = lower.as_bytes();
    let mut pos = 0;
    while let Some(rel) = memchr::memchr(b'<', &bytes[pos..]) {
        let start = pos + rel;
        if lower[start..].starts_with("<!--") {
            pos = lower[start..]
                .find("-->")
                .map_or(lower.len(), |e| start + e + 3);
            continue;
        }
        if lower[start..].starts_with("<![cdata[") {
            pos = lower[start..]
                .find("]]>")
                .map_or(lower.len(), |e| start + e + 3);
            continue;
        }
        let end = memchr::memchr(b'>', &bytes[start..]).map_or(lower.len(), |e| start + e);
        let mut i = start + 1;
        // Skip the element name.
        while i < end && !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        while i < end {
            while i < end && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
                i += 1;
            }
            let name_start = i;
            while i < end && !bytes[i].is_ascii_whitespace() && bytes[i] != b'=' {
                i += 1;
            }
            let name = &lower[name_start..i];
            while i < end && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if i >= end || bytes[i] != b'=' {
                continue;
            }
            i += 1;
            while i < end && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            let Some(&quote) = bytes.get(i).filter(|q| matches!(q, b'"' | b'\'')) else {
                while i < end && !bytes[i].is_ascii_whitespace() {
                    i += 1;
                }
                continue;
            };
            let value_start = i + 1;
            let value_end = memchr::memchr(quote, &bytes[value_start..])
                .map_or(lower.len(), |e| value_start + e);
            if !name.is_empty()
                && text.is_char_boundary(value_start)
                && text.is_char_boundary(value_end)
            {
                out.push((
                    name_start,
                    name.to_owned(),
                    (&text[value_start..value_end], value_start),
                ));
            }
            i = value_end + 1;
        }
        // A tag's `>` may sit inside a quoted value; the loop above stepped past it.
        let after = i.max(end) + 1;
        if lower[start..].starts_with("<script") {
            pos = lower[start..]
                .find("</script")
                .map_or(lower.len(), |e| start + e + 1);
        } else {
            pos = after.min(lower.len());
        }
    }
    out
}
