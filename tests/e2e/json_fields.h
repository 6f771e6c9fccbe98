// Fields of a JSON object parsed into google.protobuf.Struct (the server's
// log lines, the webhook receiver's records).
#ifndef TNPS_TESTS_E2E_JSON_FIELDS_H_
#define TNPS_TESTS_E2E_JSON_FIELDS_H_

#include <google/protobuf/struct.pb.h>

#include <string>

namespace tnps::testing {

// The text of `key`; "" when absent.
inline std::string JsonText(const google::protobuf::Struct& object, const std::string& key) {
  auto found = object.fields().find(key);
  return found == object.fields().end() ? "" : found->second.string_value();
}

// The number of `key`; -1 when absent.
inline double JsonNumber(const google::protobuf::Struct& object, const std::string& key) {
  auto found = object.fields().find(key);
  return found == object.fields().end() ? -1 : found->second.number_value();
}

inline bool JsonHas(const google::protobuf::Struct& object, const std::string& key) {
  return object.fields().contains(key);
}

}  // namespace tnps::testing

#endif  // TNPS_TESTS_E2E_JSON_FIELDS_H_
