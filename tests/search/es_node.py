"""Test-only transport node for the osmem-server peer: plain `application/json` instead of the official
client's `application/vnd.elasticsearch+json; compatible-with=N` (osmem answers that with 406). Tests point
settings.ELASTICSEARCH_NODE_CLASS here; the product talks to a real Elasticsearch with the stock node."""

from elastic_transport import Urllib3HttpNode

VENDOR_JSON = "application/vnd.elasticsearch+"


class PlainJsonNode(Urllib3HttpNode):
    def perform_request(self, method, target, body=None, headers=None, **kwargs):
        if headers is not None:
            headers = headers.copy()
            for name in ("content-type", "accept"):
                if name in headers and headers[name].startswith(VENDOR_JSON):
                    headers[name] = (
                        "application/x-ndjson" if "x-ndjson" in headers[name] else "application/json"
                    )
        return super().perform_request(method, target, body=body, headers=headers, **kwargs)
