"""Built reference data of crossmap (see README.md); shipped as the package ``crossmap_data``."""
