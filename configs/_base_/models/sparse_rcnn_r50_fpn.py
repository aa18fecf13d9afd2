# Sparse R-CNN, ResNet-50-FPN, as in the VinDr-SpineXR reference: 100
# learnable proposals, 6 iterative stages, hidden 256, dynamic conv 2 x 64,
# focal loss (alpha 0.25, gamma 2), loss weights class 2 / GIoU 2 / L1 5,
# deep supervision on every stage. num_classes follows the data base's
# metainfo.
_base_ = './det_input.py'

num_stages = 6
num_proposals = 100
hidden_channels = 256
ffn_channels = 2048
# The reference runs NMS at IoU 0.7 on the outputs before evaluation.
# AmpSafeDIIHead is mmdet's DIIHead with float32 outputs, so that --amp
# training does not break the Hungarian matching; AmpSafeRoIExtractor pools
# bfloat16/float16 feature maps in float32 (mmcv has no bfloat16 RoIAlign).
test_nms_iou = 0.7
# Hungarian matching of each stage, with the loss weights as costs.
stage_train_cfg = dict(
    assigner=dict(
        type='HungarianAssigner',
        match_costs=[
            dict(type='FocalLossCost', weight=2.0),
            dict(type='BBoxL1Cost', weight=5.0, box_format='xyxy'),
            dict(type='IoUCost', iou_mode='giou', weight=2.0)
        ]),
    sampler=dict(type='PseudoSampler'),
    pos_weight=1)

model = dict(
    type='SparseRCNN',
    data_preprocessor=dict(_base_.det_input, pad_size_divisor=32),
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=True,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    neck=dict(
        type='FPN',
        in_channels=[256, 512, 1024, 2048],
        out_channels=hidden_channels,
        start_level=0,
        add_extra_convs='on_input',
        num_outs=4),
    rpn_head=dict(
        type='EmbeddingRPNHead',
        num_proposals=num_proposals,
        proposal_feature_channel=hidden_channels),
    roi_head=dict(
        type='NMSSparseRoIHead',
        num_stages=num_stages,
        stage_loss_weights=[1] * num_stages,
        proposal_feature_channel=hidden_channels,
        bbox_roi_extractor=dict(
            type='AmpSafeRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=2),
            out_channels=hidden_channels,
            featmap_strides=[4, 8, 16, 32]),
        # One head config for all stages (mmdet repeats a single dict).
        bbox_head=dict(
            type='AmpSafeDIIHead',
            num_classes=7,
            num_ffn_fcs=2,
            num_heads=8,
            num_cls_fcs=1,
            num_reg_fcs=3,
            feedforward_channels=ffn_channels,
            in_channels=hidden_channels,
            dropout=0.0,
            ffn_act_cfg=dict(type='ReLU', inplace=True),
            dynamic_conv_cfg=dict(
                type='DynamicConv',
                in_channels=hidden_channels,
                feat_channels=64,
                out_channels=hidden_channels,
                input_feat_shape=7,
                act_cfg=dict(type='ReLU', inplace=True),
                norm_cfg=dict(type='LN')),
            loss_bbox=dict(type='L1Loss', loss_weight=5.0),
            loss_iou=dict(type='GIoULoss', loss_weight=2.0),
            loss_cls=dict(
                type='FocalLoss',
                use_sigmoid=True,
                gamma=2.0,
                alpha=0.25,
                loss_weight=2.0),
            bbox_coder=dict(
                type='DeltaXYWHBBoxCoder',
                clip_border=False,
                target_means=[0., 0., 0., 0.],
                target_stds=[0.5, 0.5, 1., 1.]))),
    # mmdet wants one training config per stage here
    train_cfg=dict(rpn=None, rcnn=[stage_train_cfg] * num_stages),
    test_cfg=dict(
        rpn=None,
        rcnn=dict(
            max_per_img=num_proposals,
            nms=dict(type='nms', iou_threshold=test_nms_iou))))

# Where the names above are used (see mmspine/utils/config.py).
_hoisted_model_ = dict(
    values={
        n: globals()[n]
        for n in ('num_stages', 'num_proposals', 'hidden_channels',
                  'ffn_channels', 'test_nms_iou', 'stage_train_cfg')
    },
    places='''
        model.roi_head.num_stages: num_stages
        model.roi_head.stage_loss_weights: [1] * num_stages
        model.train_cfg.rcnn: [stage_train_cfg] * num_stages
        model.rpn_head.num_proposals: num_proposals
        model.test_cfg.rcnn.max_per_img: num_proposals
        model.test_cfg.rcnn.nms.iou_threshold: test_nms_iou
        model.neck.out_channels: hidden_channels
        model.{rpn,roi}_head.proposal_feature_channel: hidden_channels
        model.roi_head.bbox_roi_extractor.out_channels: hidden_channels
        model.roi_head.bbox_head.**.{in,out}_channels: hidden_channels
        model.roi_head.bbox_head.feedforward_channels: ffn_channels
    ''')
