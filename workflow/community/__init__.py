"""Creation units (communities), which agency guided which unit in which year,
and the yearly campaign with its dates.
"""
