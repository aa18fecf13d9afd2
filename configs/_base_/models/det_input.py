# A part, not a model: mmdet's detector input, normalised as for ImageNet;
# a detector base spreads it into its data_preprocessor and sets its padding.
_base_ = './imagenet_input.py'

det_input = dict(type='DetDataPreprocessor', **_base_.imagenet_input)
