"""One module per vendor: each turns the one recognition (dam.services.ImageRecognition around the engine's
typed plates.base.Recognition) and the one error type (ServiceError) into that vendor's documented JSON and
HTTP status. Vendor dicts are built here and nowhere else."""
