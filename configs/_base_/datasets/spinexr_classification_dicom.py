# VinDr-SpineXR abnormal vs normal read straight from the DICOMs: no PNG
# step. LoadSpineDICOM gives the pixels dicom2png would write (same mode
# and max size). Layout under data_root (VinDr-SpineXR's own):
#   train_images/*.dicom, test_images/*.dicom, annotations/{train,test}.csv
_base_ = './spinexr_classification.py'

data_root = 'data/vindr-spinexr/'
train_img_dir = 'train_images/'
test_img_dir = 'test_images/'
img_suffix = '.dicom'
# dicom2png's --mode and --max-size.
dicom_mode = 'reference'
dicom_max_size = None
# Decoded images kept as .npy between epochs; None decodes every time.
dicom_cache_dir = None

load_dicom = dict(
    type='LoadSpineDICOM',
    mode=dicom_mode,
    max_size=dicom_max_size,
    cache_dir=dicom_cache_dir)
# The PNG base's pipelines with the loader swapped.
train_pipeline = [load_dicom, *_base_.train_pipeline[1:]]
test_pipeline = [load_dicom, *_base_.test_pipeline[1:]]

train_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        data_prefix=dict(img=train_img_dir),
        img_suffix=img_suffix,
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        data_prefix=dict(img=test_img_dir),
        img_suffix=img_suffix,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
