//! Label and field selector filtering of listed and watched objects.

use kubehci_api::selector::{FieldSelector, LabelSelector};
use kubehci_api::{ApiError, ResourceInfo};
use serde_json::Value;

/// The compiled `labelSelector` and `fieldSelector` of a request.
pub struct ListFilter {
    labels: Option<LabelSelector>,
    fields: Option<FieldSelector>,
    group: String,
    resource: String,
    custom: bool,
}

/// Built-in resources live in the core group or one of upstream's groups.
pub fn is_builtin(info: &ResourceInfo) -> bool {
    info.group.is_empty() || kubehci_api::builtin::GROUP_ORDER.contains(&info.group.as_str())
}

impl ListFilter {
    pub fn new(info: &ResourceInfo, q: &crate::query::Query) -> Result<Self, ApiError> {
        let labels = if q.label_selector.trim().is_empty() {
            None
        } else {
            Some(
                LabelSelector::parse(&q.label_selector)
                    .map_err(|e| ApiError::bad_request(e.to_string()))?,
            )
        };
        let fields = if q.field_selector.trim().is_empty() {
            None
        } else {
            let f = FieldSelector::parse(&q.field_selector)
                .map_err(|e| ApiError::bad_request(e.to_string()))?;
            let f = if is_builtin(info) {
                f.validate(&info.group, &info.resource)
            } else {
                f.validate_custom(info.namespaced(), &[])
            }
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
            Some(f)
        };
        Ok(Self {
            labels,
            fields,
            group: info.group.clone(),
            resource: info.resource.clone(),
            custom: !is_builtin(info),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_none() && self.fields.is_none()
    }

    pub fn matches(&self, obj: &Value) -> bool {
        if let Some(l) = &self.labels
            && !l.matches(&kubehci_api::meta::labels(obj))
        {
            return false;
        }
        if let Some(f) = &self.fields {
            let ok = if self.custom {
                f.matches_custom(obj)
            } else {
                f.matches(&self.group, &self.resource, obj)
            };
            if !ok {
                return false;
            }
        }
        true
    }
}
