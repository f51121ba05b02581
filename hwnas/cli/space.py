"""`hwnas space info|sample|parse`: look at a search space."""

from __future__ import annotations

from typing import Annotated

import typer

from hwnas.cli._output import FormatOption, OutputFormat, console, emit, print_table

space_app = typer.Typer(help="Inspect search spaces.", no_args_is_help=True)


@space_app.command("list")
def list_command(output_format: FormatOption = OutputFormat.text) -> None:
    """List the registered search spaces."""
    from hwnas.spaces import list_spaces

    names = list_spaces()
    emit(names, output_format, lambda: console.print("\n".join(names)))


@space_app.command("info")
def info_command(
    name: Annotated[str, typer.Argument(help="space name, e.g. nb201")],
    output_format: FormatOption = OutputFormat.text,
) -> None:
    """Size of a space and its number of distinct networks (isomorphism classes).

    Example: hwnas space info nb201 --format json
    """
    from hwnas.spaces import create_space

    space = create_space(name)
    info: dict[str, object] = {"name": space.name, "size": space.size, "genes": len(space.gene_choices)}
    unique = getattr(space, "unique", None)
    if callable(unique):
        info["unique"] = len(unique())
    info["default_input_shape"] = list(space.default_input_shape)
    emit(info, output_format, lambda: print_table(f"space {name}", ["field", "value"], info.items()))


@space_app.command("sample")
def sample_command(
    name: Annotated[str, typer.Argument(help="space name, e.g. nb201")],
    n: Annotated[int, typer.Option("-n", "--number", min=1, help="how many")] = 5,
    seed: Annotated[int, typer.Option(help="random seed")] = 0,
    output_format: FormatOption = OutputFormat.text,
) -> None:
    """Draw random architectures. Example: hwnas space sample nb201 -n 3 --seed 1"""
    from hwnas.spaces import create_space

    space = create_space(name)
    archs = space.sample(n, seed=seed)
    emit([a.to_dict() for a in archs], output_format,
         lambda: console.print("\n".join(a.string for a in archs), highlight=False))


@space_app.command("parse")
def parse_command(
    name: Annotated[str, typer.Argument(help="space name, e.g. nb201")],
    arch: Annotated[str, typer.Argument(help="architecture string")],
    output_format: FormatOption = OutputFormat.text,
) -> None:
    """Validate an architecture string and show its canonical forms."""
    from hwnas.spaces import create_space

    space = create_space(name)
    parsed = space.parse(arch)
    info = parsed.to_dict() | {"isomorphism_key": space.isomorphism_key(parsed)}
    canonical = getattr(space, "canonical", None)
    if callable(canonical):
        info["representative"] = canonical(parsed).string
    emit(info, output_format, lambda: print_table("architecture", ["field", "value"], info.items()))


def register(app: typer.Typer) -> None:
    app.add_typer(space_app, name="space")
