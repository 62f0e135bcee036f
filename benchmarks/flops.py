"""FLOP counts of the fully connected network, counted honestly and written down.

For a dense layer with fan_in inputs and fan_out outputs, one example costs:

- forward: ``x @ W`` is fan_in * fan_out multiply-adds = 2 * fan_in * fan_out FLOPs;
- backward, weight gradient ``x^T @ dy``: the same 2 * fan_in * fan_out;
- backward, input gradient ``dy @ W^T``: the same again, except for the first layer, whose input is the
  pixels: nothing asks for a gradient with respect to them, so that product is never computed.

So, per example: forward = 2 * sum(fan_in * fan_out); training = forward + forward + (forward minus the
first layer's 2 * 784 * fan_out). Bias adds, ReLU, dropout, softmax, cross-entropy and Adam's per-weight
update are ignored: they are elementwise and together well under 1 % of the matrix products here.
For the default 784-512-256-10 network: forward 1,070,080 FLOPs, training 2,407,424 FLOPs per example.
"""

from __future__ import annotations

from collections.abc import Sequence

INPUT_PIXELS = 784
CLASSES = 10

FORMULA = (
    "per example, training = 2·Σ(fan_in·fan_out) forward + 2·Σ(fan_in·fan_out) weight gradients "
    "+ 2·Σ(fan_in·fan_out) input gradients without the first layer (no gradient w.r.t. the pixels); "
    "inference = 2·Σ(fan_in·fan_out); elementwise ops ignored"
)


def layer_shapes(hidden_units: Sequence[int], inputs: int = INPUT_PIXELS, classes: int = CLASSES) -> list[tuple]:
    """(fan_in, fan_out) of every dense layer, e.g. (512, 256) -> [(784, 512), (512, 256), (256, 10)]."""
    sizes = [inputs, *hidden_units, classes]
    return list(zip(sizes[:-1], sizes[1:], strict=True))


def forward_flops(hidden_units: Sequence[int]) -> int:
    """FLOPs of one example's forward pass: 2 * sum(fan_in * fan_out)."""
    return sum(2 * fan_in * fan_out for fan_in, fan_out in layer_shapes(hidden_units))


def training_flops(hidden_units: Sequence[int]) -> int:
    """FLOPs of one example's training step: forward, weight gradients, input gradients but the first layer's."""
    shapes = layer_shapes(hidden_units)
    forward = sum(2 * fan_in * fan_out for fan_in, fan_out in shapes)
    input_gradients = sum(2 * fan_in * fan_out for fan_in, fan_out in shapes[1:])
    return forward + forward + input_gradients
