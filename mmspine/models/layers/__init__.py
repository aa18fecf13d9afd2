from .separable_conv import SeparableConv2d

__all__ = ['SeparableConv2d']
