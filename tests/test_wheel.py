"""The installed package works outside the repository: build the wheel, install it into a
fresh virtual environment, and run ``handouts demo`` (and ``handouts init``) from folders that
have nothing to do with the checkout. The default kit must come from inside the wheel.

Dependencies come from the package registry (pip's cache keeps this to about 30-45 s).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pypdf
import pytest

REPO = Path(__file__).resolve().parent.parent
# Not part of the package source; copying them would only slow the build.
NOT_SOURCE = (".venv", ".git", "build", "dist", "output", "*.egg-info", ".*_cache", "__pycache__")
KIT_FILES = (
    "handouts/kit/clinic.yaml",
    "handouts/kit/templates/consent.html.j2",
    "handouts/kit/styles/handouts.css",
    "handouts/kit/assets/logo.svg",
    "handouts/kit/assets/fonts/DejaVuSans.ttf",
    "handouts/kit/content/dry-needling/consent.yaml",
    "handouts/kit/examples/patients/zoe.yaml",
)


def run(
    args: list[str | Path], cwd: Path, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run a command with an environment that does not point back at the checkout."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("HANDOUTS_KIT", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
    }
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


def build_and_install(work: Path) -> Path:
    """Build the wheel from a copy of this checkout and install it into a new venv."""
    source = work / "source"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    dist = work / "dist"
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, source], work)
    wheels = list(dist.glob("handouts-*.whl"))
    assert len(wheels) == 1, wheels
    with zipfile.ZipFile(wheels[0]) as wheel:
        names = set(wheel.namelist())
    missing = [name for name in KIT_FILES if name not in names]
    assert not missing, f"the wheel lacks the default kit files {missing}"

    venv = work / "venv"
    run([sys.executable, "-m", "venv", venv], work)
    run([venv / "bin" / "python", "-m", "pip", "install", "-q", wheels[0]], work)
    return venv


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel built from this checkout installed: made
    once per test session, shared by the pytest-xdist workers under a file lock."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    work = shared / "wheel-install"
    done = work / "installed"
    with open(shared / "wheel-install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.is_file():
            shutil.rmtree(work, ignore_errors=True)  # a half-made one from a failed attempt
            work.mkdir()
            venv = build_and_install(work)
            done.write_text(str(venv), encoding="utf-8")
    return Path(done.read_text(encoding="utf-8"))


def test_installed_default_kit_is_inside_the_package(installed: Path, tmp_path: Path) -> None:
    result = run(
        [
            installed / "bin" / "python",
            "-c",
            "from handouts.config import default_kit_root as d; print(d())",
        ],
        tmp_path,
    )
    kit = Path(result.stdout.strip())
    assert kit.parts[-2:] == ("handouts", "kit")
    assert kit.is_relative_to(installed), kit
    assert (kit / "clinic.yaml").is_file()


def test_installed_demo_runs_from_an_empty_folder(installed: Path, tmp_path: Path) -> None:
    empty = tmp_path / "anywhere"
    empty.mkdir()
    result = run([installed / "bin" / "handouts", "demo"], empty)
    pdfs = list((empty / "output").glob("*.pdf"))
    assert len(pdfs) == 1, result.stdout
    assert str(pdfs[0]) in result.stdout
    reader = pypdf.PdfReader(pdfs[0])
    assert len(reader.pages) > 1
    assert "Zoë Łukasiewicz-Ó Briain" in reader.pages[0].extract_text()
    fonts: set[str] = set()
    for page in reader.pages:
        resources: Any = page["/Resources"]
        fonts.update(str(f.get_object()["/BaseFont"]) for f in resources.get("/Font", {}).values())
    assert any("Atkinson-Hyperlegible" in f for f in fonts), fonts


def test_installed_init_then_render_from_inside_the_new_kit(
    installed: Path, tmp_path: Path
) -> None:
    handouts = installed / "bin" / "handouts"
    run([handouts, "init", "riverside", "--name", "Riverside Physio"], tmp_path)
    kit = tmp_path / "riverside"
    # No --kit: the current folder holds clinic.yaml, so it is the kit.
    result = run([handouts, "render", "first-visit/leaflet"], kit)
    pdfs = list((kit / "output").glob("*.pdf"))
    assert len(pdfs) == 1, result.stdout
    first_page = pypdf.PdfReader(pdfs[0]).pages[0].extract_text()
    assert "Riverside Physio" in first_page
