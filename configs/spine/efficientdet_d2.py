# EfficientDet-D2 on VinDr-SpineXR: D0's recipe (efficientdet_d0.py) at the
# paper's compound scaling for D2: input 768, BiFPN 112 x 5, heads of
# depth 3, EfficientNet-B2 (the row 'd2' of compound_scaling in
# configs/_base_/models/efficientdet_d0.py).
_base_ = './efficientdet_d0.py'

efficientdet = 'd2'
