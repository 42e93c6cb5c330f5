//! What the Python and JavaScript analysers share: the source being read, where it sits in
//! its file, the names bound in it (module aliases and string constants), and a bound on how
//! deep expression evaluation may recurse, so that no input can exhaust the stack.

use std::cell::Cell;
use std::collections::HashMap;

use tree_sitter::Node;

/// How deep the expression evaluators may recurse.
const MAX_DEPTH: u32 = 64;

/// A parsed source file and the names bound in it.
pub(crate) struct Source<'s> {
    src: &'s [u8],
    /// Byte offset of the source within the file the sink reports on.
    base: usize,
    depth: Cell<u32>,
    /// Local name → qualified name (`sp` → `subprocess`, `run` → `child_process.exec`).
    pub aliases: HashMap<String, String>,
    /// Names bound to string constants.
    pub constants: HashMap<String, String>,
}

impl<'s> Source<'s> {
    pub fn new(source: &'s str, base: usize) -> Source<'s> {
        Source {
            src: source.as_bytes(),
            base,
            depth: Cell::new(0),
            aliases: HashMap::new(),
            constants: HashMap::new(),
        }
    }

    /// The text of a node.
    pub fn text(&self, node: Node) -> &'s str {
        node.utf8_text(self.src).unwrap_or("")
    }

    /// Where a node starts in the file.
    pub fn at(&self, node: Node) -> usize {
        self.base + node.start_byte()
    }

    /// The qualified name an identifier stands for (itself when it is not an alias).
    pub fn resolve(&self, name: &str) -> String {
        self.aliases
            .get(name)
            .cloned()
            .unwrap_or_else(|| name.to_owned())
    }

    /// Runs an evaluator one level deeper, giving up (`None`) past [`MAX_DEPTH`] levels.
    pub fn guarded(&self, f: impl FnOnce() -> Option<String>) -> Option<String> {
        if self.depth.get() >= MAX_DEPTH {
            return None;
        }
        self.depth.set(self.depth.get() + 1);
        let result = f();
        self.depth.set(self.depth.get() - 1);
        result
    }
}
