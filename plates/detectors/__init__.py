"""Plate detector adapters (one per file); each implements plates.base.Detector."""
