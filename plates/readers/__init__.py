"""Plate text reader adapters (one per file); each implements plates.base.Reader."""
