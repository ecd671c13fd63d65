"""The import name ``autograd`` is shared with HIPS autograd (PyPI ``autograd``): each way of
mixing the two raises an ImportError saying what happened and how to fix it (issue 28, item
15); the version comes from the package metadata (item 16). Each case runs in a fresh
interpreter whose ``sys.path`` starts with a folder laid out as pip would leave it."""

import os
import shutil
import subprocess
import sys
import textwrap
from importlib import metadata

import pytest

import autograd
import nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(nn.__file__)))
HIPS_INIT = "from .differential_operators import grad\n"  # what HIPS's __init__ starts with


def _dist_info(site, files):
    info = site / "autograd-1.7.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: autograd\nVersion: 1.7.0\n")
    (info / "RECORD").write_text("".join(f"{f},,\n" for f in files))


def _run(site, code):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), ROOT])}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        cwd=site,
        capture_output=True,
        text=True,
    )


def test_hips_installed_over_ours_makes_import_nn_say_so(tmp_path):
    pkg = tmp_path / "autograd"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(HIPS_INIT)
    (pkg / "differential_operators.py").write_text("def grad(fun): return fun\n")
    _dist_info(tmp_path, ["autograd/__init__.py", "autograd/differential_operators.py"])
    result = _run(tmp_path, "import nn")
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: nn needs chainrule's autograd")
    assert str(pkg / "__init__.py") in last and "HIPS autograd 1.7.0" in last
    assert "pip uninstall -y autograd chainrule && pip install chainrule" in last
    assert "cannot import name" not in result.stderr


def test_ours_installed_over_hips_makes_import_autograd_say_so(tmp_path):
    shutil.copytree(os.path.join(ROOT, "autograd"), tmp_path / "autograd")
    (tmp_path / "autograd" / "numpy").mkdir()  # HIPS's leftovers
    (tmp_path / "autograd" / "numpy" / "__init__.py").write_text("")
    _dist_info(tmp_path, ["autograd/__init__.py", "autograd/numpy/__init__.py"])
    result = _run(tmp_path, "import autograd")
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: chainrule's autograd was installed over HIPS autograd")
    assert "1.7.0" in last and str(tmp_path / "autograd") in last
    assert "virtual environment" in last and "pip uninstall -y autograd chainrule" in last


def test_hips_metadata_elsewhere_on_the_path_is_not_a_collision(tmp_path):
    _dist_info(tmp_path, ["autograd/__init__.py"])  # HIPS's metadata, its package not here
    result = _run(tmp_path, "import autograd, nn; print(autograd.Value(2.0) * 3)")
    assert result.returncode == 0, result.stderr
    assert "6" in result.stdout


def test_versions_come_from_the_package_metadata():
    try:
        expected = metadata.version("chainrule")
    except metadata.PackageNotFoundError:
        pytest.skip("chainrule is not installed (only on sys.path): no metadata to compare")
    assert autograd.__version__ == nn.__version__ == expected
    assert autograd.__chainrule__ is True


def test_version_without_metadata_is_marked_unknown():
    from autograd.origin import package_version

    assert package_version("no-such-distribution-xyz") == "0+unknown"


def test_the_package_config_ships_every_subpackage_and_the_license():
    """What .ci/install_check.py proves by building, checked here in the source tree: a wheel
    of only "autograd" and "nn" once lacked every subpackage."""
    import fnmatch
    from pathlib import Path

    tomllib = pytest.importorskip("tomllib")
    repo = Path(__file__).resolve().parents[1]
    config = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    for package in ("autograd", "nn"):
        for init in (repo / package).rglob("__init__.py"):
            dotted = ".".join(init.parent.relative_to(repo).parts)
            assert any(fnmatch.fnmatchcase(dotted, pattern) for pattern in include), dotted
    project = config["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    assert (repo / "LICENSE").read_text().startswith("MIT License")
    assert "Typing :: Typed" in project["classifiers"]
    assert not any(c.startswith("License ::") for c in project["classifiers"])  # PEP 639
    assert "numpy>=2.0" in project["dependencies"]
    assert not any("playwright" in d for d in project["optional-dependencies"]["docs"])
    assert any("playwright" in d for d in project["optional-dependencies"]["test"])


def test_the_pre_commit_hook_runs_ruff_check(tmp_path):
    """The hook's command, run as pre-commit runs it (the file names appended), passes a clean
    file and fails one with an unused import."""
    from pathlib import Path

    yaml = pytest.importorskip("yaml")
    repo = Path(__file__).resolve().parents[1]
    if not (repo / ".venv" / "bin" / "ruff").exists():
        pytest.skip("no .venv/bin/ruff (the dev extra) in this tree")
    config = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    (hook,) = [h for r in config["repos"] for h in r["hooks"] if h["id"] == "ruff-check"]
    assert hook["language"] == "system" and "python" in hook["types_or"]
    clean, dirty = tmp_path / "clean.py", tmp_path / "dirty.py"
    clean.write_text('"""A module."""\n\nX = 1\n')
    dirty.write_text("import os\n")
    command = hook["entry"].split()

    def run(path):
        return subprocess.run([*command, str(path)], cwd=repo, capture_output=True, text=True)

    assert run(clean).returncode == 0
    result = run(dirty)
    assert result.returncode == 1 and "F401" in result.stdout
