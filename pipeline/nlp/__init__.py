"""NLP stage: the Italian spaCy pipeline (loading it, our custom components, the shipped model)."""
