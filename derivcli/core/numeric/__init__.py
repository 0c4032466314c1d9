"""The autograd side: torch translations, autograd, finite differences, grids, graphs and checks."""
