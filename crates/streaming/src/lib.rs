//! Streaming for pods: container logs, exec, attach and port-forward, from kubectl through the API server to the node agent and the runtime.
