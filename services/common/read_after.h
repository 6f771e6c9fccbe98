// The read side of a consistency token: a handler of a read that may be
// served by a standby hands the request's token here, so that the call's
// queries see the caller's write (storage/call_limits.h).
#ifndef TNPS_SERVICES_COMMON_READ_AFTER_H_
#define TNPS_SERVICES_COMMON_READ_AFTER_H_

#include <string>
#include <vector>

#include "core/field_violation.h"

namespace tnps::services {

// Makes the current call read after the token's position; a malformed
// token adds a violation of field "consistency_token" instead. "" (no
// token) changes nothing.
void ReadAfterToken(const std::string& token, std::vector<core::FieldViolation>& violations);

}  // namespace tnps::services

#endif  // TNPS_SERVICES_COMMON_READ_AFTER_H_
