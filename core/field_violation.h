// One reason a request field is invalid; becomes a google.rpc.BadRequest
// field violation at the API edge.
#ifndef TNPS_CORE_FIELD_VIOLATION_H_
#define TNPS_CORE_FIELD_VIOLATION_H_

#include <string>

namespace tnps::core {

struct FieldViolation {
  // Dotted path relative to the validated object, e.g. "score" or "attributes[queue]".
  std::string field;
  std::string description;

  friend bool operator==(const FieldViolation&, const FieldViolation&) = default;
};

}  // namespace tnps::core

#endif  // TNPS_CORE_FIELD_VIOLATION_H_
