"""The JSON contract: every document deriv prints, built from report objects in this package alone.

Documents are strict JSON: non-finite numbers become the strings ``"nan"``,
``"inf"`` and ``"-inf"``, never the ``NaN``/``Infinity`` literals that strict
parsers refuse; non-ASCII characters are escaped, so any stdout encoding works.
"""
