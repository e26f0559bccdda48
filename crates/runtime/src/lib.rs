//! The container runtime side of a node: containerd started with our own config, the CRI
//! client, and the built-in images (pause, busybox) built locally and imported.

pub mod containerd;
pub mod cri;
mod error;
pub mod images;

pub use cri::{Cri, CriError, connect};
pub use error::RuntimeError;
