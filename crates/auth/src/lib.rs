//! kubehci-auth (being written).
