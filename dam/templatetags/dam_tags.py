"""Template helpers of the DAM pages."""

import json

from django import template

from dam.models import Asset

register = template.Library()


@register.simple_tag
def readings_json(asset: Asset) -> str:
    """The asset's non-rejected readings as JSON for assets.js to draw (autoescaped into an attribute)."""
    return json.dumps(
        [
            {"polygon": r.polygon, "box": r.box, "review_status": r.review_status}
            for r in asset.readings.all()
            if r.review_status != r.Review.REJECTED
        ]
    )
