"""The rich error details of a failed tnps call (docs/clients.md).

tnps puts a google.rpc.Status in the `grpc-status-details-bin` trailing
metadata of an error: INVALID_ARGUMENT carries a google.rpc.BadRequest
naming each bad field, RESOURCE_EXHAUSTED over a rate limit a
google.rpc.RetryInfo saying when to retry. Debian packages no grpcio-status,
so this module decodes them with the stubs generated from proto/google/rpc/
(examples/clients/python/generate_stubs.sh).
"""

from dataclasses import dataclass, field
from typing import List, Optional

import grpc
from google.rpc import error_details_pb2, status_pb2

STATUS_DETAILS_KEY = "grpc-status-details-bin"


@dataclass
class FieldViolation:
    # The field's path in the request, e.g. "response.score".
    field: str
    description: str


@dataclass
class ErrorDetails:
    field_violations: List[FieldViolation] = field(default_factory=list)
    # Seconds to wait before retrying, when the server said so.
    retry_delay: Optional[float] = None


def error_details(error: grpc.RpcError) -> ErrorDetails:
    """The BadRequest and RetryInfo details of `error`; empty if it has none."""
    details = ErrorDetails()
    trailers = error.trailing_metadata() if hasattr(error, "trailing_metadata") else None
    for key, value in trailers or ():
        if key != STATUS_DETAILS_KEY:
            continue
        status = status_pb2.Status.FromString(value)
        for detail in status.details:
            bad_request = error_details_pb2.BadRequest()
            retry_info = error_details_pb2.RetryInfo()
            if detail.Unpack(bad_request):
                details.field_violations.extend(
                    FieldViolation(v.field, v.description) for v in bad_request.field_violations)
            elif detail.Unpack(retry_info):
                details.retry_delay = retry_info.retry_delay.ToTimedelta().total_seconds()
    return details
