//! kubehci-patch (being written).
