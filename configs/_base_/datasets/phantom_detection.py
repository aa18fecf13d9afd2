# The synthetic spine phantom of `make demo` (tools/dataset_converters/
# make_phantom.py) in the detection layout: its PNGs are made with
# --max-size 512 (tools/infer.py converts DICOMs alike), training sees the
# long side at 320. The data base of the phantom detectors (configs/spine/
# phantom/): spinexr_detection.py with these sizes, restated in every
# dataloader and evaluator.
_base_ = './spinexr_detection.py'

data_root = 'data/phantom/'
preprocess = dict(mode='reference', max_size=512)
train_pipeline = [
    *_base_.train_pipeline[:2],
    dict(
        type='RandomChoiceResize',
        scales=[(320, 224), (320, 256), (320, 288)],
        keep_ratio=True), *_base_.train_pipeline[3:]
]
test_pipeline = [
    _base_.test_pipeline[0],
    dict(type='Resize', scale=(320, 256), keep_ratio=True),
    *_base_.test_pipeline[2:]
]
tta_pipeline = [*test_pipeline[:-1], _base_.tta_pipeline[-1]]

train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    dataset=dict(dataset=dict(data_root=data_root, pipeline=train_pipeline)))
val_dataloader = dict(
    num_workers=2, dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = dict(
    num_workers=2, dataset=dict(data_root=data_root, pipeline=test_pipeline))
val_evaluator = dict(ann_file=data_root + 'annotations/val.json')
test_evaluator = dict(ann_file=data_root + 'annotations/test.json')
