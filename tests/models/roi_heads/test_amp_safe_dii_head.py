import os.path as osp

import torch
from mmdet.registry import MODELS
from mmengine import Config

from mmspine.models import AmpSafeDIIHead

REPO_ROOT = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CONFIG = osp.join(REPO_ROOT, 'configs/_base_/models/sparse_rcnn_r50_fpn.py')


def _heads():
    # one dict, repeated by mmdet for every stage
    head_cfg = Config.fromfile(CONFIG).model.roi_head.bbox_head
    stock_cfg = dict(head_cfg, type='DIIHead')
    torch.manual_seed(0)
    ours = MODELS.build(head_cfg)
    torch.manual_seed(0)
    stock = MODELS.build(stock_cfg)
    return ours, stock


def test_outputs_float32_under_autocast(mmdet_registry):
    ours, stock = _heads()
    assert isinstance(ours, AmpSafeDIIHead)
    ours.eval()
    stock.eval()
    roi_feat = torch.rand(2 * 5, 256, 7, 7)
    proposal_feat = torch.rand(2, 5, 256)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        cls_ours, delta_ours, *_ = ours(roi_feat, proposal_feat)
        cls_stock, delta_stock, *_ = stock(roi_feat, proposal_feat)
    assert cls_stock.dtype == torch.bfloat16
    assert cls_ours.dtype == delta_ours.dtype == torch.float32
    torch.testing.assert_close(cls_ours, cls_stock.float())
    # and without autocast the two heads are the same function
    plain_ours = ours(roi_feat, proposal_feat)[0]
    plain_stock = stock(roi_feat, proposal_feat)[0]
    torch.testing.assert_close(plain_ours, plain_stock)
