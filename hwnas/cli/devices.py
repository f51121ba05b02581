"""`hwnas devices list|show`: the device catalog."""

from __future__ import annotations

from typing import Annotated

import typer

from hwnas.cli._output import FormatOption, OutputFormat, emit, print_table

CatalogOption = Annotated[
    str | None,
    typer.Option("--catalog", help="a user catalog TOML merged over the packaged one "
                 "(default $HWNAS_CATALOG or ~/.config/hwnas/devices.toml)"),
]

devices_app = typer.Typer(
    help="List and show devices. A user catalog file adds or overrides entries:\n\n"
    "[devices.my-jetson]\nkind = \"jetson\"\nfamily = \"jetson\"\n"
    "access = { method = \"ssh\", host = \"10.0.0.5\", user = \"nvidia\", key_file = \"~/.ssh/id_ed25519\" }",
    no_args_is_help=True,
)


@devices_app.command("list")
def list_command(catalog: CatalogOption = None, output_format: FormatOption = OutputFormat.text) -> None:
    """List catalog devices. Example: hwnas devices list --format json"""
    from hwnas.devices import load_catalog

    devices = list(load_catalog(catalog))
    emit(
        [d.to_dict() for d in devices],
        output_format,
        lambda: print_table(
            "devices", ["name", "kind", "family", "fp32 GFLOP/s", "GB/s", "profiler", "reached by"],
            [(d.name, d.kind, d.family, d.peak_gflops.get("fp32", "-"),
              d.memory_bandwidth_gbps or "-", d.default_profiler, d.access.method) for d in devices],
        ),
    )


@devices_app.command("show")
def show_command(
    name: Annotated[str, typer.Argument(help="device name or family, e.g. raspberry-pi-5")],
    catalog: CatalogOption = None,
    output_format: FormatOption = OutputFormat.text,
) -> None:
    """Show one device. Example: hwnas devices show raspberry-pi-5"""
    from hwnas.devices import get_device

    spec = get_device(name, catalog).to_dict()
    emit(spec, output_format, lambda: print_table(name, ["field", "value"], spec.items()))


def register(app: typer.Typer) -> None:
    app.add_typer(devices_app, name="devices")
