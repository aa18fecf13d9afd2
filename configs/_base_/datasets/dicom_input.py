# A part of the *_dicom data bases: images read straight from the DICOMs by
# LoadSpineDICOM, which gives the pixels dicom2png would write with the data
# base's preprocess (mode, max_size). Its arguments follow preprocess and
# dicom_cache_dir in every pipeline that uses it: the places below, which
# the data bases' _hoisted_dicom_ record (mmspine.apis.load_config).
# Decoded images kept as .npy between epochs (JPEG 2000 decodes slowly);
# None decodes every time.
dicom_cache_dir = None
load_dicom = dict(
    type='LoadSpineDICOM',
    mode='reference',
    max_size=None,
    cache_dir=dicom_cache_dir)

dicom_places = {
    f'{where}.[LoadSpineDICOM].{arg}': expr
    for where in ('{train,test,tta}_pipeline',
                  '{train,val,test}_dataloader.dataset.**.pipeline')
    for arg, expr in (('mode', "preprocess['mode']"),
                      ('max_size', "preprocess['max_size']"),
                      ('cache_dir', 'dicom_cache_dir'))
}
