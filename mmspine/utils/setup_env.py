def register_all_modules(init_default_scope: bool = True) -> None:
    """Register mmdet's and mmspine's modules into mmdet's registries.

    Also allow-lists the types that mmengine writes into its checkpoints,
    so that ``--resume`` and ``load_from`` work under torch's
    ``weights_only`` loading (see :mod:`mmspine.utils.checkpoint`).

    Args:
        init_default_scope (bool): Make 'mmdet' the default scope, as
            mmdet's own ``register_all_modules`` does. Defaults to True.
    """
    from mmdet.utils import register_all_modules as register_mmdet

    import mmspine.datasets  # noqa: F401
    import mmspine.datasets.transforms  # noqa: F401
    import mmspine.engine  # noqa: F401
    import mmspine.evaluation.metrics  # noqa: F401
    import mmspine.models  # noqa: F401
    from .checkpoint import allow_mmengine_checkpoint_types

    register_mmdet(init_default_scope=init_default_scope)
    allow_mmengine_checkpoint_types()
