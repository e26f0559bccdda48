//! kubehci-apiserver (being written).
