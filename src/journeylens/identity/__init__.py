"""Identity stitching: identifiers that co-occur resolve to one customer."""

from journeylens.identity.stitch import StitchResult, resolve, stitch

__all__ = ["StitchResult", "resolve", "stitch"]
