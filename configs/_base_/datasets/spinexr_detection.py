# VinDr-SpineXR lesion detection, after preprocessing to PNG + COCO JSON
# (tools/dataset_converters). Layout under data_root:
#   train_images/*.png, test_images/*.png,
#   annotations/{train,val,test}.json
# val.json is the validation split that spinexr2coco.py carves out of the
# train CSV (by study, stratified by class; --val-fraction): training
# validates on it and keeps the best checkpoint by it; only tools/test.py
# reads the test split.
#
# A child changes a dataloader by restating it, e.g.
#   train_dataloader = dict(batch_size=2)
#   train_dataloader = dict(dataset=dict(dataset=dict(pipeline=...)))
# (the train set is wrapped in ClassBalancedDataset), or with
# --cfg-options train_dataloader.batch_size=2; --data-root DIR points
# every dataset and evaluator at another folder.
dataset_type = 'SpineXRDataset'
data_root = 'data/spinexr/'
# Classes in label order, as named in the COCO JSON's categories.
metainfo = dict(
    classes=('Osteophytes', 'Surgical implant', 'Spondylolysthesis',
             'Foraminal stenosis', 'Disc space narrowing',
             'Vertebral collapse', 'Other lesions'),
    palette=[(230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200),
             (245, 130, 48), (145, 30, 180), (70, 240, 240)])
backend_args = None
# How the PNGs were made from the DICOMs (tools/dataset_converters/
# dicom2png.py --mode, --max-size): tools/infer.py converts DICOMs the same
# way, so the model sees the pixels it was trained on.
preprocess = dict(mode='reference', max_size=None)

# Reference input size: shorter side sampled from 640:32:800, longer side
# at most 1333; test at shorter side 800.
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='RandomChoiceResize',
        scales=[(1333, 640), (1333, 672), (1333, 704), (1333, 736),
                (1333, 768), (1333, 800)],
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
# Test-time augmentation for tools/test.py --tta: original + flipped, merged
# by NMS: the test pipeline up to packing, then both views packed.
tta_model = dict(
    type='DetTTAModel',
    tta_cfg=dict(nms=dict(type='nms', iou_threshold=0.5), max_per_img=100))
tta_pipeline = [
    *test_pipeline[:-1],
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

# Validation (checkpoint selection) on the val split, from train_images/;
# "No finding" images kept, as in test.
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        ann_file='annotations/val.json',
        data_prefix=dict(img='train_images/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = dict(
    val_dataloader,
    dataset=dict(
        val_dataloader['dataset'],
        ann_file='annotations/test.json',
        data_prefix=dict(img='test_images/')))
# Shuffled without end, batched by aspect ratio, LVIS-style repeat-factor
# sampling r(c) = max(1, sqrt(0.1 / f(c))) (oversample_thr=0 switches it
# off), images without boxes ("No finding") dropped from training only, as
# in the reference.
train_dataloader = dict(
    batch_size=16,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type='ClassBalancedDataset',
        oversample_thr=0.1,
        dataset=dict(
            val_dataloader['dataset'],
            ann_file='annotations/train.json',
            test_mode=False,
            filter_cfg=dict(filter_empty_gt=True, min_size=1),
            pipeline=train_pipeline)))

# mAP@0.5 (the paper's headline), mAP over IoU 0.20:0.05:0.50 (the
# reference code's "AP") and a per-class AP table; the classes come from the
# dataset's metainfo. Each evaluator reads its dataloader's annotations.
val_evaluator = dict(
    type='SpineXRMetric',
    ann_file=data_root + 'annotations/val.json',
    backend_args=backend_args)
test_evaluator = dict(
    val_evaluator, ann_file=data_root + 'annotations/test.json')
