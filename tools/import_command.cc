// tnpsctl import FILE.csv: streams a CRM export through
// IngestService.StreamResponses, reporting progress on a terminal and a
// summary at the end. Malformed rows are reported with their line number
// and skipped; the import goes on.
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tnps/v1/ingest_service.grpc.pb.h"
#include "tools/commands.h"
#include "tools/csv_reader.h"
#include "tools/response_csv.h"
#include "tools/server_channel.h"

ABSL_DECLARE_FLAG(std::string, server);
ABSL_DECLARE_FLAG(std::string, api_key);
ABSL_FLAG(std::string, delimiter, "",
          "import: the field separator, \",\", \";\" or \"tab\" (default: the one the header "
          "row uses)");

namespace tnps::tools {
namespace {

constexpr int kRowsPerMessage = 500;
constexpr int kMaxReportedProblems = 20;

class ProgressLine {
 public:
  ProgressLine(int64_t total_bytes)
      : total_bytes_(total_bytes), enabled_(isatty(STDERR_FILENO) == 1), start_(absl::Now()) {}

  void Update(int64_t rows, int64_t bytes) {
    const absl::Time now = absl::Now();
    if (!enabled_ || now - last_ < absl::Milliseconds(250)) return;
    last_ = now;
    const double seconds = absl::ToDoubleSeconds(now - start_);
    const double rate = seconds > 0 ? rows / seconds : 0;
    std::string eta = "?";
    if (bytes > 0 && total_bytes_ > bytes) {
      const double remaining = seconds * (total_bytes_ - bytes) / bytes;
      eta = absl::StrFormat("%d:%02d", static_cast<int>(remaining) / 60,
                            static_cast<int>(remaining) % 60);
    }
    std::fprintf(stderr, "\r%12lld rows  %9.0f rows/s  %5.1f%%  ETA %s   ",
                 static_cast<long long>(rows), rate,
                 total_bytes_ > 0 ? 100.0 * bytes / total_bytes_ : 0.0, eta.c_str());
  }

  void Done() {
    if (enabled_) std::fputs("\n", stderr);
  }

 private:
  const int64_t total_bytes_;
  const bool enabled_;
  const absl::Time start_;
  absl::Time last_ = absl::InfinitePast();
};

}  // namespace

int RunImport(const Args& args) {
  if (args.size() != 1) {
    std::fprintf(stderr,
                 "usage: tnpsctl import FILE.csv [--server HOST:PORT] [--api_key KEY] [--delimiter "
                 ",|;|tab]\n");
    return kExitUsage;
  }
  if (absl::GetFlag(FLAGS_api_key).empty()) {
    std::fprintf(stderr, "tnpsctl: set --api_key or TNPS_API_KEY (role ingest or admin)\n");
    return kExitUsage;
  }
  std::ifstream file(args[0], std::ios::binary);
  if (!file) {
    std::fprintf(stderr, "tnpsctl: cannot open %s\n", args[0].c_str());
    return kExitFailed;
  }
  file.seekg(0, std::ios::end);
  const int64_t total_bytes = file.tellg();
  file.seekg(0);
  // The separator: as given, or the one the header uses.
  const std::string delimiter_flag = absl::GetFlag(FLAGS_delimiter);
  char delimiter;
  if (delimiter_flag.empty()) {
    std::string header;
    std::getline(file, header);
    delimiter = DetectDelimiter(header);
    file.clear();
    file.seekg(0);
  } else if (delimiter_flag == "," || delimiter_flag == ";") {
    delimiter = delimiter_flag[0];
  } else if (delimiter_flag == "tab" || delimiter_flag == "\t") {
    delimiter = '\t';
  } else {
    std::fprintf(stderr, "tnpsctl: --delimiter must be \",\", \";\" or \"tab\"\n");
    return kExitUsage;
  }

  // A file whose header cannot be used is the caller's to fix: a usage
  // error, like a bad flag.
  CsvReader reader(file, delimiter);
  std::vector<std::string> record;
  std::string error;
  if (!reader.Next(record, error) || !error.empty()) {
    std::fprintf(stderr, "tnpsctl: %s: no header row\n", args[0].c_str());
    return kExitUsage;
  }
  absl::StatusOr<ResponseCsvFormat> format = ResponseCsvFormat::FromHeader(record);
  if (!format.ok()) {
    std::fprintf(stderr, "tnpsctl: %s line 1: %s\n", args[0].c_str(),
                 std::string(format.status().message()).c_str());
    return kExitUsage;
  }

  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = OpenServerChannel();
  if (!channel.ok()) {
    std::fprintf(stderr, "tnpsctl: %s\n", std::string(channel.status().message()).c_str());
    return kExitUsage;
  }
  auto stub = tnps::v1::IngestService::NewStub(*channel);
  grpc::ClientContext context;
  context.AddMetadata("authorization", absl::StrCat("Bearer ", absl::GetFlag(FLAGS_api_key)));
  tnps::v1::StreamResponsesResponse summary;
  std::unique_ptr<grpc::ClientWriter<tnps::v1::StreamResponsesRequest>> stream =
      stub->StreamResponses(&context, &summary);

  // The stream index of each row sent, to turn server rejections back into lines.
  std::vector<int64_t> line_of_item;
  int64_t malformed = 0;
  ProgressLine progress(total_bytes);
  const absl::Time start = absl::Now();
  tnps::v1::StreamResponsesRequest message;
  bool stream_ok = true;
  while (stream_ok && reader.Next(record, error)) {
    if (record.size() == 1 && record[0].empty() && error.empty()) continue;  // blank line
    absl::StatusOr<tnps::v1::SurveyResponse> row =
        error.empty() ? format->Parse(record) : absl::InvalidArgumentError(error);
    if (!row.ok()) {
      if (++malformed <= kMaxReportedProblems) {
        std::fprintf(stderr, "%sline %lld: %s (skipped)\n", isatty(STDERR_FILENO) ? "\r" : "",
                     static_cast<long long>(reader.record_line()),
                     std::string(row.status().message()).c_str());
      }
      continue;
    }
    *message.add_responses() = *std::move(row);
    line_of_item.push_back(reader.record_line());
    if (message.responses_size() == kRowsPerMessage) {
      stream_ok = stream->Write(message);
      message.Clear();
    }
    progress.Update(static_cast<int64_t>(line_of_item.size()) + malformed, reader.bytes_read());
  }
  if (stream_ok && message.responses_size() > 0) stream->Write(message);
  stream->WritesDone();
  grpc::Status status = stream->Finish();
  progress.Done();
  if (!status.ok()) {
    std::fprintf(stderr,
                 "tnpsctl: import failed: %s (%d). Batches committed before the failure stay "
                 "stored; running the same import again is safe.\n",
                 status.error_message().c_str(), static_cast<int>(status.error_code()));
    return kExitFailed;
  }
  for (const auto& rejection : summary.first_rejections()) {
    const int64_t line = rejection.index() < static_cast<int64_t>(line_of_item.size())
                             ? line_of_item[rejection.index()]
                             : -1;
    std::string why;
    for (const auto& v : rejection.violations()) {
      absl::StrAppend(&why, why.empty() ? "" : "; ", v.field(), " ", v.description());
    }
    std::fprintf(stderr, "line %lld: %s: %s\n", static_cast<long long>(line),
                 tnps::v1::ItemOutcome_Name(rejection.outcome()).c_str(), why.c_str());
  }
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  std::printf(
      "imported %s: %lld rows read, %lld accepted, %lld duplicate, %lld conflict, %lld "
      "rejected by the server, %lld malformed; %.1f s (%.0f rows/s)\n",
      args[0].c_str(), static_cast<long long>(summary.received_count() + malformed),
      static_cast<long long>(summary.accepted_count()),
      static_cast<long long>(summary.duplicate_count()),
      static_cast<long long>(summary.conflict_count()),
      static_cast<long long>(summary.rejected_count()), static_cast<long long>(malformed), seconds,
      seconds > 0 ? (summary.received_count() + malformed) / seconds : 0.0);
  const bool all_stored =
      malformed == 0 && summary.rejected_count() == 0 && summary.conflict_count() == 0;
  return all_stored ? kExitOk : kExitPartial;
}

}  // namespace tnps::tools
