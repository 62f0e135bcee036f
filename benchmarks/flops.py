"""FLOP counts of the networks the benchmarks train, counted honestly and written down.

For a dense layer with fan_in inputs and fan_out outputs, one example costs:

- forward: ``x @ W`` is fan_in * fan_out multiply-adds = 2 * fan_in * fan_out FLOPs;
- backward, weight gradient ``x^T @ dy``: the same 2 * fan_in * fan_out;
- backward, input gradient ``dy @ W^T``: the same again, except for the first layer, whose input is the
  pixels: nothing asks for a gradient with respect to them, so that product is never computed.

A 'SAME' k x k convolution costs 2 * k * k * in_channels FLOPs per output value forward, and its two
gradients the same again each (the first one's input gradient, again, is never computed).

So, per example: forward = the sum of every layer's forward FLOPs; training = forward + forward + (forward
minus the first layer's). Bias adds, ReLU, pooling, dropout, softmax, cross-entropy and Adam's per-weight
update are ignored: they are elementwise and together well under 1 % of the products here.
For a 784-512-256-10 MLP: forward 1,070,080 FLOPs, training 2,407,424 FLOPs per example.
"""

from __future__ import annotations

from collections.abc import Sequence

INPUT_PIXELS = 784
CLASSES = 10

FORMULA = (
    "per example, training = 2·Σ(fan_in·fan_out) forward + 2·Σ(fan_in·fan_out) weight gradients "
    "+ 2·Σ(fan_in·fan_out) input gradients without the first layer (no gradient w.r.t. the pixels), "
    "a k×k convolution counting as fan_in = k·k·in_channels per output value; "
    "inference = 2·Σ(fan_in·fan_out); elementwise ops and pooling ignored"
)


def layer_shapes(hidden_units: Sequence[int], inputs: int = INPUT_PIXELS, classes: int = CLASSES) -> list[tuple]:
    """(fan_in, fan_out) of every dense layer, e.g. (512, 256) -> [(784, 512), (512, 256), (256, 10)]."""
    sizes = [inputs, *hidden_units, classes]
    return list(zip(sizes[:-1], sizes[1:], strict=True))


def layer_forward_flops(hidden_units: Sequence[int], conv_filters: Sequence[int] = (), kernel: int = 5,
                        classes: int = CLASSES) -> list[int]:
    """Each layer's forward FLOPs for one example, first layer first: 2 * k * k * in_channels per output value
    of every 'SAME' convolution (`conv_filters` given: a CNN), each followed by a 2x2 max-pool that halves
    the side (rounding up), then 2 * fan_in * fan_out per dense layer."""
    side, channels, flops = 28, 1, []
    for filters in conv_filters:
        flops.append(2 * side * side * filters * kernel * kernel * channels)
        side, channels = -(-side // 2), filters
    inputs = side * side * channels if conv_filters else INPUT_PIXELS
    return flops + [2 * fan_in * fan_out for fan_in, fan_out in layer_shapes(hidden_units, inputs, classes)]


def forward_flops(hidden_units: Sequence[int], conv_filters: Sequence[int] = (), kernel: int = 5,
                  classes: int = CLASSES) -> int:
    """FLOPs of one example's forward pass (the sum of `layer_forward_flops`)."""
    return sum(layer_forward_flops(hidden_units, conv_filters, kernel, classes))


def training_flops(hidden_units: Sequence[int], conv_filters: Sequence[int] = (), kernel: int = 5) -> int:
    """FLOPs of one example's training step: forward, weight gradients, input gradients but the first layer's."""
    layers = layer_forward_flops(hidden_units, conv_filters, kernel)
    return 2 * sum(layers) + sum(layers[1:])


def training_matmul_shapes(hidden_units: Sequence[int], batch_size: int) -> list[tuple[int, int, int]]:
    """(m, k, n) of every matrix product of one training step on `batch_size` rows (the products counted above).

    Per dense layer (fan_in, fan_out): forward [B, fan_in] @ [fan_in, fan_out]; weight gradient
    [fan_in, B] @ [B, fan_out]; input gradient [B, fan_out] @ [fan_out, fan_in], except for the first layer.
    """
    shapes = []
    for index, (fan_in, fan_out) in enumerate(layer_shapes(hidden_units)):
        shapes += [(batch_size, fan_in, fan_out), (fan_in, batch_size, fan_out)]
        if index > 0:
            shapes.append((batch_size, fan_out, fan_in))
    return shapes
