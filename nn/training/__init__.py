"""Training: the loop and what it uses, in Keras' words.

``fit.py`` (``fit``: the loop, around one step callable), ``predict.py`` (``predict``,
``evaluate``, and the forward pass over batches that ``fit`` shares), ``data.py`` (batches and
splits),
``history.py`` (``History``: the figures per epoch), ``callbacks.py`` (``Callback``,
``EarlyStopping``, the progress bar) and ``search.py`` (``grid_search``, ``random_search``,
``SearchResult``). Everything is exported from ``nn``; this file imports nothing, so that
``nn.plots`` can use ``callbacks`` and ``predict`` while ``History.plot`` uses ``nn.plots``.
"""
