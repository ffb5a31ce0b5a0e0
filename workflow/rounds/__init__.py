"""Application rounds (Art. 10): the read-only ranking that guards consult, the
scores and membership service, and closing a round with its publication list.
"""
