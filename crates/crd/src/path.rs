//! Field paths printed like upstream's `field.Path` (`spec.versions[0].schema`,
//! `properties[spec]`).

/// A field path under construction. The empty path prints as upstream's nil path does
/// when an error has no field (`<nil>`), see [`FieldPath::or_nil`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldPath(String);

impl FieldPath {
    pub fn new(root: &str) -> Self {
        Self(root.to_string())
    }

    /// `a.b`; a child of the empty path is just the name.
    pub fn child(&self, name: &str) -> Self {
        if self.0.is_empty() {
            Self(name.to_string())
        } else {
            Self(format!("{}.{name}", self.0))
        }
    }

    /// `a[key]` (upstream prints map keys unquoted).
    pub fn key(&self, key: &str) -> Self {
        Self(format!("{}[{key}]", self.0))
    }

    /// `a[3]`.
    pub fn index(&self, i: usize) -> Self {
        Self(format!("{}[{i}]", self.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The string upstream prints for this path, `<nil>` when there is none.
    pub fn or_nil(&self) -> String {
        if self.0.is_empty() {
            "<nil>".to_string()
        } else {
            self.0.clone()
        }
    }
}

impl std::fmt::Display for FieldPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn paths_print_like_upstream() {
        let p = FieldPath::new("spec")
            .child("versions")
            .index(0)
            .child("schema");
        assert_eq!(p.as_str(), "spec.versions[0].schema");
        assert_eq!(FieldPath::default().child("x").key("y").as_str(), "x[y]");
        assert_eq!(FieldPath::default().or_nil(), "<nil>");
    }
}
