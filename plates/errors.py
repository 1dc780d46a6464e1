"""The engine's error types. Codes are stable: the web layer maps them to HTTP answers."""


class PlatesError(Exception):
    """Base class of every error the engine raises on purpose."""

    code = "engine_error"

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class ImageError(PlatesError):
    """The input is not a usable image. Codes: empty_image, not_an_image, truncated_image,
    image_too_large (pixels), image_too_small, unsupported_format."""

    code = "not_an_image"


class ModelsNotInstalled(PlatesError):
    code = "models_not_installed"


class ModelIntegrityError(PlatesError):
    code = "model_integrity"
