"""政策沙盘 (``policymatch preview``): a proposed policy set against the one in force, in memory.

:mod:`.sources` finds the two policy sets and the schema they share, :mod:`.compare` runs both
drafts on one registry read and computes the differences, :mod:`.terminal`, :mod:`.files` and
:mod:`.page` present them (docs/preview.md).
"""
