"""The intake pipeline both intake services run (manifest lines, pre-notifications): each input
checked on its own, the accepted ones stored in one batch, every refused one kept with its
reasons. `model` holds its pure parts, `pipeline` runs them over a store (`store`: what it asks
of one; `postgres`: over PostgreSQL)."""
