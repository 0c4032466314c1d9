"""Floating-point error in bits: the exact reference, the culprit operation, and rewrites that help."""
