"""Search backends, one module per engine; `get_backend()` returns the one settings.SEARCH_BACKEND names."""

from django.conf import settings
from django.utils.module_loading import import_string

from search.backends.base import SearchBackend, SearchBackendError

BACKENDS = {
    "embedded": "search.backends.embedded.EmbeddedBackend",
    "elasticsearch": "search.backends.elasticsearch.ElasticsearchBackend",
}
_cache: dict[tuple, SearchBackend] = {}


def _settings_key() -> tuple:
    return (
        settings.SEARCH_BACKEND,
        settings.ELASTICSEARCH_URL,
        settings.ELASTICSEARCH_INDEX,
        settings.ELASTICSEARCH_API_KEY,
        settings.ELASTICSEARCH_VERIFY_CERTS,
        settings.ELASTICSEARCH_NODE_CLASS,
    )


def get_backend() -> SearchBackend:
    """The configured backend (one instance per configuration, so clients and connections are reused)."""
    key = _settings_key()
    if key not in _cache:
        path = BACKENDS.get(settings.SEARCH_BACKEND)
        if path is None:
            raise ValueError(
                f"SEARCH_BACKEND must be one of {sorted(BACKENDS)}, not {settings.SEARCH_BACKEND!r}"
            )
        _cache[key] = import_string(path)()
    return _cache[key]


__all__ = ["SearchBackend", "SearchBackendError", "get_backend"]
