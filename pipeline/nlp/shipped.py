"""NLP stage, without spaCy: the name and the location of the model shipped in the package.

Shared by the loader, the run manifest (which stamps the model without importing spaCy, so that
an unchanged re-run never loads it) and the Dask driver.

>>> SHIPPED, SHIPPED_MODEL_PATH.name
('shipped', 'model')
"""

from pathlib import Path

#: The name that asks for the shipped model (``--model shipped``, the default).
SHIPPED = "shipped"
#: Where the shipped model is.
SHIPPED_MODEL_PATH = Path(__file__).resolve().parent / "model"
