# Runtime shared by detectors and classifiers; default_runtime.py (the
# detectors') and cls_runtime.py add the metric that picks the best
# checkpoint.
# mmdet's default runtime, written out: resolving an 'mmdet::' base makes
# mmengine read every model metafile of mmdet (about 2 s per config).
default_scope = 'mmdet'
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='DetLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_level = 'INFO'
load_from = None
resume = False

# Registers mmspine's datasets, transforms, models and metrics into mmdet's
# registries, and allow-lists mmengine's checkpoint types for torch.load.
custom_imports = dict(imports=['mmspine.modules'], allow_failed_imports=False)

log_interval = 50
checkpoint_interval = 1000
max_keep_ckpts = 3
# Metric key to keep the best checkpoint by (None: keep none).
save_best = None

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    param_scheduler=dict(type='ParamSchedulerHook'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='DetVisualizationHook'),
    # iteration-based: validation metrics are logged against the iteration
    logger=dict(
        type='LoggerHook', interval=log_interval, log_metric_by_epoch=False),
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=checkpoint_interval,
        max_keep_ckpts=max_keep_ckpts,
        save_best=save_best,
        rule='greater'))
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=False)

# Where the names above are used (see mmspine/utils/config.py).
_hoisted_runtime_ = dict(
    values={
        n: globals()[n]
        for n in ('log_interval', 'checkpoint_interval', 'max_keep_ckpts',
                  'save_best')
    },
    places='''
        default_hooks.logger.interval: log_interval
        default_hooks.checkpoint.interval: checkpoint_interval
        default_hooks.checkpoint.max_keep_ckpts: max_keep_ckpts
        default_hooks.checkpoint.save_best: save_best
    ''')
