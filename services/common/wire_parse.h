// Parsing request bytes into protobuf messages with an answer a client can
// act on: proto3 refuses a message whose string field holds invalid UTF-8,
// and gRPC's own parsing would report that as INTERNAL without naming the
// field. Services that take raw bytes parse them here instead.
#ifndef TNPS_SERVICES_COMMON_WIRE_PARSE_H_
#define TNPS_SERVICES_COMMON_WIRE_PARSE_H_

#include <google/protobuf/message.h>
#include <grpcpp/support/byte_buffer.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "core/field_violation.h"

namespace tnps::services {

// Parses `bytes` into `message` (cleared first). On failure returns why: a
// violation naming the field that holds invalid UTF-8 (path relative to
// `message`, e.g. "comment" or "responses[2].comment"), or, for bytes that
// are no valid encoding of the message, a violation of field "".
std::optional<core::FieldViolation> ParseMessage(absl::string_view bytes,
                                                 google::protobuf::Message& message);

// The raw encodings of every occurrence of length-delimited field
// `field_number` in `bytes`, in order, or nullopt if `bytes` is not a
// protobuf encoding. Lets a batch be parsed item by item, so that one bad
// item is reported as that item's failure rather than the whole request's.
std::optional<std::vector<std::string>> SplitRepeatedField(absl::string_view bytes,
                                                           int field_number);

// The bytes of a gRPC payload, joined into one string.
std::string ByteBufferToString(const grpc::ByteBuffer& buffer);

// A message serialized into a gRPC payload.
grpc::ByteBuffer MessageToByteBuffer(const google::protobuf::Message& message);

}  // namespace tnps::services

#endif  // TNPS_SERVICES_COMMON_WIRE_PARSE_H_
