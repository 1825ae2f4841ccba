"""Helpers of the input edge (:mod:`pipeline.corpus`).

* :mod:`.errors`   - why a file is not an article (skipped or failed);
* :mod:`.text`     - bytes to clean text: binary sniffing, encoding detection, normalisation;
* :mod:`.html`     - HTML pages to text and metadata;
* :mod:`.language` - language identification of an article body.
"""
