"""FBNet grammar and geometry: 22 searchable layers, 9 candidate blocks each (HW-NAS-Bench
layout). Both the space (`_fbnet.py`) and the torch builder (`_fbnet_torch.py`) import it.

Macro layout (FBNet v1 / HW-NAS-Bench): a 3x3 stem to 16 channels, seven stages of
1, 4, 4, 4, 4, 4, 1 layers with 16, 24, 32, 64, 112, 184, 352 output channels, a 1x1
head convolution, global average pooling and a classifier. The first layer of a stage
carries its stride. CIFAR layout: stem stride 1, stage strides 1,1,2,2,1,2,1, head 1504
channels; ImageNet layout: stem stride 2, strides 1,2,2,2,1,2,1, head 1984 channels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hwnas.core import InvalidArchitectureError

BLOCKS: tuple[str, ...] = (
    "k3_e1",
    "k3_e1_g2",
    "k3_e3",
    "k3_e6",
    "k5_e1",
    "k5_e1_g2",
    "k5_e3",
    "k5_e6",
    "skip",
)
STAGE_LAYERS: tuple[int, ...] = (1, 4, 4, 4, 4, 4, 1)
STAGE_CHANNELS: tuple[int, ...] = (16, 24, 32, 64, 112, 184, 352)
STEM_CHANNELS = 16
NUM_LAYERS = sum(STAGE_LAYERS)  # 22
SEPARATOR = "-"


@dataclass(frozen=True)
class Layout:
    """Strides and widths that differ between the CIFAR and ImageNet variants."""

    name: str
    stem_stride: int
    stage_strides: tuple[int, ...]
    head_channels: int
    input_shape: tuple[int, int, int]
    num_classes: int


LAYOUTS: dict[str, Layout] = {
    "cifar": Layout("cifar", 1, (1, 1, 2, 2, 1, 2, 1), 1504, (3, 32, 32), 100),
    "imagenet": Layout("imagenet", 2, (1, 2, 2, 2, 1, 2, 1), 1984, (3, 224, 224), 1000),
}


@dataclass(frozen=True)
class BlockSpec:
    """One candidate block of the space: kernel, expansion and groups (skip: all None)."""

    name: str
    kernel: int | None
    expansion: int | None
    groups: int | None

    @property
    def is_skip(self) -> bool:
        return self.kernel is None


def block_spec(name: str) -> BlockSpec:
    """Decode a block name (`k5_e6`, `k3_e1_g2`, `skip`)."""
    if name == "skip":
        return BlockSpec(name, None, None, None)
    parts = name.split("_")
    try:
        kernel = int(parts[0].removeprefix("k"))
        expansion = int(parts[1].removeprefix("e"))
        groups = int(parts[2].removeprefix("g")) if len(parts) > 2 else 1
    except (IndexError, ValueError):
        raise InvalidArchitectureError(
            f"unknown FBNet block {name!r}; blocks: {', '.join(BLOCKS)}"
        ) from None
    return BlockSpec(name, kernel, expansion, groups)


BLOCK_SPECS: tuple[BlockSpec, ...] = tuple(block_spec(b) for b in BLOCKS)


@dataclass(frozen=True)
class LayerSpec:
    """One searchable layer's geometry: input channels/size, output channels, stride."""

    index: int
    c_in: int
    c_out: int
    stride: int
    height: int  # input height
    width: int  # input width

    @property
    def out_height(self) -> int:
        return -(-self.height // self.stride)

    @property
    def out_width(self) -> int:
        return -(-self.width // self.stride)


def layer_specs(input_shape: tuple[int, int, int], layout: Layout) -> tuple[LayerSpec, ...]:
    """The geometry of the 22 searchable layers for an input (C, H, W)."""
    height = -(-input_shape[1] // layout.stem_stride)
    width = -(-input_shape[2] // layout.stem_stride)
    c_in = STEM_CHANNELS
    out = []
    index = 0
    for count, channels, stride in zip(
        STAGE_LAYERS, STAGE_CHANNELS, layout.stage_strides, strict=True
    ):
        for position in range(count):
            layer_stride = stride if position == 0 else 1
            spec = LayerSpec(index, c_in, channels, layer_stride, height, width)
            out.append(spec)
            height, width = spec.out_height, spec.out_width
            c_in = channels
            index += 1
    return tuple(out)


def block_macs(block: BlockSpec, layer: LayerSpec) -> tuple[int, int]:
    """(MACs, parameters) of one block in one layer (BatchNorm: 2 params per channel)."""
    out_pixels = layer.out_height * layer.out_width
    if block.is_skip:
        if layer.stride == 1 and layer.c_in == layer.c_out:
            return 0, 0
        return out_pixels * layer.c_in * layer.c_out, layer.c_in * layer.c_out + 2 * layer.c_out
    assert block.kernel and block.expansion and block.groups
    mid = layer.c_in * block.expansion
    in_pixels = layer.height * layer.width
    expand = in_pixels * layer.c_in * mid // block.groups
    depthwise = out_pixels * mid * block.kernel * block.kernel
    project = out_pixels * mid * layer.c_out // block.groups
    params = (layer.c_in * mid + mid * layer.c_out) // block.groups
    params += mid * block.kernel * block.kernel + 2 * (2 * mid + layer.c_out)
    return expand + depthwise + project, params


def block_key(block: BlockSpec, layer: LayerSpec) -> str:
    """Latency-table key of a block in a layer, e.g. `ir_k5_e6_c16_o24_s2_i32`."""
    size = f"{layer.height}" if layer.height == layer.width else f"{layer.height}x{layer.width}"
    if block.is_skip:
        return f"skip_c{layer.c_in}_o{layer.c_out}_s{layer.stride}_i{size}"
    groups = f"_g{block.groups}" if block.groups and block.groups > 1 else ""
    return (
        f"ir_k{block.kernel}_e{block.expansion}{groups}_c{layer.c_in}_o{layer.c_out}"
        f"_s{layer.stride}_i{size}"
    )


def is_identity(block: BlockSpec, layer: LayerSpec) -> bool:
    """A skip where shapes match: no computation at all."""
    return block.is_skip and layer.stride == 1 and layer.c_in == layer.c_out


def decode_fbnet(string: str) -> tuple[int, ...]:
    tokens = string.split(SEPARATOR)
    if len(tokens) != NUM_LAYERS:
        raise InvalidArchitectureError(
            f"an fbnet architecture has {NUM_LAYERS} blocks joined by '{SEPARATOR}', got "
            f"{len(tokens)} (expected like {SEPARATOR.join(['k3_e6'] * 3)}...)"
        )
    genes = []
    for position, token in enumerate(tokens):
        if token not in BLOCKS:
            raise InvalidArchitectureError(
                f"unknown fbnet block {token!r} at layer {position}; blocks: {', '.join(BLOCKS)}"
            )
        genes.append(BLOCKS.index(token))
    return tuple(genes)


def encode_fbnet(genes: Sequence[int]) -> str:
    return SEPARATOR.join(BLOCKS[g] for g in genes)
