//! TREE: the smallest DOM html5ever's tree builder can build into (names, text, links) — enough
//! for a title's text in document order, and for [`super::budget`] to count what building the
//! same tree into ammonia's DOM costs. Every operation is O(1) here except moving children,
//! which is O(children) as in ammonia's `RcDom`; what `RcDom` would spend is counted instead.

mod sink;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use html5ever::{LocalName, QualName, local_name, ns};

use super::costs::{Costs, add};

/// What html5ever holds of a node: its index in [`Tree`], and an element's name, kept here so
/// that the tree builder can borrow it (`TreeSink::elem_name`) without a borrow of the tree.
#[derive(Debug)]
pub struct Info {
    id: usize,
    name: QualName,
    integration_point: bool,
    contents: Option<Handle>,
}

/// A node as the tree builder refers to it.
pub type Handle = Rc<Info>;

impl Info {
    /// The element's name (empty for other nodes).
    pub fn name(&self) -> &QualName {
        &self.name
    }
}

enum Data {
    /// The document, or a template's contents.
    Container,
    Element(Handle),
    Text(String),
    /// A comment, processing instruction or doctype: not text, not an element.
    Other,
}

struct Node {
    data: Data,
    parent: Option<usize>,
    first: Option<usize>,
    last: Option<usize>,
    prev: Option<usize>,
    next: Option<usize>,
    children: usize,
}

/// Per formatting-element name, what [`Costs::noah`] is estimated from.
#[derive(Default)]
struct Formatting {
    /// Entries of this name html5ever held at the last [`Tree::recount`].
    held: usize,
    /// Created since then.
    since: usize,
    /// Most attributes any of them had.
    attributes: usize,
}

/// The DOM, and what building it cost ([`Costs`]).
pub struct Tree {
    nodes: RefCell<Vec<Node>>,
    document: Handle,
    /// What building it cost so far.
    pub costs: Costs,
    formatting: RefCell<HashMap<LocalName, Formatting>>,
    root_attributes: Cell<u64>,
}

impl Default for Tree {
    fn default() -> Self {
        let document = Rc::new(Info { id: 0, name: unnamed(), integration_point: false, contents: None });
        Tree {
            nodes: RefCell::new(vec![Node::new(Data::Container)]),
            document,
            costs: Costs::default(),
            formatting: RefCell::default(),
            root_attributes: Cell::new(0),
        }
    }
}

fn unnamed() -> QualName {
    QualName::new(None, ns!(), local_name!(""))
}

impl Node {
    fn new(data: Data) -> Self {
        Node { data, parent: None, first: None, last: None, prev: None, next: None, children: 0 }
    }
}

/// Whether `name` is one of the formatting elements html5ever keeps in its list of active
/// formatting elements. `a` is left out: a new `<a>` first closes the open one, so the list
/// never holds two.
pub fn is_formatting(name: &QualName) -> bool {
    name.ns == ns!(html)
        && matches!(
            &*name.local,
            "b" | "big" | "code" | "em" | "font" | "i" | "nobr" | "s" | "small" | "strike" | "strong" | "tt" | "u"
        )
}

/// HTML's void elements: never on the stack of open elements, so they nest nothing.
fn is_void(name: &QualName) -> bool {
    name.ns == ns!(html)
        && matches!(
            &*name.local,
            "area"
                | "base"
                | "basefont"
                | "bgsound"
                | "br"
                | "col"
                | "embed"
                | "frame"
                | "hr"
                | "img"
                | "input"
                | "keygen"
                | "link"
                | "meta"
                | "param"
                | "source"
                | "track"
                | "wbr"
        )
}

/// Elements whose content is not text a reader sees: scripts, styles, and the raw markup of
/// what shows only without scripts, plugins or frames.
fn is_hidden(name: &QualName) -> bool {
    is_hidden_name(&name.local)
}

/// [`is_hidden`] by local name, for the text of markup over budget (`budget::raw_text`).
pub(super) fn is_hidden_name(name: &str) -> bool {
    matches!(name, "script" | "style" | "noscript" | "noembed" | "noframes" | "iframe")
}

impl Tree {
    fn add(&self, data: Data) -> usize {
        let mut nodes = self.nodes.borrow_mut();
        nodes.push(Node::new(data));
        nodes.len() - 1
    }

    /// A comment, processing instruction or doctype.
    fn add_other(&self) -> Handle {
        add(&self.costs.created, 1);
        let id = self.add(Data::Other);
        Rc::new(Info { id, name: unnamed(), integration_point: false, contents: None })
    }

    /// Links `child` (parentless) as the last child of `parent`.
    fn link_last(&self, parent: usize, child: usize) {
        let nodes = &mut *self.nodes.borrow_mut();
        let last = nodes[parent].last;
        nodes[child].parent = Some(parent);
        nodes[child].prev = last;
        nodes[child].next = None;
        match last {
            Some(last) => nodes[last].next = Some(child),
            None => nodes[parent].first = Some(child),
        }
        nodes[parent].last = Some(child);
        nodes[parent].children += 1;
    }

    /// Links `child` (parentless) just before `sibling`.
    fn link_before(&self, sibling: usize, child: usize) {
        let nodes = &mut *self.nodes.borrow_mut();
        let parent = nodes[sibling].parent.expect("a sibling has a parent");
        let prev = nodes[sibling].prev;
        nodes[child].parent = Some(parent);
        nodes[child].prev = prev;
        nodes[child].next = Some(sibling);
        nodes[sibling].prev = Some(child);
        match prev {
            Some(prev) => nodes[prev].next = Some(child),
            None => nodes[parent].first = Some(child),
        }
        nodes[parent].children += 1;
    }

    /// Unlinks `child` from its parent, if it has one; `RcDom` finds it among its siblings.
    fn unlink(&self, child: usize) {
        let nodes = &mut *self.nodes.borrow_mut();
        let Some(parent) = nodes[child].parent.take() else { return };
        add(&self.costs.siblings, nodes[parent].children);
        let (prev, next) = (nodes[child].prev.take(), nodes[child].next.take());
        match prev {
            Some(prev) => nodes[prev].next = next,
            None => nodes[parent].first = next,
        }
        match next {
            Some(next) => nodes[next].prev = prev,
            None => nodes[parent].last = prev,
        }
        nodes[parent].children -= 1;
    }

    /// Appends `text` to node `id` when it is a text node.
    fn merge_text(&self, id: Option<usize>, text: &str) -> bool {
        let Some(id) = id else { return false };
        match &mut self.nodes.borrow_mut()[id].data {
            Data::Text(t) => {
                t.push_str(text);
                true
            }
            _ => false,
        }
    }

    /// Starts a new count of Noah's Ark's candidates: `held` formatting elements of each name
    /// are on html5ever's stack or list now.
    pub fn recount(&self, held: HashMap<LocalName, usize>) {
        for (name, f) in self.formatting.borrow_mut().iter_mut() {
            f.held = held.get(name).copied().unwrap_or(0);
            f.since = 0;
        }
    }

    /// The nodes below `top` in document order, each with the number of non-void elements
    /// enclosing it below `top`; a template's contents count as its children when `contents`.
    fn walk(&self, top: usize, contents: bool, mut visit: impl FnMut(&Node, usize) -> bool) {
        let nodes = self.nodes.borrow();
        let mut stack: Vec<(Option<usize>, usize)> = vec![(nodes[top].first, 0)];
        while let Some((next, depth)) = stack.pop() {
            let Some(id) = next else { continue };
            let node = &nodes[id];
            stack.push((node.next, depth));
            if !visit(node, depth) {
                continue;
            }
            let inner = match &node.data {
                Data::Element(info) if !is_void(&info.name) => depth + 1,
                _ => depth,
            };
            if let (true, Data::Element(info)) = (contents, &node.data)
                && let Some(c) = &info.contents
            {
                stack.push((nodes[c.id].first, inner));
            }
            stack.push((node.first, inner));
        }
    }

    /// The `<html>` element a fragment is parsed into.
    fn root(&self) -> usize {
        self.nodes.borrow()[0].first.expect("html5ever gives a fragment a root")
    }

    /// The text a reader sees, in document order: text nodes outside scripts, styles, raw
    /// markup and templates (whose contents are not in the document).
    pub fn text(&self) -> String {
        let mut text = String::new();
        self.walk(0, false, |node, _| match &node.data {
            Data::Text(t) => {
                text.push_str(t);
                true
            }
            Data::Element(info) => !is_hidden(&info.name),
            _ => true,
        });
        text
    }

    /// Whether the fragment has any element (besides the root html5ever puts it in).
    pub fn has_element(&self) -> bool {
        let mut found = false;
        self.walk(self.root(), true, |node, _| {
            found |= matches!(node.data, Data::Element(_));
            !found
        });
        found
    }

    /// How many non-void elements enclose the most deeply nested node, template contents
    /// included.
    pub fn depth(&self) -> usize {
        let mut max = 0;
        self.walk(self.root(), true, |node, depth| {
            let own = matches!(&node.data, Data::Element(info) if !is_void(&info.name));
            max = max.max(depth + usize::from(own));
            true
        });
        max
    }
}

#[cfg(test)]
mod tests {
    use super::super::budget::parse;

    #[test]
    fn text_in_document_order_without_what_readers_do_not_see() {
        // Text in a table but in no cell goes before the table.
        assert_eq!(parse("<table><tr><td>b</td></tr>a</table>c").unwrap().text(), "abc");
        let hidden = "a<script>s</script><style>s</style><noscript>s</noscript><template>s</template>b";
        assert_eq!(parse(hidden).unwrap().text(), "ab");
    }

    #[test]
    fn depth_counts_what_nests() {
        let depth = |html: &str| parse(html).unwrap().depth();
        assert_eq!(depth("text"), 0);
        assert_eq!(depth("<div><br><img></div>"), 1, "void elements nest nothing");
        assert_eq!(depth("<div><p>x</p></div><p>y"), 2);
        assert_eq!(depth("<template><div><div>"), 3, "template contents count");
        // `/>` closes nothing in HTML; it does in SVG.
        assert_eq!(depth("<div/><div/>"), 2);
        assert_eq!(depth("<svg><g/><g/></svg>"), 2);
    }
}
