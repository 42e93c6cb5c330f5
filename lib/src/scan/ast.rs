//! What the Python and JavaScript analysers share: the source being read, where it sits in
//! its file, the names bound in it (module aliases and string constants), and a bound on how
//! deep expression evaluation may recurse, so that no input can exhaust the stack; and the
//! grammars' kind and field tables and the tree walk, so that reading a tree costs no lookups
//! by name and no allocation per node.

use foldhash::{HashMap, HashMapExt};
use std::cell::Cell;
use std::sync::OnceLock;

use std::num::NonZeroU16;

use tree_sitter::Node;

use super::Grammar;

/// How deep the expression evaluators may recurse.
const MAX_DEPTH: u32 = 64;

/// A parsed source file and the names bound in it.
pub(crate) struct Source<'s> {
    src: &'s [u8],
    /// Byte offset of the source within the file the sink reports on.
    base: usize,
    depth: Cell<u32>,
    /// The grammar's kind names and field ids.
    pub syntax: &'static Syntax,
    /// Local name → qualified name (`sp` → `subprocess`, `run` → `child_process.exec`).
    pub aliases: HashMap<String, String>,
    /// Names bound to string constants.
    pub constants: HashMap<String, String>,
}

impl<'s> Source<'s> {
    pub fn new(source: &'s str, base: usize, grammar: Grammar) -> Source<'s> {
        Source {
            src: source.as_bytes(),
            base,
            depth: Cell::new(0),
            syntax: Syntax::of(grammar),
            aliases: HashMap::new(),
            constants: HashMap::new(),
        }
    }

    /// The text of a node.
    pub fn text(&self, node: Node) -> &'s str {
        node.utf8_text(self.src).unwrap_or("")
    }

    /// The kind of a node (as `Node::kind`, without measuring the name).
    pub fn kind(&self, node: Node) -> &'static str {
        self.syntax.kind(node)
    }

    /// The shared shape of a node's kind.
    pub fn shape(&self, node: Node) -> Shape {
        self.syntax.shape(node)
    }

    /// The child of `node` in `field`.
    pub fn field<'t>(&self, node: Node<'t>, field: Field) -> Option<Node<'t>> {
        self.syntax.field(node, field)
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

/// The fields the analysers read, looked up by number instead of by name: tree-sitter finds a
/// field by name with a linear scan of the grammar's field names on every call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    Alias,
    Alternative,
    Argument,
    Arguments,
    Attribute,
    Body,
    Condition,
    Consequence,
    Constructor,
    Expression,
    Function,
    Increment,
    Index,
    Initializer,
    Key,
    Left,
    ModuleName,
    Name,
    Object,
    Operator,
    Parameter,
    Parameters,
    Pattern,
    Property,
    Right,
    Source,
    Subscript,
    Value,
}

impl Field {
    const ALL: [Field; 28] = [
        Field::Alias,
        Field::Alternative,
        Field::Argument,
        Field::Arguments,
        Field::Attribute,
        Field::Body,
        Field::Condition,
        Field::Consequence,
        Field::Constructor,
        Field::Expression,
        Field::Function,
        Field::Increment,
        Field::Index,
        Field::Initializer,
        Field::Key,
        Field::Left,
        Field::ModuleName,
        Field::Name,
        Field::Object,
        Field::Operator,
        Field::Parameter,
        Field::Parameters,
        Field::Pattern,
        Field::Property,
        Field::Right,
        Field::Source,
        Field::Subscript,
        Field::Value,
    ];

    /// The field's name in the grammars.
    fn name(self) -> &'static str {
        match self {
            Field::Alias => "alias",
            Field::Alternative => "alternative",
            Field::Argument => "argument",
            Field::Arguments => "arguments",
            Field::Attribute => "attribute",
            Field::Body => "body",
            Field::Condition => "condition",
            Field::Consequence => "consequence",
            Field::Constructor => "constructor",
            Field::Expression => "expression",
            Field::Function => "function",
            Field::Increment => "increment",
            Field::Index => "index",
            Field::Initializer => "initializer",
            Field::Key => "key",
            Field::Left => "left",
            Field::ModuleName => "module_name",
            Field::Name => "name",
            Field::Object => "object",
            Field::Operator => "operator",
            Field::Parameter => "parameter",
            Field::Parameters => "parameters",
            Field::Pattern => "pattern",
            Field::Property => "property",
            Field::Right => "right",
            Field::Source => "source",
            Field::Subscript => "subscript",
            Field::Value => "value",
        }
    }
}

/// One grammar's node kind names by id and field ids by [`Field`], built once per process:
/// `Node::kind` measures and validates the name on every call, a table lookup does not.
pub(crate) struct Syntax {
    kinds: Vec<String>,
    /// The shared shape of each kind, by id.
    shapes: Vec<Shape>,
    fields: [Option<NonZeroU16>; Field::ALL.len()],
    /// The object and name fields of [`Shape::Member`].
    member: (Field, Field),
    /// The object and key fields of [`Shape::Index`].
    index: (Field, Field),
}

impl Syntax {
    fn new(grammar: Grammar) -> Syntax {
        let language = grammar.language();
        let kinds: Vec<String> = (0..language.node_kind_count())
            .map(|id| {
                u16::try_from(id)
                    .ok()
                    .and_then(|id| language.node_kind_for_id(id))
                    .unwrap_or("")
                    .to_owned()
            })
            .collect();
        let fields = Field::ALL.map(|f| language.field_id_for_name(f.name()));
        let (shapes, member, index) = match shapes(grammar) {
            Some(table) => (
                kinds
                    .iter()
                    .map(|kind| {
                        table
                            .kinds
                            .iter()
                            .find(|(name, _)| name == kind)
                            .map_or(Shape::Other, |(_, shape)| *shape)
                    })
                    .collect(),
                table.member,
                table.index,
            ),
            None => (
                Vec::new(),
                (Field::Object, Field::Property),
                (Field::Object, Field::Index),
            ),
        };
        Syntax {
            kinds,
            shapes,
            fields,
            member,
            index,
        }
    }

    /// The tables of `grammar`.
    pub fn of(grammar: Grammar) -> &'static Syntax {
        static TABLES: [OnceLock<Syntax>; 5] = [const { OnceLock::new() }; 5];
        let slot = match grammar {
            Grammar::Bash => 0,
            Grammar::Python => 1,
            Grammar::JavaScript => 2,
            Grammar::TypeScript => 3,
            Grammar::Tsx => 4,
        };
        TABLES[slot].get_or_init(|| Syntax::new(grammar))
    }

    /// The kind of a node, as `Node::kind` names it.
    pub fn kind(&'static self, node: Node) -> &'static str {
        match self.kinds.get(usize::from(node.kind_id())) {
            Some(kind) if !kind.is_empty() => kind.as_str(),
            // Ids outside the table (ERROR nodes) are rare: ask the tree.
            _ => error_kind(node),
        }
    }

    /// The shared shape of a node's kind.
    pub fn shape(&self, node: Node) -> Shape {
        self.shapes
            .get(usize::from(node.kind_id()))
            .copied()
            .unwrap_or(Shape::Other)
    }

    /// The child in `field`.
    pub fn field<'t>(&self, node: Node<'t>, field: Field) -> Option<Node<'t>> {
        node.child_by_field_id(self.fields[field as usize]?.get())
    }

    /// The children in `field`.
    pub fn fields<'t>(&self, node: Node<'t>, field: Field) -> Vec<Node<'t>> {
        let Some(id) = self.fields[field as usize] else {
            return Vec::new();
        };
        let mut cursor = node.walk();
        node.children_by_field_id(id, &mut cursor).collect()
    }
}

/// The kind names tree-sitter uses outside a grammar's own symbols.
fn error_kind(node: Node) -> &'static str {
    if node.is_error() { "ERROR" } else { "_ERROR" }
}

/// Visits `root` and every named node under it in document order, not descending into
/// anonymous nodes, with one cursor for the whole tree (no allocation per node).
pub(crate) fn visit_named<'t>(root: Node<'t>, mut visit: impl FnMut(Node<'t>)) {
    any_named(root, |node| {
        visit(node);
        false
    });
}

/// Whether `root` or any named node under it satisfies `found`, in the order of
/// [`visit_named`], stopping at the first.
pub(crate) fn any_named<'t>(root: Node<'t>, mut found: impl FnMut(Node<'t>) -> bool) -> bool {
    if found(root) {
        return true;
    }
    let mut cursor = root.walk();
    if !cursor.goto_first_child() {
        return false;
    }
    loop {
        let node = cursor.node();
        if node.is_named() {
            if found(node) {
                return true;
            }
            if cursor.goto_first_child() {
                continue;
            }
        }
        // Up until a node has a next sibling; back at `root`, done.
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                return false;
            }
        }
    }
}

/// The expression shapes both grammars have, which [`Fold`] folds once for both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// `a + b` and other binary operators (`binary_operator`, `binary_expression`).
    Binary,
    /// `(a)`
    Parenthesized,
    /// A name, possibly bound to a constant or a module.
    Name,
    /// `a.b` (`attribute`, `member_expression`).
    Member,
    /// `a["b"]` (`subscript`, `subscript_expression`).
    Index,
    /// Anything else: the grammar's own forms.
    Other,
}

/// Which kinds and fields of a grammar make the shared shapes.
struct Shapes {
    kinds: [(&'static str, Shape); 5],
    /// The object and name fields of [`Shape::Member`].
    member: (Field, Field),
    /// The object and key fields of [`Shape::Index`].
    index: (Field, Field),
}

fn shapes(grammar: Grammar) -> Option<Shapes> {
    match grammar {
        Grammar::Python => Some(Shapes {
            kinds: [
                ("binary_operator", Shape::Binary),
                ("parenthesized_expression", Shape::Parenthesized),
                ("identifier", Shape::Name),
                ("attribute", Shape::Member),
                ("subscript", Shape::Index),
            ],
            member: (Field::Object, Field::Attribute),
            index: (Field::Value, Field::Subscript),
        }),
        Grammar::JavaScript | Grammar::TypeScript | Grammar::Tsx => Some(Shapes {
            kinds: [
                ("binary_expression", Shape::Binary),
                ("parenthesized_expression", Shape::Parenthesized),
                ("identifier", Shape::Name),
                ("member_expression", Shape::Member),
                ("subscript_expression", Shape::Index),
            ],
            member: (Field::Object, Field::Property),
            index: (Field::Object, Field::Index),
        }),
        Grammar::Bash => None,
    }
}

/// Constant folding and name resolution shared by the Python and JavaScript analysers: the
/// shapes both grammars have (`a + b`, `(a)`, names bound to constants or modules, `a.b`,
/// `a["b"]`) are folded here once, and each analyser supplies only its grammar's own forms
/// (string literals, decoders, `getattr`, `require`). Every step is bounded by
/// [`Source::guarded`].
pub(crate) trait Fold<'s> {
    /// The source being read and its bindings.
    fn source(&self) -> &Source<'s>;

    /// The constant value of one of the grammar's own forms (a string literal, a decoded
    /// constant, `['a', 'b'].join('')`).
    fn own_literal(&self, node: Node) -> Option<String>;

    /// The constant start of one of the grammar's own forms (`f"https://x/{q}"`,
    /// `"https://x/{}".format(q)`).
    fn own_literal_prefix(&self, node: Node) -> Option<String>;

    /// The qualified name of one of the grammar's own callee forms (`getattr(os, 'system')`,
    /// `require('child_process')`).
    fn own_qualified(&self, node: Node) -> Option<String>;

    /// The constant string value of an expression, when it has one.
    fn literal(&self, node: Node) -> Option<String> {
        let source = self.source();
        source.guarded(|| match source.shape(node) {
            Shape::Binary => {
                let op = source
                    .field(node, Field::Operator)
                    .map(|o| source.text(o))?;
                if op != "+" {
                    return None;
                }
                Some(
                    self.literal(source.field(node, Field::Left)?)?
                        + &self.literal(source.field(node, Field::Right)?)?,
                )
            }
            Shape::Parenthesized => self.literal(node.named_child(0)?),
            Shape::Name => source.constants.get(source.text(node)).cloned(),
            Shape::Member | Shape::Index | Shape::Other => self.own_literal(node),
        })
    }

    /// The leading constant part of a string expression (`API + q` → the value of `API`).
    fn literal_prefix(&self, node: Node) -> Option<String> {
        let source = self.source();
        source.guarded(|| {
            if let Some(full) = self.literal(node) {
                return Some(full);
            }
            match source.shape(node) {
                Shape::Binary => self.literal_prefix(source.field(node, Field::Left)?),
                _ => self.own_literal_prefix(node),
            }
        })
    }

    /// The dotted name a callee resolves to through imports, member access and constant
    /// subscripts (`sp.run` → `subprocess.run`, `m['ex' + 'ec']` → `child_process.exec`).
    fn qualified(&self, node: Node) -> Option<String> {
        let source = self.source();
        source.guarded(|| match source.shape(node) {
            Shape::Name => Some(source.resolve(source.text(node))),
            Shape::Member => {
                let (object, name) = source.syntax.member;
                let object = self.qualified(source.field(node, object)?)?;
                let name = source.text(source.field(node, name)?);
                Some(format!("{object}.{name}"))
            }
            Shape::Index => {
                let (object, key) = source.syntax.index;
                let object = self.qualified(source.field(node, object)?)?;
                let key = self.literal(source.field(node, key)?)?;
                Some(format!("{object}.{key}"))
            }
            Shape::Parenthesized => self.qualified(node.named_child(0)?),
            Shape::Binary | Shape::Other => self.own_qualified(node),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLES: &[(Grammar, &str)] = &[
        (
            Grammar::Python,
            "import os as o\nfrom a import b as c\nx = (o.path.join('~', \".ssh\") + y)[0]\n\
             def f(p, q=1):\n    return getattr(o, 'sys' + 'tem')(f\"{p}\")\nfor i in [1, 2]:\n    \
             x += i if i else -i\n",
        ),
        (
            Grammar::JavaScript,
            "const {exec: run} = require('child_' + 'process');\nlet u = `https://${h}/x`;\n\
             m['ex' + 'ec'](a.b.c, new URL(u), (e, d) => d);\nfor (const k in o) { if (k) x = 1; else y ??= 2 }\n",
        ),
        (
            Grammar::TypeScript,
            "import * as cp from 'node:child_process';\nconst f = (x: string): void => cp.exec(x as any);\n",
        ),
        (
            Grammar::Tsx,
            "const A = () => <div onClick={() => fetch(`/x`)}>{a ?? b}</div>;\n",
        ),
        (
            Grammar::Bash,
            "for f in a b; do curl -s \"$URL\" | sh; done\nx=$(echo aGk= | base64 -d) && echo ${x} > ~/.bashrc\n",
        ),
        // Broken input: ERROR nodes have ids outside the grammar's table.
        (Grammar::Python, "def (:\n  x = = 1\n"),
        (Grammar::JavaScript, "if ( { let = ; }}} ]"),
    ];

    /// Every node of the tree, anonymous ones included, in document order.
    fn all_nodes(root: Node) -> Vec<Node> {
        let mut out = Vec::new();
        let mut stack = vec![root];
        while let Some(node) = stack.pop() {
            out.push(node);
            let mut cursor = node.walk();
            let children: Vec<Node> = node.children(&mut cursor).collect();
            stack.extend(children.into_iter().rev());
        }
        out
    }

    #[test]
    fn kinds_and_fields_by_id_match_the_lookups_by_name() {
        for (grammar, source) in SAMPLES {
            let tree = crate::scan::parse(*grammar, source).expect("parses");
            let syntax = Syntax::of(*grammar);
            let nodes = all_nodes(tree.root_node());
            assert!(nodes.len() > 5, "{grammar:?}: sample too small");
            for node in nodes {
                assert_eq!(syntax.kind(node), node.kind(), "{grammar:?}: {node:?}");
                for field in Field::ALL {
                    assert_eq!(
                        syntax.field(node, field),
                        node.child_by_field_name(field.name()),
                        "{grammar:?}: field {} of {node:?}",
                        field.name()
                    );
                    let mut cursor = node.walk();
                    let by_name: Vec<Node> = node
                        .children_by_field_name(field.name(), &mut cursor)
                        .collect();
                    assert_eq!(syntax.fields(node, field), by_name);
                }
            }
        }
        // The broken samples did produce error nodes, whose kind is not in the tables.
        for (grammar, source) in &SAMPLES[5..] {
            let tree = crate::scan::parse(*grammar, source).expect("parses");
            let errors: Vec<Node> = all_nodes(tree.root_node())
                .into_iter()
                .filter(|n| n.is_error())
                .collect();
            assert!(!errors.is_empty(), "{grammar:?}");
            for node in errors {
                assert_eq!(Syntax::of(*grammar).kind(node), "ERROR");
            }
        }
    }

    #[test]
    fn the_walk_visits_named_nodes_in_document_order() {
        for (grammar, source) in SAMPLES {
            let tree = crate::scan::parse(*grammar, source).expect("parses");
            let root = tree.root_node();
            // What the analysers' walks did before: a stack of named children.
            let mut expected = Vec::new();
            let mut stack = vec![root];
            while let Some(node) = stack.pop() {
                expected.push(node);
                let mut cursor = node.walk();
                let children: Vec<Node> = node.named_children(&mut cursor).collect();
                stack.extend(children.into_iter().rev());
            }
            let mut visited = Vec::new();
            visit_named(root, |node| visited.push(node));
            assert_eq!(visited, expected, "{grammar:?}");
            // From an inner node, only its own subtree.
            let inner = root.named_child(0).expect("a statement");
            let mut inside = Vec::new();
            visit_named(inner, |node| inside.push(node));
            assert_eq!(inside.first(), Some(&inner));
            assert!(inside.iter().all(|n| {
                n.start_byte() >= inner.start_byte() && n.end_byte() <= inner.end_byte()
            }));
            assert!(inside.len() < visited.len());
        }
    }

    #[test]
    fn any_named_stops_at_the_first_match() {
        let tree = crate::scan::parse(Grammar::Python, "a(b(c), d)\ne\n").expect("parses");
        let syntax = Syntax::of(Grammar::Python);
        let mut seen = 0;
        let found = any_named(tree.root_node(), |node| {
            seen += 1;
            syntax.kind(node) == "call"
        });
        assert!(found);
        // module, expression_statement, call: the first call ends the search.
        assert_eq!(seen, 3);
        assert!(!any_named(tree.root_node(), |node| syntax.kind(node) == "lambda"));
    }
}
