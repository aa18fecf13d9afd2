# VinDr-SpineXR lesion detection read straight from the DICOMs: no PNG step.
# LoadSpineDICOM gives the pixels dicom2png would write with preprocess's
# mode and max_size (the COCO JSON sizes must match max_size). The COCO
# JSONs point at the DICOMs, sizes from the metadata CSV:
#   spinexr2coco.py annotations/train.csv annotations/train.json \
#       --meta-csv meta_train.csv --img-suffix .dicom [--max-size N]
# Layout under data_root (VinDr-SpineXR's own):
#   train_images/*.dicom, test_images/*.dicom,
#   annotations/{train,val,test}.json
# The PNG base's pipelines with the loader swapped, restated in every
# dataloader. cache_dir keeps decoded images as .npy between epochs (JPEG
# 2000 decodes slowly); None decodes every time.
_base_ = './spinexr_detection.py'

data_root = 'data/vindr-spinexr/'
preprocess = dict(mode='reference', max_size=None)
train_pipeline = [
    dict(
        type='LoadSpineDICOM', mode='reference', max_size=None,
        cache_dir=None), *_base_.train_pipeline[1:]
]
test_pipeline = [
    dict(
        type='LoadSpineDICOM', mode='reference', max_size=None,
        cache_dir=None), *_base_.test_pipeline[1:]
]
tta_pipeline = [*test_pipeline[:-1], _base_.tta_pipeline[-1]]

train_dataloader = dict(
    dataset=dict(dataset=dict(data_root=data_root, pipeline=train_pipeline)))
val_dataloader = dict(
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = dict(
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
val_evaluator = dict(ann_file=data_root + 'annotations/val.json')
test_evaluator = dict(ann_file=data_root + 'annotations/test.json')
