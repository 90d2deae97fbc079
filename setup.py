"""Build hook: ship the repository's default kit (clinic.yaml, templates, styles, content,
assets) inside the wheel as ``handouts/kit`` so an installed ``handouts`` works from any folder.

The repository root *is* the default kit, which clinics copy and rebrand; copying it at build
time keeps one source of truth instead of a second tree inside the package.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

KIT_ITEMS = ("clinic.yaml", "templates", "styles", "content", "assets", "examples/patients")


class BuildWithKit(build_py):
    def run(self) -> None:
        super().run()
        root = Path(__file__).resolve().parent
        target = Path(self.build_lib) / "handouts" / "kit"
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        for item in KIT_ITEMS:
            src = root / item
            if src.is_dir():
                shutil.copytree(src, target / item)  # creates parent folders too
            elif src.is_file():
                shutil.copy2(src, target / item)


setup(cmdclass={"build_py": BuildWithKit})
