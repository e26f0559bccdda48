"""Read Kubernetes Go API types: struct tags (protobuf number, JSON name, omitempty,
inline), pointer-ness, named slice types, and register.go's served kinds."""
import os
import re

JSON_TAG = re.compile(r'json:"([^"]*)"')
PB_TAG = re.compile(r'protobuf:"([^"]*)"')
SKIP_FILES = ("generated.pb.go", "types_swagger_doc_generated.go")


def _strip_comment(line):
    i = line.find("//")
    # `//` never occurs inside the struct tags of these packages.
    return line if i < 0 else line[:i]


def _field(line):
    """A struct field line -> dict, or None when it is not a tagged field."""
    b = line.find("`")
    if b < 0:
        return None
    decl, tags = line[:b].split(), line[b:]
    if not decl:
        return None
    if len(decl) == 1:  # embedded: `metav1.TypeMeta` or `VolumeSource`
        gotype = decl[0]
        name = gotype.lstrip("*").split(".")[-1]
    else:
        name, gotype = decl[0], "".join(decl[1:])
    jm, pm = JSON_TAG.search(tags), PB_TAG.search(tags)
    jopts = jm.group(1).split(",") if jm else [""]
    tag = None
    if pm and pm.group(1) != "-":
        tag = int(pm.group(1).split(",")[1])
    return {"name": name, "type": gotype, "pointer": gotype.startswith("*"),
            "json": jopts[0] if jm else name, "omitempty": "omitempty" in jopts[1:],
            "inline": "inline" in jopts[1:], "tag": tag}


def parse_go_file(path, structs, named, aliases):
    lines = open(path, encoding="utf-8").read().split("\n")
    imports = {}
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"^type (\w+) struct ?\{", line)
        if m and line.rstrip().endswith("}"):  # `type Empty struct{}`
            structs[m.group(1)] = []
            i += 1
            continue
        if m:
            fields, depth = [], 1
            i += 1
            while i < len(lines) and depth > 0:
                code = _strip_comment(lines[i])
                if depth == 1 and "`" in code and not lines[i].strip().startswith("//"):
                    f = _field(lines[i])
                    if f:
                        fields.append(f)
                depth += code.count("{") - code.count("}")
                i += 1
            structs[m.group(1)] = fields
            continue
        m = re.match(r"^type (\w+) \[\](\S+)", line)
        if m:
            named[m.group(1)] = m.group(2)
        m = re.match(r'^\s*(\w+)\s+"(k8s\.io/[^"]+)"', line)
        if m:
            imports[m.group(1)] = m.group(2)
        m = re.match(r"^type (\w+) (\w+)\.([A-Z]\w*)\s*$", line)
        if m and m.group(2) in imports:  # `type MatchCondition v1.MatchCondition`
            aliases[m.group(1)] = (imports[m.group(2)], m.group(3))
        i += 1


REPOS = {"k8s.io/api/": "api", "k8s.io/apimachinery/": "apimachinery",
         "k8s.io/apiextensions-apiserver/": "apiextensions-apiserver",
         "k8s.io/kube-aggregator/": "kube-aggregator"}


def parse_go_package(d, root=None):
    """(structs: {name: [field]}, named slice types: {name: element type}).

    `type X otherpkg.Y` definitions take Y's fields when root (the folder holding
    the repositories) is given and Y's package is under it."""
    structs, named, aliases = {}, {}, {}
    if os.path.isdir(d):
        for fn in sorted(os.listdir(d)):
            if fn.endswith(".go") and not fn.endswith("_test.go") and fn not in SKIP_FILES \
                    and not fn.startswith("zz_generated"):
                parse_go_file(os.path.join(d, fn), structs, named, aliases)
    for name, (imp, target) in aliases.items():
        for prefix, repo in REPOS.items():
            if root and imp.startswith(prefix):
                other, _ = parse_go_package(os.path.join(root, repo, imp[len(prefix):]))
                if target in other:
                    structs[name] = other[target]
    return structs, named


def parse_register(path):
    """(group, version, [kind]) from a register.go, or None."""
    text = open(path, encoding="utf-8").read()
    gm = re.search(r'GroupName\s*=\s*"([^"]*)"', text)
    vm = re.search(r'SchemeGroupVersion\s*=\s*schema\.GroupVersion\{Group:\s*GroupName,\s*Version:\s*"([^"]+)"',
                   text)
    if not gm or not vm:
        return None
    kinds = []
    for call in re.finditer(r"AddKnownTypes\(SchemeGroupVersion,(.*?)\n\s*\)", text, re.S):
        kinds += re.findall(r"&(\w+)\{\}", call.group(1))
    return gm.group(1), vm.group(1), kinds
