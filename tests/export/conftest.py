"""Finished runs built with RunStore from the NAS-Bench-201 tables in ../shared/data."""

from __future__ import annotations

import pytest
from export_helpers import build_table_run

from hwnas.runs import RunStore


@pytest.fixture(scope="session")
def table_run(tmp_path_factory, data_dir) -> RunStore:
    root = tmp_path_factory.mktemp("runs")
    store = build_table_run(root, data_dir, three=False)
    store.close()
    return RunStore.open(store.folder)


@pytest.fixture(scope="session")
def table_run_3d(tmp_path_factory, data_dir) -> RunStore:
    root = tmp_path_factory.mktemp("runs3")
    store = build_table_run(root, data_dir, three=True)
    store.close()
    return RunStore.open(store.folder)
