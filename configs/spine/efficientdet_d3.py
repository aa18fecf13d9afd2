# EfficientDet-D3 on VinDr-SpineXR: D0's recipe (efficientdet_d0.py) at the
# paper's compound scaling for D3: input 896, BiFPN 160 x 6, heads of
# depth 4, EfficientNet-B3 (the row 'd3' of compound_scaling in
# configs/_base_/models/efficientdet_d0.py).
_base_ = './efficientdet_d0.py'

efficientdet = 'd3'
