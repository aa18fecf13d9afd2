# VinDr-SpineXR lesion detection read straight from the DICOMs: no PNG step.
# LoadSpineDICOM gives the pixels dicom2png would write (preprocess's mode
# and max size; the COCO JSON sizes must match max_size). The COCO JSONs
# point at the DICOMs, sizes from the metadata CSV:
#   spinexr2coco.py annotations/train.csv annotations/train.json \
#       --meta-csv meta_train.csv --img-suffix .dicom [--max-size N]
# Layout under data_root (VinDr-SpineXR's own):
#   train_images/*.dicom, test_images/*.dicom, annotations/{train,test}.json
# The names below apply wherever they are used when the config is loaded
# with mmspine.apis.load_config (the tools do), as in the PNG base.
_base_ = ['./spinexr_detection.py', './dicom_input.py']

data_root = 'data/vindr-spinexr/'
# The PNG base's pipelines with the loader swapped.
train_pipeline = [_base_.load_dicom, *_base_.train_pipeline[1:]]
test_pipeline = [_base_.load_dicom, *_base_.test_pipeline[1:]]
tta_pipeline = [_base_.load_dicom, *_base_.tta_pipeline[1:]]

# Rebuilt here too, for users of plain Config.fromfile.
train_dataloader = dict(
    dataset=dict(dataset=dict(data_root=data_root, pipeline=train_pipeline)))
val_dataloader = dict(
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + _base_.test_ann_file)
test_evaluator = val_evaluator

# This base rebuilds every place of these names: their snapshot moves here.
_hoisted_data_ = dict(
    values={
        n: globals()[n]
        for n in ('data_root', 'train_pipeline', 'test_pipeline',
                  'tta_pipeline')
    })
# load_dicom was made with the data base's preprocess
_hoisted_dicom_ = dict(
    values=dict(
        preprocess=_base_.preprocess, dicom_cache_dir=_base_.dicom_cache_dir),
    places=_base_.dicom_places)
