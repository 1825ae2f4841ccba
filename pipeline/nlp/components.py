"""NLP stage: registers aerokg's custom spaCy components by importing their modules."""

from pipeline.nlp import (
    entity_edges,  # noqa: F401  (registers "aerokg_entity_edges")
    gazetteer_embed,  # noqa: F401  (registers "aerokg.GazetteerMultiHashEmbed.v1")
    quantities,  # noqa: F401  (registers "aerokg_quantities")
    rulers,  # noqa: F401  (registers "aerokg_entity_ruler")
    sentences,  # noqa: F401  (registers "aerokg_sentence_quotes")
)
