//! Pod volumes on a node: emptyDir, configMap, secret, projected, downwardAPI, hostPath.
