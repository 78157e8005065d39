"""What a pip-installed crossmap ships: the French catalogue, compiled and
in step with its source, inside the wheel, so that ``pip install .`` then
``crossmap serve`` speaks French."""

import os
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).parents[1]
CATALOGUE = ROOT / "webmap" / "translations" / "fr" / "LC_MESSAGES" / "messages"


def test_compiled_catalogue_matches_its_source():
    with open(CATALOGUE.with_suffix(".po"), "rb") as handle:
        source = read_po(handle)
    with open(CATALOGUE.with_suffix(".mo"), "rb") as handle:
        compiled = read_mo(handle)

    def key(value):
        return tuple(value) if isinstance(value, (list, tuple)) else value

    wanted = {key(m.id): key(m.string) for m in source if m.id and m.string}
    shipped = {key(m.id): key(m.string) for m in compiled if m.id}
    stale = sorted(str(k) for k in wanted if shipped.get(k) != wanted[k])
    assert not stale, f"run `make catalogue`: {len(stale)} messages differ, e.g. {stale[:3]}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A wheel of the project installed in a scratch virtual environment that
    borrows the dependencies of the running one (no network)."""
    work = tmp_path_factory.mktemp("wheel")
    # Nothing of the source tree may leak in through the environment.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(work / "dist"),
            str(ROOT),
        ],
        check=True,
        env=env,
    )
    (wheel,) = (work / "dist").glob("crossmap-*.whl")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # Dependencies from the test environment; crossmap itself only from the wheel.
    Path(site, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # --ignore-installed: the borrowed dependencies include the editable
    # install of this tree, which must not stand in for the wheel.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            "--ignore-installed",
            str(wheel),
        ],
        check=True,
        env=env,
    )
    return python, work


def test_installed_wheel_serves_french_pages_marked_fictitious(installed):
    python, work = installed
    script = textwrap.dedent("""
        import webmap
        from pathlib import Path
        assert "site-packages" in webmap.__file__, webmap.__file__
        from webmap import create_app
        app = create_app({"TESTING": True})
        runner = app.test_cli_runner()
        assert runner.invoke(args=["init-db"]).exit_code == 0
        result = runner.invoke(args=["demo", "--years", "1"])
        assert result.exit_code == 0, result.output
        page = app.test_client().get("/connexion").get_data(as_text=True)
        print(page)
    """)
    env = {"CROSSMAP_INSTANCE_PATH": str(work / "instance"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([python, "-c", script], cwd=work, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Mot de passe" in done.stdout
    assert "DONNÉES FICTIVES" in done.stdout
    assert "Password" not in done.stdout
