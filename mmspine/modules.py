"""What configs import: ``custom_imports=dict(imports=['mmspine.modules'])``.

Importing it registers every mmspine module into mmdet's registries and
allow-lists mmengine's checkpoint types for ``weights_only`` loading. It is
the one mmspine module with import side effects; the rest of the package
(DICOM and annotation tools included) imports without torch or mmdet.
"""
from .utils.setup_env import register_all_modules

register_all_modules(init_default_scope=False)
