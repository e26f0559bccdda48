"""Read the prost-generated structs of the k8s-pb crate (field numbers and protobuf kinds)."""
import os
import re

ATTR = re.compile(r'#\[prost\((.*)\)\]')
TAG = re.compile(r'tag\s*=\s*"(\d+)"')
# A path to a message type: not starting with `::` (those are prost/std types).
PATH = re.compile(r'(?<![:\w])((?:super::)*(?:[a-z_0-9]+::)*[A-Z]\w*)')


def _kind(attr):
    """(kind, repeated, map) from the inside of #[prost(...)]."""
    m = re.match(r'btree_map\s*=\s*"(\w+),\s*(\w+)"', attr)
    if m:
        return None, False, (m.group(1), m.group(2))
    m = re.match(r'bytes\s*=\s*"vec"', attr)
    kind = "bytes" if m else attr.split(",")[0].strip()
    return kind, ", repeated" in attr, None


def _resolve(module, path):
    parts = path.split("::")
    mod = list(module)
    while parts and parts[0] == "super":
        parts.pop(0)
        mod.pop()
    return tuple(mod + parts[:-1]), parts[-1]


def parse_file(path, module):
    """{(module, struct): [field]} for one mod.rs."""
    out = {}
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r'^pub struct (\w+) \{', lines[i])
        if not m:
            i += 1
            continue
        name, fields, attr = m.group(1), [], None
        if lines[i].rstrip().endswith("}"):  # `pub struct Empty {}`
            out[(tuple(module), name)] = fields
            i += 1
            continue
        i += 1
        while i < len(lines) and lines[i] != "}":
            line = lines[i].strip()
            am = ATTR.match(line)
            if am:
                attr = am.group(1)
            elif line.startswith("pub ") and attr is not None:
                decl = line
                while (not decl.endswith(",") or decl.count("<") != decl.count(">")) \
                        and i + 1 < len(lines):
                    i += 1
                    decl += lines[i].strip()
                fname = decl[4:].split(":", 1)[0].strip().removeprefix("r#")
                kind, repeated, mp = _kind(attr)
                msg = None
                if kind == "message" or (mp and mp[1] == "message"):
                    refs = PATH.findall(decl.split(":", 1)[1])
                    msg = _resolve(module, refs[-1])
                fields.append({"name": fname, "tag": int(TAG.search(attr).group(1)), "kind": kind,
                               "repeated": repeated, "map": mp, "msg": msg})
                attr = None
            i += 1
        out[(tuple(module), name)] = fields
        i += 1
    return out


def parse_pb_crate(src):
    """{(module tuple, struct name): [field dict]} for every struct in the crate."""
    out = {}
    for d, _, files in os.walk(src):
        if "mod.rs" in files:
            module = os.path.relpath(d, src).split(os.sep)
            out.update(parse_file(os.path.join(d, "mod.rs"), module))
    return out
