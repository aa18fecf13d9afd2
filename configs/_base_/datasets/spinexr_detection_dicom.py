# VinDr-SpineXR lesion detection read straight from the DICOMs: no PNG step.
# LoadSpineDICOM gives the pixels dicom2png would write (same mode and max
# size). The COCO JSONs point at the DICOMs, sizes from the metadata CSV:
#   spinexr2coco.py annotations/train.csv annotations/train.json \
#       --meta-csv meta_train.csv --img-suffix .dicom [--max-size N]
# Layout under data_root (VinDr-SpineXR's own):
#   train_images/*.dicom, test_images/*.dicom, annotations/{train,test}.json
# The names below apply wherever they are used when the config is loaded
# with mmspine.apis.load_config (the tools do), as in the PNG base.
_base_ = './spinexr_detection.py'

data_root = 'data/vindr-spinexr/'
# dicom2png's --mode and --max-size (tools/infer.py reads the same); the
# COCO JSON sizes must match max_size.
preprocess = dict(mode='reference', max_size=None)
# Decoded images kept as .npy between epochs (JPEG 2000 decodes slowly);
# None decodes every time.
dicom_cache_dir = None

load_dicom = dict(
    type='LoadSpineDICOM',
    mode=preprocess['mode'],
    max_size=preprocess['max_size'],
    cache_dir=dicom_cache_dir)
# The PNG base's pipelines with the loader swapped.
train_pipeline = [load_dicom, *_base_.train_pipeline[1:]]
test_pipeline = [load_dicom, *_base_.test_pipeline[1:]]
tta_pipeline = [load_dicom, *_base_.tta_pipeline[1:]]

train_dataloader = dict(
    dataset=dict(
        dataset=dict(data_root=data_root, pipeline=train_pipeline)))
val_dataloader = dict(
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + _base_.test_ann_file)
test_evaluator = val_evaluator

# This base rebuilds every place of these names: their snapshot moves here.
_hoisted_data_ = dict(
    values=dict(
        data_root=data_root,
        train_pipeline=train_pipeline,
        test_pipeline=test_pipeline,
        tta_pipeline=tta_pipeline))
_hoisted_dicom_ = dict(
    values=dict(preprocess=preprocess, dicom_cache_dir=dicom_cache_dir),
    places={
        f'{where}.[LoadSpineDICOM].{arg}': expr
        for where in ('{train,test,tta}_pipeline',
                      '{train,val,test}_dataloader.dataset.**.pipeline')
        for arg, expr in (('mode', "preprocess['mode']"),
                          ('max_size', "preprocess['max_size']"),
                          ('cache_dir', 'dicom_cache_dir'))
    })
