//! The container runtime side of a node: containerd started with our own config, the CRI
//! client, and the built-in images (pause, busybox) built locally and imported.

pub mod cri;
