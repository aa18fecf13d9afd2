# VinDr-SpineXR lesion detection read straight from the DICOMs: no PNG step.
# LoadSpineDICOM gives the pixels dicom2png would write (same mode and max
# size). The COCO JSONs point at the DICOMs, sizes from the metadata CSV:
#   spinexr2coco.py annotations/train.csv annotations/train.json \
#       --meta-csv meta_train.csv --img-suffix .dicom [--max-size N]
# Layout under data_root (VinDr-SpineXR's own):
#   train_images/*.dicom, test_images/*.dicom, annotations/{train,test}.json
_base_ = './spinexr_detection.py'

data_root = 'data/vindr-spinexr/'
train_ann_file = 'annotations/train.json'
train_img_dir = 'train_images/'
test_ann_file = 'annotations/test.json'
test_img_dir = 'test_images/'
# dicom2png's --mode and --max-size; the COCO JSON sizes must match.
dicom_mode = 'reference'
dicom_max_size = None
# Decoded images kept as .npy between epochs (JPEG 2000 decodes slowly);
# None decodes every time.
dicom_cache_dir = None

load_dicom = dict(
    type='LoadSpineDICOM',
    mode=dicom_mode,
    max_size=dicom_max_size,
    cache_dir=dicom_cache_dir)
# The PNG base's pipelines with the loader swapped.
train_pipeline = [load_dicom, *_base_.train_pipeline[1:]]
test_pipeline = [load_dicom, *_base_.test_pipeline[1:]]
tta_pipeline = [load_dicom, *_base_.tta_pipeline[1:]]

train_dataloader = dict(
    dataset=dict(
        dataset=dict(
            data_root=data_root,
            ann_file=train_ann_file,
            data_prefix=dict(img=train_img_dir),
            pipeline=train_pipeline)))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        ann_file=test_ann_file,
        data_prefix=dict(img=test_img_dir),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + test_ann_file)
test_evaluator = val_evaluator
