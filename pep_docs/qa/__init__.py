"""Quality assurance of PEPs: the checks a Virtual School makes by hand, made by the machine.

`check.check_document` gives the rating an authority's own published criteria would give, with the
evidence for each criterion, so a person only confirms it. The criteria are data in each
authority profile (`qa.criteria`); the few kinds of rule they use are the functions in `rules.py`.
"""
