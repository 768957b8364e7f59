"""Voice of the customer: feedback linked to journeys, text, scores and root causes.

One module per analysis, like `journeylens.analytics`: a typed query, a typed result with
``to_frame()`` and ``figure()``, computed on the workspace's engine; Python only on reduced data
(model training on verbatims, regression on one row per surveyed journey).
"""
