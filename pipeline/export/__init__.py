"""Export stage: writes the knowledge graph as RDF files and graph files for visualisation tools."""
