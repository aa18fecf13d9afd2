# A part, not a model: the input normalisation of networks made for
# ImageNet, its per-channel mean and standard deviation in RGB order, which
# the model bases spread into their data_preprocessor.
imagenet_input = dict(
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True)
