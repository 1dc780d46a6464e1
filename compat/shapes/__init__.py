"""One module per vendor: each turns the one engine result and the one error type (ServiceError) into
that vendor's documented JSON and HTTP status."""
