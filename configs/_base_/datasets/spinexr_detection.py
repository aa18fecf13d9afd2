# VinDr-SpineXR lesion detection, after preprocessing to PNG + COCO JSON
# (tools/dataset_converters). Layout under data_root:
#   train_images/*.png, test_images/*.png, annotations/{train,test}.json
#
# The names below are the ones you change, in a child config or with
# --cfg-options NAME=VALUE: mmspine.apis.load_config applies them wherever
# this file uses them (see _hoisted_data_ at the end), or says which key
# contradicts them.
#
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
# Classes in label order, as named in the COCO JSON's categories. A child
# that sets its own gets them in the datasets, the heads' num_classes, the
# metric and the drawn colours (a palette is made when none fits).
metainfo = dict(
    classes=('Osteophytes', 'Surgical implant', 'Spondylolysthesis',
             'Foraminal stenosis', 'Disc space narrowing',
             'Vertebral collapse', 'Other lesions'),
    palette=[(230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200),
             (245, 130, 48), (145, 30, 180), (70, 240, 240)])

train_batch_size = 16
test_batch_size = 1
num_workers = 4
# Reference input size: shorter side sampled from 640:32:800, longer side
# at most 1333; test at shorter side 800. train_scales and test_scale follow
# these, or may be set themselves.
train_short_edges = (640, 672, 704, 736, 768, 800)
max_long_edge = 1333
test_short_edge = 800
train_scales = [(max_long_edge, s) for s in train_short_edges]
test_scale = (max_long_edge, test_short_edge)
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
    dict(type='Resize', scale=test_scale, keep_ratio=True),
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
    *(dict(t) for t in test_pipeline[:-1]),
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

val_dataloader = dict(
    batch_size=test_batch_size,
    num_workers=num_workers,
    persistent_workers=num_workers > 0,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        ann_file=test_ann_file,
        data_prefix=dict(img=test_img_dir),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader
# The test split's loader on the train split, shuffled without end, batched
# by aspect ratio, repeat-factor sampled, images without boxes dropped.
train_dataloader = dict(
    val_dataloader,
    batch_size=train_batch_size,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type='ClassBalancedDataset',
        oversample_thr=repeat_factor_thr,
        dataset=dict(
            val_dataloader['dataset'],
            ann_file=train_ann_file,
            data_prefix=dict(img=train_img_dir),
            test_mode=False,
            filter_cfg=dict(filter_empty_gt=filter_empty_train, min_size=1),
            pipeline=train_pipeline)))

# mAP@0.5 (the paper's headline), mAP over IoU 0.20:0.05:0.50 (the
# reference code's "AP") and a per-class AP table; the classes come from the
# dataset's metainfo.
val_evaluator = dict(
    type='SpineXRMetric',
    ann_file=data_root + test_ann_file,
    backend_args=backend_args)
test_evaluator = val_evaluator

# Where the names above are used, for mmspine.apis.load_config (see
# mmspine/utils/config.py): path -> expression, checked in this order.
# ** stands for any depth (dataset wrappers), [Type] for the transforms of
# that type in a pipeline.
_hoisted_data_ = dict(
    values={
        n: globals()[n]
        for n in ('data_root', 'train_ann_file', 'train_img_dir',
                  'test_ann_file', 'test_img_dir', 'metainfo',
                  'train_batch_size', 'test_batch_size', 'num_workers',
                  'train_short_edges', 'max_long_edge', 'test_short_edge',
                  'train_scales', 'test_scale', 'repeat_factor_thr',
                  'filter_empty_train', 'train_pipeline', 'test_pipeline',
                  'tta_pipeline')
    },
    places='''
        train_scales: [(max_long_edge, s) for s in train_short_edges]
        test_scale: (max_long_edge, test_short_edge)
        # whole pipelines before the scales inside them
        train_dataloader.dataset.**.pipeline: train_pipeline
        {val,test}_dataloader.dataset.**.pipeline: test_pipeline
        train_pipeline.[RandomChoiceResize].scales: train_scales
        train_dataloader.dataset.**.pipeline.[RandomChoiceResize].scales:
        train_scales
        {test,tta}_pipeline.[Resize].scale: test_scale
        {val,test}_dataloader.dataset.**.pipeline.[Resize].scale: test_scale
        {train,val,test}_dataloader.dataset.**.data_root: data_root
        train_dataloader.dataset.**.ann_file: train_ann_file
        {val,test}_dataloader.dataset.**.ann_file: test_ann_file
        train_dataloader.dataset.**.data_prefix.img: train_img_dir
        {val,test}_dataloader.dataset.**.data_prefix.img: test_img_dir
        {val,test}_evaluator.**.ann_file: join(data_root, test_ann_file)
        {train,val,test}_dataloader.dataset.**.metainfo:
        dict(metainfo, palette=palette(metainfo))
        # every head, stage lists included
        model.**.num_classes: len(metainfo['classes'])
        train_dataloader.dataset.**.filter_cfg.filter_empty_gt:
        filter_empty_train
        train_dataloader.dataset.oversample_thr: repeat_factor_thr
        train_dataloader.batch_size: train_batch_size
        {val,test}_dataloader.batch_size: test_batch_size
        {train,val,test}_dataloader.num_workers: num_workers
        {train,val,test}_dataloader.persistent_workers: num_workers > 0
    ''')
