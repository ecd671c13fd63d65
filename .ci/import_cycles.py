#!/usr/bin/env python3
"""Print the import circles among the modules of each package given (default: autograd nn),
subpackages included.

Every import statement counts, including those inside functions; imports under
`if TYPE_CHECKING:` do not (they never run). Subpackages are walked as Python runs them:
importing `a.b.c` runs the `__init__` of `a.b` first, so a module outside `a.b` that imports
`a.b.c` depends on everything `a/b/__init__.py` imports. A package's own modules importing
it back (or an ancestor) are not a circle: the package is already being imported. Run from the
project's root:

    python .ci/import_cycles.py            # autograd and nn
    python .ci/import_cycles.py autograd

(This is ../shared/tools/import_cycles.py, taught to walk the subpackages' `__init__` files.)

Exit status 1 when there is a circle. A deliberate lazy edge shows up here too: say in a
comment next to it why it is there.
"""
import ast
import os
import sys


def modules(pkg):
    """{dotted module name: file path} for every module under pkg/."""
    out = {}
    for root, dirs, files in os.walk(pkg):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")))
        for f in sorted(files):
            if f.endswith(".py"):
                path = os.path.join(root, f)
                mod = path[:-3].replace(os.sep, ".")
                out[mod[: -len(".__init__")] if mod.endswith(".__init__") else mod] = path
    return out


def imports_of(mod, path, known):
    """The modules of `known` that `mod` imports, at any depth of its code."""
    tree = ast.parse(open(path).read())
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip |= {id(n) for n in ast.walk(node)}
    base = mod.split(".") if path.endswith("__init__.py") else mod.split(".")[:-1]
    out = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                parent = base[: len(base) - (node.level - 1)]
                target = ".".join(parent + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [target] + [f"{target}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            for i in range(len(parts), 0, -1):  # the deepest module of ours it names
                if ".".join(parts[:i]) in known:
                    # the packages on the way run their __init__ first
                    out.update(".".join(parts[:j]) for j in range(1, i + 1))
                    break
    own = mod.split(".")  # the module's own packages are being imported already
    return (out & set(known)) - {".".join(own[:j]) for j in range(1, len(own) + 1)}


def circles(edges):
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, on, stack, found, counter = {}, {}, set(), [], [], 0
    for start in edges:
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        found.append(sorted(comp))
    return found


def main(pkgs):
    bad = False
    for pkg in pkgs:
        if not os.path.isdir(pkg):
            print(f"{pkg}: not a folder here (run from the project's root)")
            continue
        mods = modules(pkg)
        edges = {m: imports_of(m, p, mods) for m, p in mods.items()}
        for c in circles(edges):
            bad = True
            print(f"{pkg}: " + " <-> ".join(c))
            for m in c:
                print(f"    {m} imports " + ", ".join(sorted(set(c) & edges[m])))
    if not bad:
        print("no import circles")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["autograd", "nn"]))
