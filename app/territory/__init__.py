"""The territory: the commune gazetteer, commune look-up and distances."""
