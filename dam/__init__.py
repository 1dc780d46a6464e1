"""Digital asset management: uploaded images as assets, their plate readings and human review."""
