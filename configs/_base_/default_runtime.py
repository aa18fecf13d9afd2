_base_ = 'mmdet::_base_/default_runtime.py'

# Registers mmspine's datasets, transforms, models and metrics into mmdet's
# registries, and allow-lists mmengine's checkpoint types for torch.load.
custom_imports = dict(imports=['mmspine.modules'], allow_failed_imports=False)

log_interval = 50
checkpoint_interval = 1000
max_keep_ckpts = 3

default_hooks = dict(
    # iteration-based: validation metrics are logged against the iteration
    logger=dict(
        type='LoggerHook', interval=log_interval, log_metric_by_epoch=False),
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=checkpoint_interval,
        max_keep_ckpts=max_keep_ckpts,
        save_best='spinexr/bbox_mAP_50',
        rule='greater'))
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=False)
