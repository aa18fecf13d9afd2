from .spinexr import SpineXRDataset
from .spinexr_cls import SpineXRClsDataset
# The transforms package __init__ belongs to the data pipeline; the
# classification packer registers from here.
from .transforms.pack_cls_inputs import PackSpineClsInputs

__all__ = ['PackSpineClsInputs', 'SpineXRClsDataset', 'SpineXRDataset']
