//! kubehci-crd (being written).
