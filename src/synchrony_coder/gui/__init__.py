"""The PyQt6 coding app: the only package of synchrony-coder that imports Qt.

Widgets observe a :class:`~synchrony_coder.gui.document.Document` (a Qt wrapper around the plain
:class:`~synchrony_coder.session.CodingSession`) and send it commands; every edit is a
``QUndoCommand`` built from a pure operation of :mod:`synchrony_coder.session.edits`.
"""
