"""platelens recognition engine: plate detector + OCR reader + post-processing. Knows nothing of Django."""

__version__ = "0.4.3"
