"""chainrule's neural-network library, for both engines."""

from .module import Module
from .scalar import MLP, Layer, Neuron

__all__ = ["MLP", "Layer", "Module", "Neuron"]
