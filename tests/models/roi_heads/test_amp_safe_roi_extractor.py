import os.path as osp

import torch
from mmdet.registry import MODELS
from mmengine import Config

from mmspine.models import AmpSafeRoIExtractor

REPO_ROOT = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CONFIG = osp.join(REPO_ROOT, 'configs/_base_/models/sparse_rcnn_r50_fpn.py')


def test_pools_bf16_maps_in_float32(mmdet_registry):
    cfg = Config.fromfile(CONFIG).model.roi_head.bbox_roi_extractor
    cfg.out_channels = 8
    ours = MODELS.build(cfg)
    assert isinstance(ours, AmpSafeRoIExtractor)
    stock = MODELS.build(dict(cfg, type='SingleRoIExtractor'))
    torch.manual_seed(0)
    feats = tuple(torch.rand(2, 8, 64 // 2**i, 64 // 2**i) for i in range(4))
    # boxes of all sizes, so that every pyramid level is used
    rois = torch.tensor([[0, 3.3, 5.1, 20.7, 30.2], [1, 0., 0., 250., 250.],
                         [0, 10., 10., 90., 130.], [1, 50.5, 7., 100., 60.]])
    bf16 = tuple(f.bfloat16() for f in feats)
    out = ours(bf16, rois)
    assert out.dtype == torch.float32
    # the same as pooling the (rounded) maps in float32 with float32 boxes
    expected = stock(tuple(f.float() for f in bf16), rois)
    torch.testing.assert_close(out, expected)
    # float32 input: the stock extractor's result, untouched
    torch.testing.assert_close(ours(feats, rois), stock(feats, rois))
