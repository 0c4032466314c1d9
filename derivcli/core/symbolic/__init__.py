"""The symbolic side: SymPy expressions, derivatives, display forms, exact values, special points."""
