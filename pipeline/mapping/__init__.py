"""Mapping stage: mentions -> entities with identity, relations per competency question, RDF."""
