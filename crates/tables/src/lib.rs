//! kubehci-tables (being written).
