"""The TVM target helpers export and the tvm profiler share (no TVM build needed)."""

from __future__ import annotations

import platform

import pytest

from hwnas.core import ConfigError, DeviceError
from hwnas.toolchain import (
    AARCH64_TARGET,
    HOST_TARGET,
    as_target_dict,
    is_cross_target,
    require_cross_compiler,
)


def test_a_triple_of_another_machine_is_cross() -> None:
    assert not is_cross_target(HOST_TARGET)
    assert not is_cross_target({"kind": "llvm", "mtriple": f"{platform.machine()}-linux-gnu"})
    other = "x86_64" if platform.machine() == "aarch64" else "aarch64"
    assert is_cross_target({"kind": "llvm", "mtriple": f"{other}-linux-gnu"})


def test_target_tables_become_plain_dicts_with_lists() -> None:
    got = as_target_dict({"kind": "llvm", "mattr": ("+neon",), "num-cores": 4})
    assert got == {"kind": "llvm", "mattr": ["+neon"], "num-cores": 4}
    assert as_target_dict(AARCH64_TARGET) == dict(AARCH64_TARGET)


def test_a_missing_cross_compiler_names_the_packages_and_the_chosen_error_type() -> None:
    with pytest.raises(DeviceError, match="apt-get install gcc-aarch64-linux-gnu"):
        require_cross_compiler("hwnas-no-such-gcc")
    with pytest.raises(ConfigError, match="cross compiler hwnas-no-such-gcc not found"):
        require_cross_compiler("hwnas-no-such-gcc", ConfigError)
    assert require_cross_compiler("sh") == "sh"
