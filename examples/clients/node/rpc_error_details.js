// The rich error details of a failed tnps call (docs/clients.md).
//
// tnps puts a google.rpc.Status in the `grpc-status-details-bin` trailing
// metadata of an error: INVALID_ARGUMENT carries a google.rpc.BadRequest
// naming each bad field, RESOURCE_EXHAUSTED over a rate limit a
// google.rpc.RetryInfo saying when to retry. This module decodes them with
// protobufjs (which @grpc/proto-loader uses too) from the repository's
// proto/google/rpc/ files.
'use strict';
const path = require('path');
const protobuf = require('protobufjs');

const PROTO_DIR = path.join(__dirname, '..', '..', '..', 'proto');
const STATUS_DETAILS_KEY = 'grpc-status-details-bin';

const root = new protobuf.Root();
// Imports resolve in proto/; google/protobuf/any.proto and duration.proto
// come with protobufjs.
root.resolvePath = (origin, target) => path.join(PROTO_DIR, target);
// Field names as in the .proto files (type_url, field_violations).
root.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto'], {keepCase: true});
const Status = root.lookupType('google.rpc.Status');
const BadRequest = root.lookupType('google.rpc.BadRequest');
const RetryInfo = root.lookupType('google.rpc.RetryInfo');

// The BadRequest and RetryInfo details of a grpc-js `error`:
// {fieldViolations: [{field, description}], retryDelay: seconds or null}.
function errorDetails(error) {
  const details = {fieldViolations: [], retryDelay: null};
  const values = error && error.metadata ? error.metadata.get(STATUS_DETAILS_KEY) : [];
  for (const value of values) {
    const status = Status.decode(value);
    for (const any of status.details) {
      const typeName = any.type_url.slice(any.type_url.lastIndexOf('/') + 1);
      if (typeName === 'google.rpc.BadRequest') {
        const badRequest = BadRequest.toObject(BadRequest.decode(any.value), {defaults: true});
        for (const v of badRequest.field_violations) {
          details.fieldViolations.push({field: v.field, description: v.description});
        }
      } else if (typeName === 'google.rpc.RetryInfo') {
        const retryInfo =
            RetryInfo.toObject(RetryInfo.decode(any.value), {longs: Number, defaults: true});
        const delay = retryInfo.retry_delay || {seconds: 0, nanos: 0};
        details.retryDelay = delay.seconds + delay.nanos / 1e9;
      }
    }
  }
  return details;
}

module.exports = {errorDetails, STATUS_DETAILS_KEY};
