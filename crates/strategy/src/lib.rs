//! kubehci-strategy (being written).
