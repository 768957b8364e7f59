"""Public data sets turned into files journeylens ingests (events and feedback).

- `journeylens.datasets.olist`: the Olist e-commerce orders, deliveries and reviews.
"""
