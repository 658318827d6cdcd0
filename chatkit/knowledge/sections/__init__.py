"""The knowledge table, one section a file; :mod:`chatkit.knowledge.table` assembles them."""
