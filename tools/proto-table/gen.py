#!/usr/bin/env python3
"""Generate crates/proto/src/table_generated.rs: the protobuf -> JSON field table.

Python 3 standard library only. Run by hand when the target Kubernetes version
changes; the output is committed and nothing runs this at build time.

Inputs (all Apache-2.0, read as data: field numbers and names are wire facts):
  --pb       k8s-pb crate source (kube-rs; prost structs: `#[prost(KIND, tag = "N")]`
             gives each field's number and protobuf kind, and message-typed
             fields' Rust paths give the referenced message).
  --go       a directory holding the v0.33 sources of k8s.io/api, apimachinery,
             apiextensions-apiserver and kube-aggregator (subfolders named like the
             repositories). Their struct tags give, per field number, the JSON name,
             `,inline`, `omitempty` and whether the Go field is a pointer; register.go
             files give the kinds each group/version serves. Messages or fields
             k8s-pb has but v1.33 does not are left out.
  --openapi  k8s-openapi crate source; its `src/v1_33` Resource impls give top-level
             (apiVersion, kind) pairs and its Deserialize impls the JSON names, which
             are cross-checked against the Go tags (differences are printed).

Example (after `git archive v0.33.13` of each repository into /tmp/gosrc/<repo>):
  python3 tools/proto-table/gen.py \
    --pb ~/.cargo/registry/src/index.crates.io-*/k8s-pb-0.9.0 \
    --openapi ~/.cargo/registry/src/index.crates.io-*/k8s-openapi-0.29.0 \
    --go /tmp/gosrc --go-version v0.33.13 \
    --out crates/proto/src/table_generated.rs
"""
import argparse
import os
import re
import sys

sys.dont_write_bytecode = True  # keep __pycache__ out of the repository

from goparse import parse_go_package, parse_register
from pbparse import parse_pb_crate

TOP = {"api": "api", "apimachinery": "apimachinery",
       "apiextensions_apiserver": "apiextensions-apiserver", "kube_aggregator": "kube-aggregator"}
SKIP_MODULES = ("metrics", "apimachinery/pkg/apis/testapigroup")
# Messages the decoder renders by hand; their Go types have custom JSON marshallers.
SPECIAL = {
    "io.k8s.apimachinery.pkg.apis.meta.v1.Time", "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime",
    "io.k8s.apimachinery.pkg.apis.meta.v1.Duration", "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1",
    "io.k8s.apimachinery.pkg.api.resource.Quantity", "io.k8s.apimachinery.pkg.util.intstr.IntOrString",
    "io.k8s.apimachinery.pkg.runtime.RawExtension", "io.k8s.apimachinery.pkg.runtime.Unknown",
    "io.k8s.apimachinery.pkg.apis.meta.v1.Timestamp",
}
for _v in ("v1", "v1beta1"):
    for _n in ("JSON", "JSONSchemaPropsOrBool", "JSONSchemaPropsOrArray", "JSONSchemaPropsOrStringArray"):
        SPECIAL.add(f"io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.{_v}.{_n}")

SCALARS = {"string": "S", "bool": "B", "int32": "I32", "int64": "I64", "double": "F64",
           "float": "F64", "bytes": "BY"}


def full_prefix(module):
    return "io.k8s." + ".".join([TOP[module[0]]] + list(module[1:]))


def go_dir(root, module):
    return os.path.join(root, TOP[module[0]], *module[1:])


def openapi_names(openapi_root):
    """(module path, lower-case struct name) -> set of JSON names, from k8s-openapi v1_33."""
    out = {}
    base = os.path.join(openapi_root, "src", "v1_33")
    for d, _, files in os.walk(base):
        for fn in files:
            if not fn.endswith(".rs"):
                continue
            text = open(os.path.join(d, fn), encoding="utf-8").read()
            m = re.search(r"^pub struct (\w+)", text, re.M)
            if not m:
                continue
            mod = os.path.relpath(d, base).split(os.sep)
            names = set(re.findall(r'"([^"]+)" => Field::Key_', text))
            out[("/".join(mod), m.group(1).lower())] = names
    return out


def openapi_roots(openapi_root):
    roots = []
    base = os.path.join(openapi_root, "src", "v1_33")
    for d, _, files in os.walk(base):
        for fn in files:
            text = open(os.path.join(d, fn), encoding="utf-8").read()
            for m in re.finditer(r'impl crate::Resource for (\w+) \{\s*const API_VERSION: &\'static str = "([^"]*)";'
                                 r'.*?const KIND: &\'static str = "([^"]*)";', text, re.S):
                mod = os.path.relpath(d, base).split(os.sep)
                roots.append((m.group(2), m.group(3), mod, m.group(1)))
    return roots


def kind_expr(pbf, resolve):
    """Rust expression for a field's kind, from its k8s-pb description."""
    def ty(k, msg):
        if k == "message":
            return f'M("{resolve(msg)}")'
        return SCALARS[k]
    if pbf["map"]:
        k, v = pbf["map"]
        return f"mp({ty(k, None)}, {ty(v, pbf['msg'])})"
    t = ty(pbf["kind"], pbf["msg"])
    if pbf["repeated"]:
        return f"rep({t})"
    if pbf["kind"] == "message":
        return f'one(M("{resolve(pbf["msg"])}"))'
    return {"S": "S1", "B": "B1", "I32": "I32_1", "I64": "I64_1", "F64": "F64_1", "BY": "BY1"}[t]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pb", required=True)
    ap.add_argument("--go", required=True)
    ap.add_argument("--go-version", required=True)
    ap.add_argument("--openapi", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    pb_version = os.path.basename(os.path.normpath(a.pb)).rsplit("-", 1)[-1]
    oa_version = os.path.basename(os.path.normpath(a.openapi)).rsplit("-", 1)[-1]
    pb = parse_pb_crate(os.path.join(a.pb, "src"))
    oa = openapi_names(a.openapi)
    warn = []

    # Go packages, parsed lazily per module.
    go_pkgs = {}

    def go_pkg(module):
        key = "/".join(module)
        if key not in go_pkgs:
            go_pkgs[key] = parse_go_package(go_dir(a.go, module), a.go)
        return go_pkgs[key]

    # Lower-case (module, name) -> proper Go name, to map prost's UpperCamel names back.
    def go_name(module, pbname):
        structs, named = go_pkg(module)
        for n in list(structs) + list(named):
            if n.lower() == pbname.lower():
                return n
        return None

    def resolve(ref):
        module, name = ref
        g = go_name(module, name)
        return f"{full_prefix(module)}.{g or name}"

    messages = {}
    skipped_msgs = skipped_fields = 0
    for (module, pbname), fields in sorted(pb.items()):
        key = "/".join(module)
        if any(key == s or key.startswith(s + "/") for s in SKIP_MODULES):
            continue
        gname = go_name(module, pbname)
        full = f"{full_prefix(module)}.{gname or pbname}"
        structs, named = go_pkg(module)
        if full in SPECIAL:
            rows = [(f["tag"], f["name"], kind_expr(f, resolve), False) for f in fields]
            messages[full] = (False, rows)
            continue
        if gname is None:
            skipped_msgs += 1
            continue
        if gname in named:  # `type ExtraValue []string`: a message wrapping a list
            rows = [(f["tag"], "items", kind_expr(f, resolve), False) for f in fields]
            messages[full] = (True, rows)
            continue
        gofields = structs[gname]
        by_tag = {g["tag"]: g for g in gofields if g["tag"] is not None}
        pb_by_tag = {f["tag"]: f for f in fields}
        rows = []
        for g in gofields:  # Go struct order = upstream JSON key order
            if g["tag"] is None:
                continue
            f = pb_by_tag.get(g["tag"])
            if f is None:
                warn.append(f"{full}: Go field {g['name']} tag {g['tag']} missing in k8s-pb")
                continue
            if g["json"] == "-":
                warn.append(f"{full}: field {g['name']} has json:\"-\" but a protobuf tag")
                continue
            kind = kind_expr(f, resolve)
            if g["inline"]:
                kind = f'inl("{resolve(f["msg"])}")'
            scalar = not f["repeated"] and not f["map"] and f["kind"] != "message"
            keep = scalar and (g["pointer"] or not g["omitempty"])
            rows.append((g["tag"], g["json"], kind, keep))
        skipped_fields += len(set(pb_by_tag) - set(by_tag))
        messages[full] = (False, rows)
        # Cross-check JSON names with k8s-openapi.
        oaset = oa.get((key, gname.lower()))
        if oaset is not None:
            mine = {r[1] for r in rows if not r[2].startswith("inl(")}
            extra = {n for n in oaset if n not in ("apiVersion", "kind")} - mine
            inlined = any(r[2].startswith("inl(") for r in rows)
            if (mine - oaset) or (extra and not inlined):
                warn.append(f"{full}: JSON names differ from k8s-openapi: "
                            f"only Go {sorted(mine - oaset)}, only k8s-openapi {sorted(extra)}")

    # Every referenced message must be in the table.
    for full, (_, rows) in list(messages.items()):
        for r in rows:
            for ref in re.findall(r'(?:M|inl)\("([^"]+)"\)', r[2]):
                if ref not in messages:
                    warn.append(f"{full}.{r[1]} references {ref}, not in the table")

    roots = build_roots(a, messages, warn)
    write(a.out, messages, roots, pb_version, oa_version, a.go_version)
    for w in warn:
        print("warning:", w, file=sys.stderr)
    print(f"{len(messages)} messages, {sum(len(r) for _, r in messages.values())} fields, "
          f"{len(roots)} roots; left out (not in v1.33): {skipped_msgs} messages, "
          f"{skipped_fields} fields; {len(warn)} warnings", file=sys.stderr)


def build_roots(a, messages, warn):
    roots = {}
    for api_version, kind, mod, struct in openapi_roots(a.openapi):
        full = f"{full_prefix(mod)}.{struct}"
        if full in messages:
            roots[(api_version, kind)] = full
        else:
            warn.append(f"root {api_version} {kind}: {full} not in the table")
    for top in TOP:
        base = os.path.join(a.go, TOP[top])
        for d, _, files in os.walk(base):
            if "register.go" not in files:
                continue
            reg = parse_register(os.path.join(d, "register.go"))
            if reg is None:
                continue
            group, version, kinds = reg
            module = [top] + os.path.relpath(d, base).split(os.sep)
            api_version = f"{group}/{version}" if group else version
            for k in kinds:
                full = f"{full_prefix(module)}.{k}"
                if full in messages:
                    roots.setdefault((api_version, k), full)
    return roots


def write(path, messages, roots, pb_version, oa_version, go_version):
    out = [
        "// @generated by tools/proto-table/gen.py - do not edit by hand.",
        f"// Field numbers and protobuf kinds: k8s-pb {pb_version}. JSON names, inline, pointer and",
        f"// omitempty: the Go types of k8s.io/api, apimachinery, apiextensions-apiserver and",
        f"// kube-aggregator {go_version}, cross-checked with k8s-openapi {oa_version} (v1_33), whose",
        "// Resource impls plus the Go register.go files give ROOTS.",
        "#[allow(unused_imports)]",
        "use crate::table::{B, B1, BY, BY1, F64, F64_1, I32, I32_1, I64, I64_1, S, S1};",
        "use crate::table::{Message, Root, Ty::M, f, inl, mp, one, rep, z};",
        "",
        "/// Every message, sorted by full name; fields in Go struct (JSON output) order.",
        "pub(crate) static MESSAGES: &[Message] = &[",
    ]
    for full in sorted(messages):
        is_list, rows = messages[full]
        out.append(f'    Message {{ name: "{full}", list: {"true" if is_list else "false"}, fields: &[')
        for tag, json, kind, keep in rows:
            out.append(f'        {"z" if keep else "f"}({tag}, "{json}", {kind}),')
        out.append("    ] },")
    out.append("];")
    out.append("")
    out.append("/// Top-level kinds, sorted by (apiVersion, kind).")
    out.append("pub(crate) static ROOTS: &[Root] = &[")
    for (av, k) in sorted(roots):
        out.append(f'    Root {{ api_version: "{av}", kind: "{k}", message: "{roots[(av, k)]}" }},')
    out.append("];")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
