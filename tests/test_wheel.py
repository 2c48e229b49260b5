"""The installed package: a wheel built from this checkout, installed in a fresh
virtual environment, analyses zoo models by name and lets a user's spec import
the shipped libraries, with no checkout anywhere in sight.

Marked `wheel` (about 20 s: one build, one venv, a few commands).  The wheel is
built without build isolation (hatchling is a dev dependency) and installed
with --no-deps; the fresh environment borrows the test run's own lark, numpy,
pydantic and typer through a .pth line (which, unlike a site folder, runs no
.pth file of its own, so this checkout's editable install stays out).  Set
ARCHSPEC_WHEEL_FULL=1 to install the dependencies from the package index
instead, as a user's `pip install` does (about a minute).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.wheel

# torchvision's documented ResNet-50 figure (tests/test_conventions.py): the
# reference table's resnet50 is that network, and so is specs/modern/resnet50
RESNET50_MACS = 4_089_184_256


def run(*argv: str | Path, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    built = run(sys.executable, "-m", "pip", "wheel", ROOT, "--no-deps", "--no-build-isolation", "-q", "-w", out,
                cwd=out)
    assert built.returncode == 0, built.stderr
    (found,) = out.glob("archspec-*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fresh environment's bin folder, archspec installed from the wheel."""
    home = tmp_path_factory.mktemp("fresh")
    full = os.environ.get("ARCHSPEC_WHEEL_FULL") == "1"
    venv.create(home / "env", with_pip=full)
    bin_dir = home / "env" / ("Scripts" if os.name == "nt" else "bin")
    python = bin_dir / "python"
    if full:
        done = run(python, "-m", "pip", "install", "-q", wheel, cwd=home)
    else:
        done = run(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", wheel, cwd=home)
        purelib = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=home)
        borrowed = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
        (Path(purelib.stdout.strip()) / "borrowed_dependencies.pth").write_text("\n".join(sorted(borrowed)) + "\n")
    assert done.returncode == 0, done.stderr
    return bin_dir


@pytest.fixture()
def user(tmp_path: Path) -> Path:
    """A folder of the user's own, far from any checkout."""
    return tmp_path


def test_the_wheel_carries_every_spec_of_the_zoo(wheel: Path) -> None:
    shipped = {name.removeprefix("archspec/specs/") for name in zipfile.ZipFile(wheel).namelist()
               if name.startswith("archspec/specs/")}
    in_checkout = {path.relative_to(ROOT / "specs").as_posix() for path in (ROOT / "specs").rglob("*.arch")}
    assert in_checkout and shipped == in_checkout
    assert "lib/resnet.arch" in shipped and "modern/lib/convnext.arch" in shipped


def test_the_installed_package_is_the_wheels(installed: Path, user: Path) -> None:
    where = run(installed / "python", "-c", "import archspec; print(archspec.__file__)", cwd=user)
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(installed.parent)


def test_a_zoo_model_is_analysed_by_its_name(installed: Path, user: Path) -> None:
    for name in ("resnet50", "modern/resnet50"):
        done = run(installed / "archspec", "analyze", name, "--format", "json", cwd=user)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["totals"]["macs"] == RESNET50_MACS


def test_diff_takes_two_zoo_names(installed: Path, user: Path) -> None:
    done = run(installed / "archspec", "diff", "resnet-50", "resnet50", "--format", "json", cwd=user)
    assert done.returncode == 0, done.stderr
    compared = json.loads(done.stdout)
    assert (compared["a"]["model"], compared["b"]["model"]) == ("resnet-50", "resnet50")
    assert compared["b"]["totals"]["macs"] == RESNET50_MACS


def test_a_path_wins_over_a_zoo_name(installed: Path, user: Path) -> None:
    # a file of the user's named like a zoo model: 3x3 conv of 8 on 3 x 8 x 8, 8·3·9 = 216 weights + 8 biases
    (user / "resnet50").write_text("input 3 x 8 x 8\nconv(8, 3)\n")
    done = run(installed / "archspec", "analyze", "resnet50", "--format", "json", cwd=user)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["totals"]["params"] == 224


def test_a_users_spec_imports_a_shipped_library(installed: Path, user: Path) -> None:
    # torchvision's BasicBlock of 64 on 64 x 56 x 56: two 3x3 convolutions of
    # 64·64·9 = 36,864 weights each and two BNs of 2·64 = 128: 73,984
    (user / "mine.arch").write_text('input 64 x 56 x 56\nimport "zoo:modern/lib/resnet.arch"\nbasic(64)\n')
    done = run(installed / "archspec", "analyze", "mine.arch", "--format", "json", cwd=user)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["totals"]["params"] == 73_984


def test_zoo_lists_the_models_with_task_and_source(installed: Path, user: Path) -> None:
    done = run(installed / "archspec", "zoo", "--format", "json", cwd=user)
    assert done.returncode == 0, done.stderr
    listed = {entry["name"]: entry for entry in json.loads(done.stdout)}
    assert listed["resnet50"]["folder"] == "reference" and listed["modern/resnet50"]["folder"] == "modern"
    assert listed["resnet50"]["task"] == "classification"
    assert listed["modern/resnet50"]["source"].startswith("torchvision.models.resnet50")
