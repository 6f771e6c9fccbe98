#include "services/common/wire_parse.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/unknown_field_set.h>

#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "core/utf8.h"

namespace tnps::services {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::UnknownField;
using google::protobuf::UnknownFieldSet;

// Decodes `bytes` without a schema (so without UTF-8 checks) and walks it
// along `descriptor`, returning the path of the first string field that is
// not valid UTF-8.
std::optional<std::string> FindInvalidUtf8(absl::string_view bytes, const Descriptor& descriptor) {
  UnknownFieldSet fields;
  if (!fields.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return std::nullopt;
  absl::flat_hash_map<int, int> occurrences;
  for (int i = 0; i < fields.field_count(); ++i) {
    const UnknownField& field = fields.field(i);
    const int occurrence = occurrences[field.number()]++;
    if (field.type() != UnknownField::TYPE_LENGTH_DELIMITED) continue;
    const FieldDescriptor* fd = descriptor.FindFieldByNumber(field.number());
    if (fd == nullptr) continue;
    std::string path = fd->name();
    if (fd->is_repeated() && !fd->is_map()) absl::StrAppend(&path, "[", occurrence, "]");
    if (fd->type() == FieldDescriptor::TYPE_STRING) {
      if (!core::IsValidUtf8(field.length_delimited())) return path;
    } else if (fd->type() == FieldDescriptor::TYPE_MESSAGE) {
      std::optional<std::string> inner =
          FindInvalidUtf8(field.length_delimited(), *fd->message_type());
      if (inner) return fd->is_map() ? path : absl::StrCat(path, ".", *inner);
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<core::FieldViolation> ParseMessage(absl::string_view bytes,
                                                 google::protobuf::Message& message) {
  if (message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return std::nullopt;
  if (std::optional<std::string> path = FindInvalidUtf8(bytes, *message.GetDescriptor())) {
    return core::FieldViolation{*path, "is not valid UTF-8"};
  }
  return core::FieldViolation{"", "is not a valid protobuf encoding of the request message"};
}

std::optional<std::vector<std::string>> SplitRepeatedField(absl::string_view bytes,
                                                           int field_number) {
  UnknownFieldSet fields;
  if (!fields.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return std::nullopt;
  std::vector<std::string> items;
  for (int i = 0; i < fields.field_count(); ++i) {
    const UnknownField& field = fields.field(i);
    if (field.number() != field_number) continue;
    if (field.type() != UnknownField::TYPE_LENGTH_DELIMITED) return std::nullopt;
    items.push_back(field.length_delimited());
  }
  return items;
}

std::string ByteBufferToString(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  out.reserve(buffer.Length());
  for (const grpc::Slice& slice : slices) {
    out.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return out;
}

grpc::ByteBuffer MessageToByteBuffer(const google::protobuf::Message& message) {
  std::string bytes = message.SerializeAsString();
  grpc::Slice slice(std::move(bytes));
  return grpc::ByteBuffer(&slice, 1);
}

}  // namespace tnps::services
