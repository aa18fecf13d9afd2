# EfficientDet-D1 on VinDr-SpineXR: D0's recipe (efficientdet_d0.py) at the
# paper's compound scaling for D1: input 640, BiFPN 88 x 4, heads of
# depth 3, EfficientNet-B1 (the row 'd1' of compound_scaling in
# configs/_base_/models/efficientdet_d0.py).
_base_ = './efficientdet_d0.py'

efficientdet = 'd1'
