# VinDr-SpineXR lesion detection, after preprocessing to PNG + COCO JSON
# (tools/dataset_converters). Layout under data_root:
#   train_images/*.png, test_images/*.png, annotations/{train,test}.json
# How the PNGs were made from the DICOMs (tools/dataset_converters/
# dicom2png.py --mode, --max-size): tools/infer.py converts DICOMs the same
# way, so the model sees the pixels it was trained on.
preprocess = dict(mode='reference', max_size=None)
dataset_type = 'SpineXRDataset'
data_root = 'data/spinexr/'
train_ann_file = 'annotations/train.json'
train_img_dir = 'train_images/'
test_ann_file = 'annotations/test.json'
test_img_dir = 'test_images/'

train_batch_size = 16
test_batch_size = 1
num_workers = 4
# Reference input size: shorter side sampled from 640:32:800, longer side
# at most 1333; test at shorter side 800.
train_short_edges = (640, 672, 704, 736, 768, 800)
max_long_edge = 1333
test_short_edge = 800
train_scales = [(max_long_edge, s) for s in train_short_edges]
# LVIS-style repeat-factor sampling, r(c) = max(1, sqrt(t / f(c))). Set to
# 0 to switch it off (every repeat factor becomes 1).
repeat_factor_thr = 0.1
# Images without boxes ("No finding") are dropped from training only, as in
# the reference; validation and test keep them.
filter_empty_train = True

backend_args = None

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='RandomChoiceResize', scales=train_scales, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(
        type='Resize', scale=(max_long_edge, test_short_edge),
        keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]

train_dataloader = dict(
    batch_size=train_batch_size,
    num_workers=num_workers,
    persistent_workers=num_workers > 0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type='ClassBalancedDataset',
        oversample_thr=repeat_factor_thr,
        dataset=dict(
            type=dataset_type,
            data_root=data_root,
            ann_file=train_ann_file,
            data_prefix=dict(img=train_img_dir),
            filter_cfg=dict(filter_empty_gt=filter_empty_train, min_size=1),
            pipeline=train_pipeline,
            backend_args=backend_args)))
val_dataloader = dict(
    batch_size=test_batch_size,
    num_workers=num_workers,
    persistent_workers=num_workers > 0,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=test_ann_file,
        data_prefix=dict(img=test_img_dir),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader

# mAP@0.5 (the paper's headline), mAP over IoU 0.20:0.05:0.50 (the
# reference code's "AP") and a per-class AP table.
val_evaluator = dict(
    type='SpineXRMetric',
    ann_file=data_root + test_ann_file,
    backend_args=backend_args)
test_evaluator = val_evaluator

# Test-time augmentation for tools/test.py --tta: original + flipped, merged
# by NMS.
tta_model = dict(
    type='DetTTAModel',
    tta_cfg=dict(nms=dict(type='nms', iou_threshold=0.5), max_per_img=100))
tta_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(
        type='Resize', scale=(max_long_edge, test_short_edge),
        keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='TestTimeAug',
        transforms=[[
            dict(type='RandomFlip', prob=1.),
            dict(type='RandomFlip', prob=0.)
        ],
                    [
                        dict(
                            type='PackDetInputs',
                            meta_keys=('img_id', 'img_path', 'ori_shape',
                                       'img_shape', 'scale_factor', 'flip',
                                       'flip_direction'))
                    ]])
]
