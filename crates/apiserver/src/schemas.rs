//! Schemas of the current catalogue: the OpenAPI documents served and the resolved
//! model used for strict field validation and patching.

use kubehci_schema::CustomSchema;

use crate::state::State;

/// Rebuilds OpenAPI documents and the schema model after the catalogue changed.
pub fn rebuild(state: &State) {
    let cat = state.catalog.snapshot();
    let extra: Vec<CustomSchema> = state
        .crds
        .read()
        .iter()
        .flat_map(CustomSchema::from_crd)
        .collect();
    state.openapi.rebuild(cat.all(), &extra);
}
