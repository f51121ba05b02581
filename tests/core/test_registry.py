from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from hwnas.core import DuplicatePluginError, Registry, UnknownPluginError


class Base:
    pass


def test_register_create_and_list_with_glob() -> None:
    registry: Registry[Base] = Registry("widgets", base=Base)

    @registry.register("alpha-one")
    class AlphaOne(Base):
        def __init__(self, size: int = 1) -> None:
            self.size = size

    @registry.register("beta")
    class Beta(Base):
        pass

    assert registry.list() == ["alpha-one", "beta"]
    assert registry.list("alpha*") == ["alpha-one"]
    built = registry.create("alpha-one", size=3)
    assert isinstance(built, AlphaOne) and built.size == 3
    instance = Beta()
    assert registry.resolve(instance) is instance
    assert isinstance(registry.resolve("beta"), Beta)


def test_duplicate_name_raises() -> None:
    registry: Registry[Base] = Registry("widgets")
    registry.register("same")(Base)
    with pytest.raises(DuplicatePluginError, match="already registered"):
        registry.register("same")(type("Other", (Base,), {}))


def test_unknown_name_lists_known_ones() -> None:
    registry: Registry[Base] = Registry("widgets")
    registry.register("known")(Base)
    with pytest.raises(UnknownPluginError, match="unknown widgets 'nope'; known widgets: known"):
        registry.create("nope")


def test_resolve_rejects_wrong_type() -> None:
    registry: Registry[Base] = Registry("widgets", base=Base)
    with pytest.raises(TypeError, match="expected a widgets name or a Base instance"):
        registry.resolve(42)  # type: ignore[arg-type]


def test_entry_point_plugins_load_on_first_lookup(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "thirdparty_widget.py").write_text(
        textwrap.dedent(
            """
            LOADED = True
            class Gadget:
                pass
            """
        )
    )
    dist = tmp_path / "thirdparty_widget-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: thirdparty-widget\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[hwnas.gadgets]\ngadget = thirdparty_widget:Gadget\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("thirdparty_widget", None)
    registry: Registry[object] = Registry("gadgets")
    assert "thirdparty_widget" not in sys.modules  # nothing loaded at construction
    assert registry.list() == ["gadget"]
    assert type(registry.create("gadget")).__name__ == "Gadget"

