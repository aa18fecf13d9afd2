# VinDr-SpineXR abnormal vs normal read straight from the DICOMs: no PNG
# step. LoadSpineDICOM gives the pixels dicom2png would write (same mode
# and max size). Layout under data_root (VinDr-SpineXR's own):
#   train_images/*.dicom, test_images/*.dicom, annotations/{train,test}.csv
# The names below apply wherever they are used when the config is loaded
# with mmspine.apis.load_config (the tools do), as in the PNG base.
_base_ = './spinexr_classification.py'

data_root = 'data/vindr-spinexr/'
img_suffix = '.dicom'
# dicom2png's --mode and --max-size (tools/infer.py reads the same).
preprocess = dict(mode='reference', max_size=None)
# Decoded images kept as .npy between epochs; None decodes every time.
dicom_cache_dir = None

load_dicom = dict(
    type='LoadSpineDICOM',
    mode=preprocess['mode'],
    max_size=preprocess['max_size'],
    cache_dir=dicom_cache_dir)
# The PNG base's pipelines with the loader swapped.
train_pipeline = [load_dicom, *_base_.train_pipeline[1:]]
test_pipeline = [load_dicom, *_base_.test_pipeline[1:]]

train_dataloader = dict(
    dataset=dict(
        data_root=data_root, img_suffix=img_suffix,
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root, img_suffix=img_suffix, pipeline=test_pipeline))
test_dataloader = val_dataloader

# This base rebuilds every place of these names: their snapshot moves here.
_hoisted_data_ = dict(
    values=dict(
        data_root=data_root,
        train_pipeline=train_pipeline,
        test_pipeline=test_pipeline))
_hoisted_dicom_ = dict(
    values=dict(
        preprocess=preprocess,
        dicom_cache_dir=dicom_cache_dir,
        img_suffix=img_suffix),
    places={
        '{train,val,test}_dataloader.dataset.img_suffix': 'img_suffix',
        **{
            f'{where}.[LoadSpineDICOM].{arg}': expr
            for where in ('{train,test}_pipeline',
                          '{train,val,test}_dataloader.dataset.pipeline')
            for arg, expr in (('mode', "preprocess['mode']"),
                              ('max_size', "preprocess['max_size']"),
                              ('cache_dir', 'dicom_cache_dir'))
        }
    })
