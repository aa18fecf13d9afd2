from .spine_lesion_classifier import SpineLesionClassifier

__all__ = ['SpineLesionClassifier']
