"""deriv steps: the derivation rule by rule, and both witnesses at every step."""
