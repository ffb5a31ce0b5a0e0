"""The agency lifecycle: the states, the declared machine, its guards, the engine
that fires it (the only way a status changes) and the hash-chained audit log.
"""
