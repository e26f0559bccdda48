//! Role-based access control with upstream's semantics (`plugin/pkg/auth/authorizer/rbac`).

mod aggregate;
mod cache;
mod escalation;
mod policy;
mod resolver;
mod rules;

pub use aggregate::aggregated_rules;
pub use cache::{PolicySnapshot, RbacCache};
pub use escalation::{compact_string, covers};
pub use policy::{Binding, LabelSelector, PolicyRule, RbacKind, RoleObject, RoleRef, Subject};
pub use resolver::{Decision, SubjectRules, authorize_rbac};
pub use rules::{Attributes, rule_allows, subject_matches};
