"""Import hygiene, read from the source with `ast`: no import circle among the project's
packages, no view module importing another view module (shared helpers live in non-view
modules), `models/` is the floor, realtime/ and search/ do not load the app, and no test module
imports another (shared test code lives in tests/helpers/)."""
from __future__ import annotations

from pathlib import Path

from tests.helpers.import_graph import circles, read_modules, view_imports

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["app", "models", "realtime", "search"]


def test_no_import_circle():
    found = circles(read_modules(ROOT, PACKAGES))
    assert not found, "import circles (modules importing each other at load time):\n" + "\n".join(
        " <-> ".join(circle) for circle in found)


def test_no_view_module_imports_another():
    found = view_imports(read_modules(ROOT, PACKAGES))
    assert not found, ("view modules importing view modules (move what they share to a "
                       "non-view module):\n" + "\n".join(found))


def test_models_is_the_floor_and_realtime_and_search_do_not_load_the_app():
    modules = read_modules(ROOT, PACKAGES)
    wrong = [f"{name} imports {other}" for name, module in sorted(modules.items())
             if name.split(".")[0] == "models"
             for other in sorted(module.loaded | module.lazy)
             if other.split(".")[0] in ("app", "realtime", "search")]
    wrong += [f"{name} imports {other} at load time" for name, module in sorted(modules.items())
              if name.split(".")[0] in ("realtime", "search")
              for other in sorted(module.loaded) if other.split(".")[0] == "app"]
    assert not wrong, "imports against the direction app -> realtime, search -> models:\n" + \
        "\n".join(wrong)


def test_no_test_module_imports_another():
    """Nor tests/conftest.py: pytest loads it as `conftest`, and an import of `tests.conftest`
    loaded it a second time, its patches of werkzeug and SQLAlchemy installed twice, each with
    its own state (tests/helpers/sharing.py)."""
    modules = read_modules(ROOT, ["tests"])
    wrong = [f"{name} imports {other}" for name, module in sorted(modules.items())
             if name.startswith(("tests.test_", "tests.helpers"))
             for other in sorted(module.loaded | module.lazy)
             if other.startswith("tests.test_") and other != name or other == "tests.conftest"]
    assert not wrong, "test modules importing test modules (move what they share to " \
        "tests/helpers/):\n" + "\n".join(wrong)


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_the_checker_finds_a_circle_and_a_view_importing_a_view(tmp_path):
    _write(tmp_path, {
        # The pattern this project had: bp in __init__, which imports the views, which import
        # bp from the package.
        "demo/__init__.py": "from flask import Blueprint\nbp = Blueprint('d', __name__)\n"
                            "from demo import pages  # noqa\n",
        "demo/pages.py": "from demo import bp\nfrom demo.helpers import shared\n\n"
                         "@bp.route('/')\ndef index():\n    return shared()\n",
        "demo/other.py": "from demo.blueprint import bp\n\n"
                         "@bp.get('/other')\ndef other():\n"
                         "    from demo.pages import index\n    return index()\n",
        "demo/blueprint.py": "from flask import Blueprint\nbp = Blueprint('o', __name__)\n",
        "demo/helpers.py": "def shared():\n    from demo import pages  # lazy: no circle\n"
                           "    return pages\n",
        "demo/sub/__init__.py": "",
        # A package importing its own submodule is not a circle by that alone.
        "demo/sub/leaf.py": "import demo.sub\nfrom . import sibling\n",
        "demo/sub/sibling.py": "from ..helpers import shared\n",
    })
    modules = read_modules(tmp_path, ["demo"])
    assert circles(modules) == [["demo", "demo.pages"]]
    assert view_imports(modules) == ["demo.other imports demo.pages"]
    assert {name for name, m in modules.items() if m.is_view} == {"demo.pages", "demo.other"}
    assert modules["demo.sub.leaf"].loaded == {"demo.sub", "demo.sub.sibling"}
    assert modules["demo.sub.sibling"].loaded == {"demo.helpers"}
    assert modules["demo.helpers"].lazy == {"demo.pages"}


def test_a_circle_closed_by_a_type_hint_import_is_found(tmp_path):
    """Python loads it, but one of the two holds a type the other needs: it belongs elsewhere
    (the places' row and the map's content were such types)."""
    _write(tmp_path, {
        "kit/__init__.py": "",
        "kit/reader.py": "from kit.placer import place\n\nclass Row:\n    pass\n",
        "kit/placer.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                         "    from kit.reader import Row\n\ndef place(row: 'Row'):\n"
                         "    from kit.reader import Row  # noqa: a function's import: no circle\n",
    })
    modules = read_modules(tmp_path, ["kit"])
    assert modules["kit.placer"].typing == {"kit.reader"}
    assert circles(modules) == [["kit.placer", "kit.reader"]]
    _write(tmp_path, {"kit/placer.py": "def place(row):\n    from kit.reader import Row\n"})
    assert circles(read_modules(tmp_path, ["kit"])) == []


def test_the_checker_sees_the_app_and_its_views():
    modules = read_modules(ROOT, PACKAGES)
    views = {name for name, m in modules.items() if m.is_view}
    assert {"app.people.views", "app.auth.views", "app.search_views"} <= views
    assert "app.forms" in modules and "app.forms" not in views
    assert len(views) >= 20
