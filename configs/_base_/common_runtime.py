# Runtime shared by detectors and classifiers; default_runtime.py (the
# detectors') and cls_runtime.py add the metric that picks the best
# checkpoint, on the validation split (never on test).
# mmdet's default runtime, written out: resolving an 'mmdet::' base makes
# mmengine read every model metafile of mmdet (about 2 s per config).
default_scope = 'mmdet'
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))
visualizer = dict(
    type='DetLocalVisualizer',
    vis_backends=[dict(type='LocalVisBackend')],
    name='visualizer')
log_level = 'INFO'
load_from = None
resume = False

# Registers mmspine's datasets, transforms, models and metrics into mmdet's
# registries, and allow-lists mmengine's checkpoint types for torch.load.
custom_imports = dict(imports=['mmspine.modules'], allow_failed_imports=False)

# A child changes a hook by restating it, e.g.
# default_hooks = dict(checkpoint=dict(interval=500)): default_hooks is a
# dict, so children merge into it. config_check stops a run whose config
# sets a name that nothing reads, under any launcher (mmspine.utils.
# check_config; mmspine's tools check when they load a config).
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    param_scheduler=dict(type='ParamSchedulerHook'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='DetVisualizationHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=1000,
        max_keep_ckpts=3,
        save_best=None,
        rule='greater'),
    config_check=dict(type='ConfigCheckHook'))
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=False)
