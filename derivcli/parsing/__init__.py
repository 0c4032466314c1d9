"""Safe parsing of untrusted expressions and point values into a small immutable tree."""
