//! The tree builder's side of [`Tree`]: html5ever's calls, each O(1) here but moving children;
//! what `RcDom` would spend on the same call goes to [`Costs`](super::super::costs::Costs).

use std::rc::Rc;

use html5ever::interface::{ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::tendril::StrTendril;
use html5ever::{Attribute, ExpandedName, QualName};

use super::super::costs::{add, escape_cost};
use super::{Data, Handle, Info, Tree, is_formatting, unnamed};

impl TreeSink for Tree {
    type Handle = Handle;
    type Output = Self;
    type ElemName<'a> = ExpandedName<'a>;

    fn finish(self) -> Self {
        // Text is final now: what writing it out scans.
        let escaped: u64 = self
            .nodes
            .borrow()
            .iter()
            .map(|n| match &n.data {
                Data::Text(t) => escape_cost(t, false),
                _ => 0,
            })
            .sum();
        add(&self.costs.escaped, escaped);
        self
    }

    fn parse_error(&self, _msg: std::borrow::Cow<'static, str>) {}

    fn get_document(&self) -> Handle {
        self.document.clone()
    }

    fn elem_name<'a>(&'a self, target: &'a Handle) -> ExpandedName<'a> {
        target.name.expanded()
    }

    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, flags: ElementFlags) -> Handle {
        add(&self.costs.created, 1);
        for a in &attrs {
            add(&self.costs.escaped, escape_cost(&a.value, true));
        }
        if is_formatting(&name) {
            let mut formatting = self.formatting.borrow_mut();
            let f = formatting.entry(name.local.clone()).or_default();
            add(&self.costs.noah, (f.held + f.since) * (attrs.len() + f.attributes));
            f.since += 1;
            f.attributes = f.attributes.max(attrs.len());
        }
        let contents = flags.template.then(|| {
            let id = self.add(Data::Container);
            Rc::new(Info { id, name: unnamed(), integration_point: false, contents: None })
        });
        let id = self.add(Data::Other);
        let info =
            Rc::new(Info { id, name, integration_point: flags.mathml_annotation_xml_integration_point, contents });
        self.nodes.borrow_mut()[id].data = Data::Element(info.clone());
        info
    }

    fn create_comment(&self, _text: StrTendril) -> Handle {
        self.add_other()
    }

    fn create_pi(&self, _target: StrTendril, _data: StrTendril) -> Handle {
        self.add_other()
    }

    fn append(&self, parent: &Handle, child: NodeOrText<Handle>) {
        match child {
            NodeOrText::AppendNode(node) => self.link_last(parent.id, node.id),
            NodeOrText::AppendText(text) => {
                let last = self.nodes.borrow()[parent.id].last;
                if !self.merge_text(last, &text) {
                    let id = self.add(Data::Text(text.to_string()));
                    self.link_last(parent.id, id);
                }
            }
        }
    }

    fn append_based_on_parent_node(&self, element: &Handle, prev_element: &Handle, child: NodeOrText<Handle>) {
        if self.nodes.borrow()[element.id].parent.is_some() {
            self.append_before_sibling(element, child);
        } else {
            self.append(prev_element, child);
        }
    }

    fn append_doctype_to_document(&self, _name: StrTendril, _public_id: StrTendril, _system_id: StrTendril) {
        let node = self.add_other();
        self.link_last(0, node.id);
    }

    fn get_template_contents(&self, target: &Handle) -> Handle {
        target.contents.clone().expect("html5ever asks only a template for its contents")
    }

    fn same_node(&self, x: &Handle, y: &Handle) -> bool {
        Rc::ptr_eq(x, y)
    }

    fn set_quirks_mode(&self, _mode: QuirksMode) {}

    fn append_before_sibling(&self, sibling: &Handle, new_node: NodeOrText<Handle>) {
        // RcDom finds `sibling` among its parent's children, then shifts the ones after it.
        let parent = self.nodes.borrow()[sibling.id].parent.expect("a sibling has a parent");
        add(&self.costs.siblings, self.nodes.borrow()[parent].children);
        match new_node {
            NodeOrText::AppendNode(node) => {
                self.unlink(node.id);
                self.link_before(sibling.id, node.id);
            }
            NodeOrText::AppendText(text) => {
                let prev = self.nodes.borrow()[sibling.id].prev;
                if !self.merge_text(prev, &text) {
                    let id = self.add(Data::Text(text.to_string()));
                    self.link_before(sibling.id, id);
                }
            }
        }
    }

    fn add_attrs_if_missing(&self, _target: &Handle, attrs: Vec<Attribute>) {
        // Only ever the root `<html>`: RcDom hashes the attributes it has, then adds the new.
        let had = self.root_attributes.get();
        add(&self.costs.merged, had + attrs.len() as u64);
        self.root_attributes.set(had + attrs.len() as u64);
    }

    fn remove_from_parent(&self, target: &Handle) {
        self.unlink(target.id);
    }

    fn reparent_children(&self, node: &Handle, new_parent: &Handle) {
        let mut next = {
            let nodes = &mut *self.nodes.borrow_mut();
            let first = nodes[node.id].first;
            (nodes[node.id].first, nodes[node.id].last, nodes[node.id].children) = (None, None, 0);
            first
        };
        while let Some(child) = next {
            {
                let nodes = &mut *self.nodes.borrow_mut();
                next = nodes[child].next;
                (nodes[child].parent, nodes[child].prev, nodes[child].next) = (None, None, None);
            }
            // RcDom moves them all at once: one step each, not a search each.
            add(&self.costs.siblings, 1);
            self.link_last(new_parent.id, child);
        }
    }

    fn is_mathml_annotation_xml_integration_point(&self, handle: &Handle) -> bool {
        handle.integration_point
    }
}
