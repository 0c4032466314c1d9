"""deriv: derivatives computed twice, symbolically (SymPy) and by autograd (PyTorch)."""

__version__ = "0.1.0"
