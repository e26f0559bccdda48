#!/usr/bin/env python3
"""Record the request bodies kubectl sends, to use as decoder test fixtures.

Runs a throw-away HTTPS server on 127.0.0.1 (self-signed cert made with the
`openssl` CLI), points a temporary kubeconfig at it with
`insecure-skip-tls-verify: true`, runs one kubectl command, and saves the
body of every POST/PUT/PATCH it sent as `<out>/<name>.pb` (or `.json`).

Usage:
  capture.py --kubectl /usr/lib/google-cloud-sdk/bin/kubectl.1.33 \
      --out crates/proto/tests/fixtures --name create-namespace -- create namespace demo

GETs get a minimal legacy discovery document (for commands that use the REST\nmapper) or 404;
writes are answered 403 with a JSON Status, so kubectl gives up after one try.
Python 3 standard library only.
"""
import argparse
import http.server
import json
import os
import ssl
import subprocess
import sys
import tempfile
import threading

RECORDED = []


def _res(name, kind, namespaced=True):
    return {"name": name, "singularName": kind.lower(), "namespaced": namespaced, "kind": kind,
            "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]}


NODE = {"kind": "Node", "apiVersion": "v1", "metadata": {"name": "n1", "uid": "u1", "resourceVersion": "1"},
        "spec": {}}
POD = {"kind": "Pod", "apiVersion": "v1",
       "metadata": {"name": "p1", "namespace": "default", "uid": "u2", "resourceVersion": "2",
                    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs",
                                         "uid": "u3", "controller": True}]},
       "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "busybox"}]},
       "status": {"phase": "Running"}}
RS = {"kind": "ReplicaSet", "apiVersion": "apps/v1",
      "metadata": {"name": "rs", "namespace": "default", "uid": "u3"},
      "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {}}}

# Canned objects for `drain` (node, its one pod, the pod's owner); writes other
# than the eviction get these back as if they had succeeded.
OBJECTS = {
    "/api/v1/nodes/n1": NODE,
    "/api/v1/pods": {"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": [POD]},
    "/api/v1/namespaces/default/pods/p1": POD,
    "/apis/apps/v1/namespaces/default/replicasets/rs": RS,
}

# Just enough legacy discovery for commands that go through the REST mapper.
DISCOVERY = {
    "/api": {"kind": "APIVersions", "versions": ["v1"],
             "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]},
    "/apis": {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
        {"name": g, "versions": [{"groupVersion": f"{g}/v1", "version": "v1"}],
         "preferredVersion": {"groupVersion": f"{g}/v1", "version": "v1"}}
        for g in ("apps", "rbac.authorization.k8s.io", "policy")]},
    "/api/v1": {"kind": "APIResourceList", "groupVersion": "v1", "resources": [
        _res("pods", "Pod"), _res("services", "Service"), _res("namespaces", "Namespace", False),
        _res("nodes", "Node", False), _res("configmaps", "ConfigMap"),
        dict(_res("pods/eviction", "Eviction"), group="policy", version="v1", verbs=["create"])]},
    "/apis/apps/v1": {"kind": "APIResourceList", "groupVersion": "apps/v1", "resources": [
        _res("deployments", "Deployment"), _res("replicasets", "ReplicaSet")]},
    "/apis/rbac.authorization.k8s.io/v1": {
        "kind": "APIResourceList", "groupVersion": "rbac.authorization.k8s.io/v1", "resources": [
            _res("roles", "Role"), _res("clusterroles", "ClusterRole", False),
            _res("rolebindings", "RoleBinding"), _res("clusterrolebindings", "ClusterRoleBinding", False)]},
    "/apis/policy/v1": {"kind": "APIResourceList", "groupVersion": "policy/v1", "resources": [
        _res("poddisruptionbudgets", "PodDisruptionBudget"), _res("pods/eviction", "Eviction")]},
}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # keep stderr quiet
        sys.stderr.write("server: " + (fmt % args) + "\n")

    def _reply(self, code, obj):
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _status(self, code, reason):
        return {"kind": "Status", "apiVersion": "v1", "metadata": {},
                "status": "Failure", "message": "capture server", "reason": reason,
                "code": code}

    def do_GET(self):
        RECORDED.append(("GET", self.path, self.headers.get("Accept", ""), b""))
        path = self.path.split("?")[0]
        if path in DISCOVERY:
            self._reply(200, DISCOVERY[path])
        elif path in OBJECTS:
            if path.endswith("/pods/p1") and self.served_pod_once():
                self._reply(404, self._status(404, "NotFound"))
            else:
                self._reply(200, OBJECTS[path])
        else:
            self._reply(404, self._status(404, "NotFound"))

    def _write(self):
        n = int(self.headers.get("Content-Length", "0") or 0)
        body = self.rfile.read(n)
        RECORDED.append((self.command, self.path, self.headers.get("Content-Type", ""), body))
        path = self.path.split("?")[0]
        if self.command == "PATCH" and path in OBJECTS:
            self._reply(200, OBJECTS[path])
        elif path.endswith("/eviction"):
            self._reply(201, self._status(201, ""))
        else:
            self._reply(403, self._status(403, "Forbidden"))

    def served_pod_once(self):
        n = sum(1 for m, p, _, _ in RECORDED if m == "GET" and p.split("?")[0].endswith("/pods/p1"))
        return n > 1

    do_POST = _write
    do_PUT = _write
    do_PATCH = _write


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kubectl", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("args", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    args = a.args[1:] if a.args and a.args[0] == "--" else a.args

    tmp = tempfile.mkdtemp()
    crt, key = os.path.join(tmp, "c.pem"), os.path.join(tmp, "k.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", crt],
                   check=True, capture_output=True)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(crt, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    port = srv.server_address[1]
    threading.Thread(target=srv.serve_forever, daemon=True).start()

    kc = os.path.join(tmp, "kubeconfig")
    with open(kc, "w") as f:
        f.write(f"""apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: https://127.0.0.1:{port}
    insecure-skip-tls-verify: true
users:
- name: u
  user:
    token: capture
contexts:
- name: x
  context: {{cluster: c, user: u, namespace: default}}
current-context: x
""")
    env = dict(os.environ, KUBECONFIG=kc, HOME=tmp)
    p = subprocess.run([a.kubectl, *args], env=env, capture_output=True, text=True, timeout=60)
    srv.shutdown()
    sys.stderr.write(f"kubectl exit {p.returncode}: {p.stderr.strip()[:300]}\n")
    os.makedirs(a.out, exist_ok=True)
    n = 0
    for method, path, ctype, body in RECORDED:
        print(method, path, ctype, len(body))
        if method == "GET":
            continue
        ext = "pb" if "protobuf" in ctype else "json"
        suffix = "" if n == 0 else f"-{n}"
        with open(os.path.join(a.out, f"{a.name}{suffix}.{ext}"), "wb") as f:
            f.write(body)
        n += 1


if __name__ == "__main__":
    main()
