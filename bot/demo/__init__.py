"""The offline demo: a whole year through the real handlers against the offline
Bot API, with no network and no token.
"""
