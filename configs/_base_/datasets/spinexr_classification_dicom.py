# VinDr-SpineXR abnormal vs normal read straight from the DICOMs: no PNG
# step. LoadSpineDICOM gives the pixels dicom2png would write (preprocess's
# mode and max size). Layout under data_root (VinDr-SpineXR's own):
#   train_images/*.dicom, test_images/*.dicom, annotations/{train,test}.csv
# The names below apply wherever they are used when the config is loaded
# with mmspine.apis.load_config (the tools do), as in the PNG base.
_base_ = ['./spinexr_classification.py', './dicom_input.py']

data_root = 'data/vindr-spinexr/'
img_suffix = '.dicom'
# The PNG base's pipelines with the loader swapped, in loaders rebuilt here
# for users of plain Config.fromfile too.
train_pipeline = [_base_.load_dicom, *_base_.train_pipeline[1:]]
test_pipeline = [_base_.load_dicom, *_base_.test_pipeline[1:]]
train_dataloader = dict(
    dataset=dict(
        data_root=data_root, img_suffix=img_suffix, pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root, img_suffix=img_suffix, pipeline=test_pipeline))
test_dataloader = val_dataloader

# This base rebuilds every place of these names: their snapshot moves here.
_hoisted_data_ = dict(values={
    n: globals()[n]
    for n in ('data_root', 'train_pipeline', 'test_pipeline')
})
_hoisted_suffix_ = dict(
    values=dict(img_suffix=img_suffix),
    places={'{train,val,test}_dataloader.dataset.img_suffix': 'img_suffix'})
# load_dicom was made with the data base's preprocess
_hoisted_dicom_ = dict(
    values=dict(
        preprocess=_base_.preprocess, dicom_cache_dir=_base_.dicom_cache_dir),
    places=_base_.dicom_places)
