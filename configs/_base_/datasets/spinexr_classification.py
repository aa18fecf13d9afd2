# VinDr-SpineXR abnormal vs normal, image-level labels from VinDr-format
# CSVs. Layout under data_root:
#   train_images/*.png, test_images/*.png,
#   annotations/cls_train.csv, cls_val.csv, test.csv
# cls_train.csv and cls_val.csv are the train CSV's rows split by
# spinexr2coco.py (by study, stratified by class; --val-fraction), as its
# train.json and val.json: the best checkpoint is chosen on cls_val.csv;
# only tools/test.py reads the test split.
#
# A child changes a dataloader by restating it (train_dataloader =
# dict(batch_size=8)) or with --cfg-options; --data-root DIR points every
# dataset at another folder.
dataset_type = 'SpineXRClsDataset'
data_root = 'data/spinexr/'
backend_args = None
# How the PNGs were made from the DICOMs (tools/dataset_converters/
# dicom2png.py --mode, --max-size): tools/infer.py converts DICOMs the same
# way, so the model sees the pixels it was trained on.
preprocess = dict(mode='reference', max_size=None)

# Reference: 224 x 224 (larger sizes, e.g. 384 or 512, are options).
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackSpineClsInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='PackSpineClsInputs')
]

# multi_label=True gives one output per lesion type besides 'abnormal' (set
# the head's num_classes to 14 with it).
val_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/cls_val.csv',
        data_prefix=dict(img='train_images/'),
        multi_label=False,
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = dict(
    val_dataloader,
    dataset=dict(
        val_dataloader['dataset'],
        ann_file='annotations/test.csv',
        data_prefix=dict(img='test_images/')))
train_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        val_dataloader['dataset'],
        ann_file='annotations/cls_train.csv',
        test_mode=False,
        pipeline=train_pipeline))

# AUROC; sensitivity, specificity, precision, F1 at Youden's threshold; 95%
# bootstrap CIs (1,000 resamples while validating, the reference's 10,000
# when testing). Test predictions (predictions.csv) and the ROC plot
# (roc.png) are saved beside the log, in work_dir/<timestamp>/.
val_evaluator = dict(
    type='SpineXRClsMetric', num_bootstrap=1000, save_outputs=False)
test_evaluator = dict(type='SpineXRClsMetric', num_bootstrap=10000)
