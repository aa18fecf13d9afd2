"""The depthwise separable convolution of EfficientDet's BiFPN and heads."""
from torch import Tensor, nn


class SeparableConv2d(nn.Module):
    """A depthwise k x k convolution, then a pointwise 1 x 1 one.

    The depthwise step has no bias: a bias before a linear pointwise
    convolution could be folded into the latter's, so only the pointwise
    convolution carries one. Normalisation and activation are left to the
    caller, which in EfficientDet's heads keeps one batch norm per level
    behind a convolution shared across levels.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        kernel_size (int): Depthwise kernel size, padded to keep the
            spatial size. Defaults to 3.
        bias (bool): Give the pointwise convolution a bias. Defaults to
            True.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int = 3,
                 bias: bool = True) -> None:
        super().__init__()
        self.depthwise = nn.Conv2d(
            in_channels,
            in_channels,
            kernel_size,
            padding=kernel_size // 2,
            groups=in_channels,
            bias=False)
        self.pointwise = nn.Conv2d(in_channels, out_channels, 1, bias=bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.pointwise(self.depthwise(x))
