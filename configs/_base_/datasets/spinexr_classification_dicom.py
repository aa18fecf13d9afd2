# VinDr-SpineXR abnormal vs normal read straight from the DICOMs: no PNG
# step. LoadSpineDICOM gives the pixels dicom2png would write with
# preprocess's mode and max_size. Layout under data_root (VinDr-SpineXR's
# own): train_images/*.dicom, test_images/*.dicom, and the CSVs of
# spinexr_classification.py. The PNG base's pipelines with the loader
# swapped, restated in every dataloader; cache_dir keeps decoded images as
# .npy between epochs (None decodes every time).
_base_ = './spinexr_classification.py'

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
train_dataloader = dict(
    dataset=dict(
        data_root=data_root, img_suffix='.dicom', pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root, img_suffix='.dicom', pipeline=test_pipeline))
test_dataloader = dict(
    dataset=dict(
        data_root=data_root, img_suffix='.dicom', pipeline=test_pipeline))
