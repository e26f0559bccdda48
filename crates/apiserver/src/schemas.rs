//! Schemas of the current catalogue: the OpenAPI documents served and the resolved
//! model used for strict field validation and patching.

use kubehci_api::ResourceInfo;
use kubehci_schema::CustomSchema;
use serde_json::Value;

use crate::state::State;

/// Rebuilds OpenAPI documents and the schema model for `resources` served from `crds`.
pub fn rebuild(state: &State, resources: &[ResourceInfo], crds: &[Value]) {
    let extra: Vec<CustomSchema> = crds.iter().flat_map(CustomSchema::from_crd).collect();
    state.openapi.rebuild(resources, &extra);
}
