//! The node agent (our kubelet): registers its Node, renews its Lease and runs the pods bound to it on containerd through CRI.
