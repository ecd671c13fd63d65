"""The documentation site in a real browser: Debian's headless chromium, driven by playwright.

``make docs`` builds ``site/``; these tests serve it on 127.0.0.1, open every page and fail on a
console error, a failed or off-machine request, or a broken image; check that each notebook page
shows a figure in every cell that draws one and that the API page lists the main names. The
screenshots go to the test's temporary folder. Marker ``docs``: ``make test`` deselects them
(the build executes every notebook and takes minutes); ``make test-docs`` and ``.ci/run`` build
the site and run them. playwright never downloads a browser here: it drives /usr/bin/chromium.
"""

from __future__ import annotations

import ast
import functools
import http.server
import importlib.util
import re
import threading
from pathlib import Path

import pytest

pytestmark = pytest.mark.docs

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "site"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# Every page of docs/ (a new one is opened without an edit here) and every notebook.
DOC_PAGES = sorted(
    p.relative_to(ROOT / "docs").with_suffix(".html").as_posix()
    for p in (ROOT / "docs").rglob("*.md")
)
PAGES = DOC_PAGES + [f"notebooks/{p.stem}.html" for p in NOTEBOOKS]
API_NAMES = {
    "Value": "autograd.Value",
    "Tensor": "autograd.Tensor",
    "backward": "autograd.Tensor.backward",
    "gradcheck": "autograd.gradcheck",
    "fit": "nn.fit",
    "grid_search": "nn.grid_search",
}


# ------------------------------------------------------------------------- fixtures
class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def site_url():
    """site/ served on 127.0.0.1 (a free port) by a thread; its base URL."""
    if not (SITE / "index.html").is_file():
        pytest.fail("site/ has not been built: run `make docs` first (or `make test-docs`)")
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


class Visit:
    """One page opened in a fresh context, with what went wrong on the way."""

    def __init__(self, browser, base: str, path: str, screenshot: Path) -> None:
        self.problems: list[str] = []
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = self.page = self.context.new_page()

        def route(request_route):
            url = request_route.request.url
            if url.startswith(base) or url.startswith("data:") or url.startswith("blob:"):
                request_route.continue_()
            else:
                self.problems.append(f"request off this machine: {url}")
                request_route.abort()

        page.route("**/*", route)
        page.on(
            "console",
            lambda msg: msg.type == "error" and self.problems.append(f"console: {msg.text}"),
        )
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on(
            "requestfailed",
            lambda request: self.problems.append(f"request failed: {request.url}"),
        )
        page.on(
            "response",
            lambda response: (
                response.status >= 400
                and self.problems.append(f"HTTP {response.status}: {response.url}")
            ),
        )
        response = page.goto(base + path, wait_until="load")
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        page.wait_for_load_state("networkidle")
        page.wait_for_function(
            "() => Array.from(document.images).every(img => img.complete)", timeout=15_000
        )
        page.wait_for_timeout(300)  # MathJax typesets after load
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot), full_page=True)

    def broken_images(self) -> list[str]:
        return self.page.evaluate(
            "() => Array.from(document.images)"
            ".filter(img => !img.complete || img.naturalWidth === 0)"
            ".map(img => (img.currentSrc || img.src).slice(0, 120))"
        )

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(browser, site_url, tmp_path):
    opened = []

    def open_page(path: str) -> Visit:
        name = path.replace("/", "_").removesuffix(".html")
        opened.append(Visit(browser, site_url, path, tmp_path / "screenshots" / f"{name}.png"))
        return opened[-1]

    yield open_page
    for page in opened:
        page.close()


# ------------------------------------------------------------------------- every page
def test_the_site_has_a_page_for_every_notebook_and_nothing_unexpected():
    """Every page of docs/ and every notebook became a page; every built page is one the tests
    open."""
    assert {"index.html", "api.html", "coming-from.html", "benchmarks.html"} <= set(DOC_PAGES)
    if not (SITE / "index.html").is_file():
        pytest.fail("site/ has not been built: run `make docs` first (or `make test-docs`)")
    built = {p.relative_to(SITE).as_posix() for p in SITE.rglob("*.html")}
    assert set(PAGES) <= built, f"pages missing from site/: {sorted(set(PAGES) - built)}"
    assert built - set(PAGES) <= {"404.html"}, sorted(built - set(PAGES))


def test_the_exercises_page_offers_every_student_notebook_for_download():
    """Each student notebook (notebooks/exercises/*.ipynb) is linked from the exercises page
    and served beside it, byte for byte."""
    exercises = sorted((ROOT / "notebooks" / "exercises").glob("*.ipynb"))
    assert len(exercises) >= 5
    if not (SITE / "exercises.html").is_file():
        pytest.fail("site/ has not been built: run `make docs` first (or `make test-docs`)")
    html = (SITE / "exercises.html").read_text(encoding="utf-8")
    for path in exercises:
        assert f'href="exercises/{path.name}"' in html, path.name
        assert (SITE / "exercises" / path.name).read_bytes() == path.read_bytes(), path.name


@pytest.mark.parametrize("path", PAGES + ["404.html"])
def test_page_loads_cleanly(visit, path):
    """No console error, no failed or off-machine request, no broken image."""
    page = visit(path)
    assert not page.problems, f"{path}:\n" + "\n".join(page.problems)
    assert not page.broken_images(), f"{path}: broken images {page.broken_images()}"
    assert page.page.title(), path


# ------------------------------------------------------------------------- notebooks
_SHOWS = re.compile(r"draw_dot|plot")


def _call_name(node: ast.AST) -> str:
    if not isinstance(node, ast.Call):
        return ""
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _shows_explicitly(tree: ast.Module) -> bool:
    """``plt.show()`` or ``display(...)`` run by the cell itself (not in a function it defines)."""
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id == "display":
                return True
            if isinstance(func, ast.Attribute) and func.attr == "show":
                if isinstance(func.value, ast.Name) and func.value.id == "plt":
                    return True
        todo.extend(ast.iter_child_nodes(node))
    return False


def _plotting_helpers(trees: list[ast.Module]) -> set[str]:
    """Functions the notebook defines that draw (call ``draw_dot`` or a ``plot`` function)."""
    return {
        node.name
        for tree in trees
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        and any(_SHOWS.search(_call_name(call)) for call in ast.walk(node))
    }


def site_cells(path: Path) -> list:
    """The notebook's cells as the site shows them: without the cells tagged ``widget`` (a live
    ipywidgets control needs a kernel; mkdocs.yml removes them)."""
    import nbformat

    cells = nbformat.read(path, as_version=4).cells
    return [c for c in cells if "widget" not in c.get("metadata", {}).get("tags", [])]


def plotting_cells(path: Path) -> list[int]:
    """Indices of the notebook's cells that show a figure or a graph: they call ``plt.show()``
    or ``display(...)``, or their last line calls ``draw_dot``, a ``plot`` function or a
    function of the notebook that calls one (its value is then shown)."""
    cells = site_cells(path)
    trees = {i: ast.parse(c.source) for i, c in enumerate(cells) if c.cell_type == "code"}
    helpers = _plotting_helpers(list(trees.values()))
    found = []
    for i, tree in trees.items():
        last = tree.body[-1] if tree.body else None
        name = _call_name(last.value) if isinstance(last, ast.Expr) else ""
        if _shows_explicitly(tree) or (name and (_SHOWS.search(name) or name in helpers)):
            found.append(i)
    return found


def test_plotting_cells_are_found():
    """The count is not vacuous: the notebooks that draw have plotting cells."""
    counts = {p.stem: len(plotting_cells(p)) for p in NOTEBOOKS}
    assert counts["01_value_and_chain_rule"] >= 4, counts
    assert sum(counts.values()) >= 25, counts


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_page_shows_its_figures(visit, notebook):
    """Executed at build time: every plotting cell has an <img> or inline <svg> in its output."""

    page = visit(f"notebooks/{notebook.stem}.html")
    assert not page.problems, "\n".join(page.problems)
    # nbconvert gives each cell's element the notebook's cell id (cell-00, cell-01, ...)
    ids = [cell.id for cell in site_cells(notebook)]
    shown = page.page.locator('.jupyter-wrapper [id^="cell-id="]')
    assert shown.count() == len(ids), f"{shown.count()} cells on the page, {len(ids)} in the file"
    outputs = page.page.locator(".jupyter-wrapper .jp-OutputArea-output")
    assert outputs.count() > 0, "the notebook was not executed: no outputs"
    missing = []
    for i in plotting_cells(notebook):
        cell = page.page.locator(f'.jupyter-wrapper [id="cell-id={ids[i]}"]')
        figures = cell.locator(".jp-OutputArea-output img, .jp-OutputArea-output svg")
        if figures.count() == 0:
            missing.append(ids[i])
    assert not missing, f"cells {missing} draw something but show no <img> or <svg>"
    assert outputs.locator("img, svg").count() >= len(plotting_cells(notebook))
    assert not page.broken_images(), page.broken_images()
    errors = page.page.locator(".jupyter-wrapper [data-mime-type='application/vnd.jupyter.stderr']")
    tracebacks = [t for t in errors.all_inner_texts() if "Traceback" in t or "Error" in t]
    assert not tracebacks, tracebacks[:1]


def test_math_is_typeset(visit):
    """The notebooks' formulas are rendered by the site's own MathJax (SVG output)."""
    page = visit("notebooks/01_value_and_chain_rule.html")
    page.page.wait_for_selector("mjx-container svg", timeout=15_000)
    assert page.page.locator("mjx-container").count() > 5
    assert not page.problems, "\n".join(page.problems)


# ------------------------------------------------------------------------- API, tour, tables
def test_api_page_lists_the_main_names(visit):
    page = visit("api.html")
    for name, anchor in API_NAMES.items():
        heading = page.page.locator(f'[id="{anchor}"]')
        assert heading.count() >= 1, f"no {anchor} on the API page"
        assert name in heading.first.inner_text(), (name, heading.first.inner_text())
    text = page.page.inner_text("article")
    assert "autograd.Value.backward" in text or "backward" in text
    # public names only: no module that the engine may rename
    assert not re.search(r"\bautograd\.(graph|value|tensor|check|draw|steps)\.", text)


def test_tour_and_benchmarks_come_from_the_readme(visit):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    home = visit("index.html").page.inner_text("article")
    assert "A one-minute tour" in home and "gradcheck(lambda a, b" in home
    assert "gradcheck(lambda a, b" in readme
    tables = visit("benchmarks.html").page
    perf = readme[readme.index("## Performance") :]
    in_readme = sum(1 for line in perf.splitlines() if line.startswith("|---"))
    assert in_readme >= 2  # the scalar and the tensor tables
    assert tables.locator("article table").count() >= in_readme
    text = tables.inner_text("article")
    assert "the tape" in text and "NumPy floor" in text


def test_coming_from_links_resolve_to_the_api_page(visit):
    page = visit("coming-from.html").page
    links = page.locator("article a[href*='api.html#']")
    assert links.count() > 40
    for href in {links.nth(i).get_attribute("href") for i in range(links.count())}:
        anchor = href.split("#", 1)[1]
        assert anchor.startswith(("autograd.", "nn.")), href


# ------------------------------------------------------------------------- the build's hooks
def _hooks():
    spec = importlib.util.spec_from_file_location("docs_hooks", ROOT / "docs" / "hooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_hook_finds_a_missing_docstring():
    hooks = _hooks()

    class Documented:
        """Has one."""

        def method(self):
            """Also."""

    class Bare:
        def method(self):
            pass

    def function():
        pass

    for obj in (Documented, Bare, function):
        obj.__module__ = "nn.fake"
    names = [("nn.Documented", Documented), ("nn.Bare", Bare), ("nn.function", function)]
    assert hooks.missing_docstrings(iter(names)) == ["nn.Bare", "nn.Bare.method", "nn.function"]
    assert hooks.missing_docstrings() == []


def test_hook_takes_readme_sections_and_skips_code_comments():
    hooks = _hooks()
    text = "# t\n\nintro\n\n## A\n\n```python\n# not a heading\n```\n### A.1\nx\n## B\ny\n"
    assert hooks.readme_section("intro", text) == "intro\n"
    assert hooks.readme_section("## A", text) == "```python\n# not a heading\n```\n### A.1\nx\n"
    assert hooks.readme_section("## B", text) == "y\n"
    assert "one-minute" not in hooks.readme_section("## Performance")


def test_hook_knows_the_public_names():
    hooks = _hooks()
    public = dict(hooks.public_names())
    for name in ("autograd.Value", "autograd.functional.grad", "nn.fit", "nn.datasets.digits"):
        assert name in public
    assert not any(name.startswith(("autograd.graph", "autograd.value.")) for name in public)


def test_hook_keeps_the_api_page_public_and_complete():
    from types import SimpleNamespace

    from mkdocs.exceptions import PluginError

    hooks = _hooks()
    api = SimpleNamespace(file=SimpleNamespace(src_uri="api.md"))
    page = hooks.on_page_markdown("::: autograd.Value\n\n::: autograd.hessian\n", api, {}, None)
    assert "## More public names" in page and "::: nn.fit\n" in page
    assert page.count("::: autograd.Value\n") == 1  # shown once
    assert "autograd.functional.hessian" not in page  # the same object as autograd.hessian
    with pytest.raises(PluginError, match="not public"):
        hooks.on_page_markdown("::: autograd.graph.Node\n", api, {}, None)
