"""MkDocs hooks for chainrule's site (``hooks:`` in mkdocs.yml); `make docs` runs them.

- Every ``notebooks/*.ipynb`` becomes a page (mkdocs-jupyter executes it) and an entry of the
  "Notebooks" section of the navigation, found by glob: a new notebook needs no edit here.
- ``<!-- readme: ## Heading -->`` in a page is replaced by that section of README.md (its body,
  without the heading line), ``<!-- readme: intro -->`` by the text before the first ``##``: the
  tour and the benchmark tables have one source, the README.
- The build fails (PluginError) when a public function or class, or a public method of a public
  class, has no docstring: the public names are those in ``autograd.__all__`` and ``nn.__all__``
  and in the ``__all__`` of the public modules they list (``autograd.functional``,
  ``nn.datasets``).
- The API page may reference public names only (``::: autograd.Value``, never the module that
  defines it); a public name the page does not reference is appended to it, so none is missing.
- MathJax is copied into the site from the django-static-mathjax package, so the notebooks'
  formulas render without a CDN.
- The exercises page: ``<!-- exercises -->`` is replaced by a table of the student notebooks
  (``notebooks/exercises/*.ipynb``, by glob), each with a link to download it; the notebooks
  are copied into the site's ``exercises/`` folder as they are (not rendered: their blanks
  raise until a student fills them in).
"""

from __future__ import annotations

import importlib
import inspect
import re
import shutil
import types
from collections.abc import Iterator
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
README = ROOT / "README.md"
PACKAGES = ("autograd", "nn")
API_PAGE = "api.md"
MATHJAX = "assets/javascripts/mathjax/tex-svg-full.js"
EXERCISES = NOTEBOOKS / "exercises"
EXERCISES_PAGE = "exercises.md"
PANZOOM_JS = "assets/javascripts/panzoom.js"  # written by on_post_build (autograd.viz)
GRAPHS_JS = "assets/javascripts/graphs.js"


# ------------------------------------------------------------------------- public names
IMPORTED_ALONE = ["autograd.exercises"]  # `from autograd import exercises`


def public_names() -> Iterator[tuple[str, object]]:
    """``(dotted public name, object)`` for every name the packages export, public modules
    included (``autograd.functional`` and then ``autograd.functional.grad``, ...)."""
    for package in PACKAGES:
        module = importlib.import_module(package)
        for name in module.__all__:
            obj = getattr(module, name)
            yield f"{package}.{name}", obj
            if isinstance(obj, types.ModuleType):
                for sub in getattr(obj, "__all__", ()):
                    yield f"{package}.{name}.{sub}", getattr(obj, sub)
    for package in IMPORTED_ALONE:  # public, but not imported by its parent package
        module = importlib.import_module(package)
        for name in module.__all__:
            yield f"{package}.{name}", getattr(module, name)


def _is_ours(obj: object) -> bool:
    return (getattr(obj, "__module__", "") or "").split(".")[0] in PACKAGES


def missing_docstrings(names: Iterator[tuple[str, object]] | None = None) -> list[str]:
    """The public functions, classes, modules, methods and properties without a docstring.

    A method that overrides a documented one inherits its docstring (``inspect.getdoc``)."""
    missing = []
    for dotted, obj in public_names() if names is None else names:
        if isinstance(obj, types.ModuleType):
            if not (obj.__doc__ or "").strip():
                missing.append(dotted)
            continue
        if not (inspect.isclass(obj) or inspect.isfunction(obj)) or not _is_ours(obj):
            continue
        if not (obj.__doc__ or "").strip():
            missing.append(dotted)
        if not inspect.isclass(obj):
            continue
        for attr, value in vars(obj).items():
            if attr.startswith("_"):
                continue
            if isinstance(value, property):
                doc = value.__doc__
            elif inspect.isfunction(getattr(value, "__func__", value)):
                doc = inspect.getdoc(getattr(obj, attr))
            else:
                continue
            if not (doc or "").strip():
                missing.append(f"{dotted}.{attr}")
    return missing


# ------------------------------------------------------------------------- notebooks
def notebooks() -> list[Path]:
    """The committed notebooks, in file-name order (01_..., 02_..., ...)."""
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def notebook_title(path: Path) -> str:
    """The first ``# `` heading of a notebook's first markdown cell, else its file name."""
    import nbformat

    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip().replace("`", "")
            break
    return path.stem


def on_config(config):
    """Fail on a missing docstring; fill the navigation's Notebooks section by glob."""
    missing = missing_docstrings()
    if missing:
        raise PluginError("public names without a docstring: " + ", ".join(missing))
    found = False
    for entry in config.nav or []:
        if isinstance(entry, dict) and "Notebooks" in entry:
            entry["Notebooks"] = [{notebook_title(p): f"notebooks/{p.name}"} for p in notebooks()]
            found = True
    if not found:
        raise PluginError("mkdocs.yml: the nav has no 'Notebooks' section to fill")
    if not notebooks():
        raise PluginError(f"no notebooks found in {NOTEBOOKS}")
    for script in (PANZOOM_JS, GRAPHS_JS):  # pan and zoom for the large drawings
        if script not in config.extra_javascript:
            config.extra_javascript.append(script)
    return config


@event_priority(100)  # before mkdocs-jupyter's on_files, which turns .ipynb files into pages
def on_files(files, config):
    """The notebooks, from notebooks/ (outside docs/), as notebooks/NAME.ipynb pages."""
    for path in notebooks():
        files.append(
            File(
                f"notebooks/{path.name}",
                src_dir=str(ROOT),
                dest_dir=config["site_dir"],
                use_directory_urls=config["use_directory_urls"],
            )
        )
    return files


# ------------------------------------------------------------------------- README sections
_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^(#{1,6}) ")
_PLACEHOLDER = re.compile(r"^<!-- readme: (.+?) -->$", re.MULTILINE)


def readme_section(heading: str, text: str | None = None) -> str:
    """The body of README's section ``heading`` (e.g. ``"## Performance"``), its subsections
    included, up to the next heading of the same or a higher level; ``"intro"``: the text
    between the title and the first ``##`` heading. Headings inside code blocks do not count."""
    lines = (README.read_text(encoding="utf-8") if text is None else text).splitlines()
    start, level = None, 0
    body: list[str] = []
    in_code = False
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            in_code = not in_code
        match = None if in_code else _HEADING.match(line)
        if start is None:
            if heading == "intro" and match and len(match.group(1)) == 1:
                start, level = i, 2
            elif line.strip() == heading and match:
                start, level = i, len(match.group(1))
            continue
        if match and len(match.group(1)) <= level:
            break
        body.append(line)
    if start is None:
        raise PluginError(f"README.md has no section {heading!r}")
    return "\n".join(body).strip() + "\n"


def public_references(markdown: str) -> list[str]:
    """The identifiers of the page's ``::: name`` blocks."""
    return re.findall(r"^:::\s+([\w.]+)", markdown, re.MULTILINE)


def exercise_notebooks() -> list[Path]:
    """The student versions of the exercises, in file-name order."""
    return sorted(EXERCISES.glob("*.ipynb"))


def exercises_table() -> str:
    """A Markdown table of the exercise notebooks, each with a download link (raw HTML: the
    files are copied into the site after the build, so MkDocs does not know them)."""
    rows = ["| Exercise | Notebook |", "|---|---|"]
    for path in exercise_notebooks():
        link = f'<a href="exercises/{path.name}" download>{path.name}</a>'
        rows.append(f"| {notebook_title(path)} | {link} |")
    return "\n".join(rows) + "\n"


def home_picture() -> str:
    """The home page's picture: micrograd's lecture neuron after backward(), drawn by
    ``draw_dot`` at build time (an inline SVG, nothing to keep in sync), with a caption."""
    from autograd import Value, draw_dot

    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    svg = draw_dot(o, edge_labels=True).pipe(format="svg", encoding="utf-8")
    svg = "\n".join(line for line in svg[svg.index("<svg") :].splitlines()
                    if line.strip() and not line.startswith("<!--"))  # fmt: skip
    return (
        f'<figure class="chainrule-home">\n{svg}\n<figcaption>A neuron, o = tanh(x1*w1 + '
        "x2*w2 + b), after <code>o.backward()</code>: each box holds a value and its gradient, "
        "each edge the local derivative the chain rule multiplies by (<code>draw_dot(o, "
        "edge_labels=True)</code>).</figcaption>\n</figure>"
    )


def on_page_markdown(markdown, page, config, files):
    """README sections in; the home page's picture; on the API page, public names only, and
    every one of them; on the exercises page, the table of exercise notebooks."""
    markdown = _PLACEHOLDER.sub(lambda m: readme_section(m.group(1)), markdown)
    if "<!-- picture: neuron -->" in markdown:
        markdown = markdown.replace("<!-- picture: neuron -->", home_picture())
    if page.file.src_uri == EXERCISES_PAGE:
        if not exercise_notebooks():
            raise PluginError(f"no exercise notebooks found in {EXERCISES}")
        markdown = markdown.replace("<!-- exercises -->", exercises_table())
    if page.file.src_uri == API_PAGE:
        public = dict(public_names())
        used = public_references(markdown)
        wrong = [name for name in used if name not in public]
        if wrong:
            raise PluginError(
                f"{API_PAGE} references names that are not public (use the package's name, "
                f"e.g. autograd.Value, not the module that defines it): {', '.join(wrong)}"
            )
        # an object counts once, whatever public name shows it (autograd.hessian is
        # autograd.functional.hessian)
        shown = {id(public[name]) for name in used}
        rest = []
        for name, obj in public.items():
            if id(obj) not in shown and not isinstance(obj, types.ModuleType):
                rest.append(name)
                shown.add(id(obj))
        if rest:
            markdown += "\n## More public names\n\n" + "".join(f"::: {n}\n\n" for n in rest)
    return markdown


_ROLE = re.compile(r":(?:class|func|meth|attr|exc|mod|data|obj):(?=<code>)")


def on_page_content(html, page, config, files):
    """Sphinx roles in docstrings (``:class:`History```) shown as plain code."""
    if page.file.src_uri == API_PAGE:
        html = _ROLE.sub("", html)
    return html


# ------------------------------------------------------------------------- MathJax
def on_post_build(config):
    """Copy MathJax (one file: TeX input, SVG output, every extension) and the exercise
    notebooks (for download) into the site, and write the drawings' pan and zoom (the step
    page's script) beside them."""
    downloads = Path(config["site_dir"]) / "exercises"
    downloads.mkdir(parents=True, exist_ok=True)
    for path in exercise_notebooks():
        shutil.copyfile(path, downloads / path.name)
    try:
        package = importlib.import_module("mathjax")
    except ImportError as error:
        raise PluginError(
            "MathJax is missing: pip install -e '.[docs]' (django-static-mathjax)"
        ) from error
    source = Path(package.__file__).parent / "static" / "mathjax" / "es5" / "tex-svg-full.js"
    if not source.is_file():
        raise PluginError(f"MathJax not found at {source}")
    target = Path(config["site_dir"]) / MATHJAX
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    from autograd.viz.pagescript import PANZOOM  # the step page's pan and zoom, one copy

    (Path(config["site_dir"]) / PANZOOM_JS).write_text(PANZOOM, encoding="utf-8")


# nbconvert adds a loader of the widget manager from unpkg.com (and the widgets' saved state)
# to a notebook whose cells made widgets; the site shows widgets as saved HTML, so both go.
_WIDGET_LOADER = re.compile(
    r"<script>\s*\(function\(\) \{\s*function addWidgetsRenderer\(\).*?</script>\s*", re.S
)
_WIDGET_STATE = re.compile(
    r'<script type="application/vnd\.jupyter\.widget-state\+json">.*?</script>\s*', re.S
)


def strip_widget_manager(html: str) -> str:
    """``html`` without nbconvert's widget-manager loader and widget state (nothing fetched)."""
    return _WIDGET_STATE.sub("", _WIDGET_LOADER.sub("", html))


def on_post_page(output, page, config):
    """Every page leaves the machine for nothing: no widget manager from a CDN."""
    return strip_widget_manager(output)

