# VinDr-SpineXR abnormal vs normal, image-level labels from the VinDr CSVs.
# Layout under data_root:
#   train_images/*.png, test_images/*.png, annotations/{train,test}.csv
#
# The names below are the ones you change, in a child config or with
# --cfg-options NAME=VALUE: mmspine.apis.load_config applies them wherever
# this file uses them (see _hoisted_data_ at the end).
#
# How the PNGs were made from the DICOMs (tools/dataset_converters/
# dicom2png.py --mode, --max-size): tools/infer.py converts DICOMs the same
# way, so the model sees the pixels it was trained on.
preprocess = dict(mode='reference', max_size=None)
dataset_type = 'SpineXRClsDataset'
data_root = 'data/spinexr/'
train_ann_file = 'annotations/train.csv'
train_img_dir = 'train_images/'
test_ann_file = 'annotations/test.csv'
test_img_dir = 'test_images/'

# Reference: 224 x 224 (larger sizes, e.g. 384 or 512, are options).
img_size = 224
train_batch_size = 32
test_batch_size = 32
num_workers = 4
flip_prob = 0.5
# One output per lesion type besides 'abnormal' (set the head's
# num_classes to 14 with it).
multi_label = False
# Bootstrap resamples of the metric's CIs: fewer while validating, the
# reference 10,000 when testing.
val_num_bootstrap = 1000
test_num_bootstrap = 10000

backend_args = None

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='RandomFlip', prob=flip_prob, direction='horizontal'),
    dict(type='PackSpineClsInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='PackSpineClsInputs')
]

train_dataloader = dict(
    batch_size=train_batch_size,
    num_workers=num_workers,
    persistent_workers=num_workers > 0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=train_ann_file,
        data_prefix=dict(img=train_img_dir),
        multi_label=multi_label,
        pipeline=train_pipeline,
        backend_args=backend_args))
# The train loader on the test split, in order, every image once.
val_dataloader = dict(
    train_dataloader,
    batch_size=test_batch_size,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        train_dataloader['dataset'],
        ann_file=test_ann_file,
        data_prefix=dict(img=test_img_dir),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

# AUROC; sensitivity, specificity, precision, F1 at Youden's threshold; 95%
# bootstrap CIs. Predictions (predictions.csv) and the ROC plot (roc.png)
# are saved beside the log, in work_dir/<timestamp>/.
val_evaluator = dict(
    type='SpineXRClsMetric',
    num_bootstrap=val_num_bootstrap,
    save_outputs=False)
test_evaluator = dict(
    type='SpineXRClsMetric', num_bootstrap=test_num_bootstrap)

# Where the names above are used (see mmspine/utils/config.py).
_hoisted_data_ = dict(
    values={
        n: globals()[n]
        for n in ('data_root', 'train_ann_file', 'train_img_dir',
                  'test_ann_file', 'test_img_dir', 'img_size',
                  'train_batch_size', 'test_batch_size', 'num_workers',
                  'flip_prob', 'multi_label', 'val_num_bootstrap',
                  'test_num_bootstrap', 'train_pipeline', 'test_pipeline')
    },
    places='''
        # whole pipelines before the transforms inside them
        train_dataloader.dataset.pipeline: train_pipeline
        {val,test}_dataloader.dataset.pipeline: test_pipeline
        {train,test}_pipeline.[Resize].scale: (img_size, img_size)
        {train,val,test}_dataloader.dataset.pipeline.[Resize].scale:
        (img_size, img_size)
        {train_pipeline,train_dataloader.dataset.pipeline}.[RandomFlip].prob:
        flip_prob
        {train,val,test}_dataloader.dataset.data_root: data_root
        train_dataloader.dataset.ann_file: train_ann_file
        {val,test}_dataloader.dataset.ann_file: test_ann_file
        train_dataloader.dataset.data_prefix.img: train_img_dir
        {val,test}_dataloader.dataset.data_prefix.img: test_img_dir
        {train,val,test}_dataloader.dataset.multi_label: multi_label
        train_dataloader.batch_size: train_batch_size
        {val,test}_dataloader.batch_size: test_batch_size
        {train,val,test}_dataloader.num_workers: num_workers
        {train,val,test}_dataloader.persistent_workers: num_workers > 0
        val_evaluator.num_bootstrap: val_num_bootstrap
        test_evaluator.num_bootstrap: test_num_bootstrap
    ''')
