# The synthetic spine phantom of `make demo` (tools/dataset_converters/
# make_phantom.py) in the detection layout: its PNGs are made with
# --max-size 512 (tools/infer.py converts DICOMs alike), training sees the
# long side at 320. The data base of the phantom detectors (configs/spine/
# phantom/); the names follow spinexr_detection.py and apply wherever it
# uses them (mmspine.apis.load_config).
_base_ = './spinexr_detection.py'

data_root = 'data/phantom/'
preprocess = dict(mode='reference', max_size=512)
train_scales = [(320, 224), (320, 256), (320, 288)]
test_scale = (320, 256)
train_batch_size = 4
num_workers = 2
