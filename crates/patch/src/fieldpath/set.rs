//! A set of field paths stored as a trie of sorted path elements (structured-merge-diff
//! `fieldpath.Set`): `members` are paths ending here, `children` are paths continuing.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::element::PathElement;
use crate::ty::{Atom, Ty};

/// A path: a sequence of elements.
pub(crate) type Path = Vec<PathElement>;

/// Upstream `fieldpath.Path.String()`.
pub(crate) fn path_string(p: &[PathElement]) -> String {
    p.iter().map(PathElement::display).collect()
}

#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Set {
    members: Vec<PathElement>,
    children: Vec<(PathElement, Set)>,
}

impl Set {
    pub(crate) fn new() -> Self {
        Set::default()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.members.is_empty() && self.children.iter().all(|(_, c)| c.is_empty())
    }

    /// Adds a path (the empty path is ignored, as upstream).
    pub(crate) fn insert(&mut self, path: &[PathElement]) {
        let Some((first, rest)) = path.split_first() else {
            return;
        };
        if rest.is_empty() {
            if let Err(i) = self.members.binary_search(first) {
                self.members.insert(i, first.clone());
            }
            return;
        }
        let i = match self.children.binary_search_by(|(pe, _)| pe.cmp(first)) {
            Ok(i) => i,
            Err(i) => {
                self.children.insert(i, (first.clone(), Set::new()));
                i
            }
        };
        self.children[i].1.insert(rest);
    }

    pub(crate) fn has(&self, path: &[PathElement]) -> bool {
        let Some((first, rest)) = path.split_first() else {
            return false;
        };
        if rest.is_empty() {
            return self.members.binary_search(first).is_ok();
        }
        self.child(first).is_some_and(|c| c.has(rest))
    }

    fn child(&self, pe: &PathElement) -> Option<&Set> {
        self.children
            .binary_search_by(|(p, _)| p.cmp(pe))
            .ok()
            .map(|i| &self.children[i].1)
    }

    /// Paths below `pe` (upstream `WithPrefix`), empty when none.
    pub(crate) fn with_prefix(&self, pe: &PathElement) -> Set {
        self.child(pe).cloned().unwrap_or_default()
    }

    pub(crate) fn union(&self, other: &Set) -> Set {
        let mut members = self.members.clone();
        for m in &other.members {
            if let Err(i) = members.binary_search(m) {
                members.insert(i, m.clone());
            }
        }
        let children = merge_children(&self.children, &other.children, |a, b| match (a, b) {
            (Some(a), Some(b)) => Some(a.union(b)),
            (Some(x), None) | (None, Some(x)) => Some(x.clone()),
            (None, None) => None,
        });
        Set { members, children }
    }

    /// This set's members that are (`in_other`) or are not members of `other`.
    fn filtered_members(&self, other: &Set, in_other: bool) -> Vec<PathElement> {
        self.members
            .iter()
            .filter(|m| other.members.binary_search(m).is_ok() == in_other)
            .cloned()
            .collect()
    }

    pub(crate) fn intersection(&self, other: &Set) -> Set {
        let members = self.filtered_members(other, true);
        let children = merge_children(&self.children, &other.children, |a, b| match (a, b) {
            (Some(a), Some(b)) => Some(a.intersection(b)).filter(|s| !s.is_empty()),
            _ => None,
        });
        Set { members, children }
    }

    pub(crate) fn difference(&self, other: &Set) -> Set {
        let members = self.filtered_members(other, false);
        let children = merge_children(&self.children, &other.children, |a, b| match (a, b) {
            (Some(a), Some(b)) => Some(a.difference(b)).filter(|s| !s.is_empty()),
            (Some(a), None) => Some(a.clone()),
            _ => None,
        });
        Set { members, children }
    }

    /// Difference that also drops everything below a member of `other`.
    pub(crate) fn recursive_difference(&self, other: &Set) -> Set {
        let members = self.filtered_members(other, false);
        let mut children = Vec::new();
        for (pe, set) in &self.children {
            if other.members.binary_search(pe).is_ok() {
                continue;
            }
            let diff = match other.child(pe) {
                Some(o) => set.recursive_difference(o),
                None => set.clone(),
            };
            if !diff.is_empty() {
                children.push((pe.clone(), diff));
            }
        }
        Set { members, children }
    }

    /// Every path, members of a level before its children, each level sorted
    /// (upstream `Iterate`).
    pub(crate) fn paths(&self) -> Vec<Path> {
        let mut out = Vec::new();
        self.collect(&mut Vec::new(), &mut out);
        out
    }

    fn collect(&self, prefix: &mut Path, out: &mut Vec<Path>) {
        for m in &self.members {
            let mut p = prefix.clone();
            p.push(m.clone());
            out.push(p);
        }
        for (pe, child) in &self.children {
            prefix.push(pe.clone());
            child.collect(prefix, out);
            prefix.pop();
        }
    }

    /// Adds declared struct fields that have children as members too
    /// (upstream `EnsureNamedFieldsAreMembers`).
    pub(crate) fn ensure_named_fields_are_members(&self, ty: Ty<'_>) -> Set {
        let is_struct = ty.is_typed() && matches!(ty.atom(None), Atom::Map { .. });
        let mut members = self.members.clone();
        let mut children = Vec::with_capacity(self.children.len());
        for (pe, child) in &self.children {
            let child_ty = match pe {
                PathElement::Field(name) if is_struct => {
                    if ty.declares(name)
                        && let Err(i) = members.binary_search(pe)
                    {
                        members.insert(i, pe.clone());
                    }
                    ty.field(name)
                }
                PathElement::Field(name) => ty.field(name),
                PathElement::Key(_) => ty.items(),
                _ => Ty::untyped(),
            };
            children.push((pe.clone(), child.ensure_named_fields_are_members(child_ty)));
        }
        Set { members, children }
    }

    /// FieldsV1 JSON (`{"f:spec":{".":{},"f:replicas":{}}}`), keys in set order.
    pub(crate) fn to_fields_v1(&self) -> Value {
        Value::Object(self.emit(false))
    }

    fn emit(&self, include_self: bool) -> Map<String, Value> {
        let mut out = Map::new();
        if include_self && !(self.members.is_empty() && self.children.is_empty()) {
            out.insert(".".into(), Value::Object(Map::new()));
        }
        let (mut mi, mut ci) = (0, 0);
        while mi < self.members.len() || ci < self.children.len() {
            let order = match (self.members.get(mi), self.children.get(ci)) {
                (Some(m), Some((c, _))) => m.cmp(c),
                (Some(_), None) => Ordering::Less,
                _ => Ordering::Greater,
            };
            match order {
                Ordering::Less => {
                    out.insert(self.members[mi].serialize(), Value::Object(Map::new()));
                    mi += 1;
                }
                Ordering::Greater => {
                    let (pe, child) = &self.children[ci];
                    out.insert(pe.serialize(), Value::Object(child.emit(false)));
                    ci += 1;
                }
                Ordering::Equal => {
                    let (pe, child) = &self.children[ci];
                    out.insert(pe.serialize(), Value::Object(child.emit(true)));
                    mi += 1;
                    ci += 1;
                }
            }
        }
        out
    }

    /// Parses FieldsV1 JSON (upstream `FromJSON`): `{}` values are members, `"."` marks a
    /// member with children, unknown element types are skipped.
    pub(crate) fn from_fields_v1(v: &Value) -> Result<Set, String> {
        match v {
            Value::Object(m) => Ok(Self::read(m, 0)?.0),
            _ => Err("expected a JSON object for FieldsV1".into()),
        }
    }

    /// Returns the set below this level and whether this level is itself a member.
    fn read(m: &Map<String, Value>, depth: usize) -> Result<(Set, bool), String> {
        if depth > crate::limits::MAX_DEPTH {
            return Err("managed fields nested too deeply".into());
        }
        let mut set = Set::new();
        let mut is_member = false;
        for (k, v) in m {
            if k == "." {
                is_member = true;
                continue;
            }
            let Some(pe) = PathElement::deserialize(k)? else {
                continue;
            };
            let Value::Object(inner) = v else {
                return Err(format!("expected an object for field {k}"));
            };
            let (grandchildren, child_is_member) = Self::read(inner, depth + 1)?;
            if child_is_member {
                set.insert(std::slice::from_ref(&pe));
            }
            if !grandchildren.members.is_empty() || !grandchildren.children.is_empty() {
                match set.children.binary_search_by(|(p, _)| p.cmp(&pe)) {
                    Ok(i) => set.children[i].1 = set.children[i].1.union(&grandchildren),
                    Err(i) => set.children.insert(i, (pe, grandchildren)),
                }
            }
        }
        if set.members.is_empty() && set.children.is_empty() {
            is_member = true;
        }
        Ok((set, is_member))
    }
}

/// Walks two sorted child lists together, combining entries with the same element.
fn merge_children(
    a: &[(PathElement, Set)],
    b: &[(PathElement, Set)],
    f: impl Fn(Option<&Set>, Option<&Set>) -> Option<Set>,
) -> Vec<(PathElement, Set)> {
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let order = match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) => x.0.cmp(&y.0),
            (Some(_), None) => Ordering::Less,
            _ => Ordering::Greater,
        };
        let (pe, res) = match order {
            Ordering::Less => {
                i += 1;
                (&a[i - 1].0, f(Some(&a[i - 1].1), None))
            }
            Ordering::Greater => {
                j += 1;
                (&b[j - 1].0, f(None, Some(&b[j - 1].1)))
            }
            Ordering::Equal => {
                i += 1;
                j += 1;
                (&a[i - 1].0, f(Some(&a[i - 1].1), Some(&b[j - 1].1)))
            }
        };
        if let Some(set) = res {
            out.push((pe.clone(), set));
        }
    }
    out
}
