#include "services/ingest/ingest_service.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/consistency_token.h"
#include "core/response_validation.h"
#include "services/common/grpc_status.h"
#include "services/common/tenant_tokens.h"
#include "services/common/wire_parse.h"
#include "services/ingest/survey_response_mapping.h"

namespace tnps::services {
namespace {

using storage::TenantResponse;
using storage::WriteOutcome;
using storage::WriteResult;

// How often open streams are looked at: a stream resumes at most this long
// after its rate limit allows, and ends at most this long after its idle
// timeout.
constexpr absl::Duration kStreamSweepPeriod = absl::Milliseconds(50);

// The first items that were not stored, reported back in a stream summary.
constexpr int kMaxReportedRejections = 100;

// One submitted item after decoding and validation.
struct IngestItem {
  int64_t index = 0;
  core::SurveyResponse response;
  // Empty when the item can be stored.
  std::vector<core::FieldViolation> violations;
};

// Decodes every SurveyResponse in field `field_number` of `message_bytes`;
// nullopt if the message itself is not decodable.
std::optional<std::vector<IngestItem>> DecodeItems(absl::string_view message_bytes,
                                                   int field_number, int64_t first_index,
                                                   absl::Time now) {
  std::optional<std::vector<std::string>> raw_items =
      SplitRepeatedField(message_bytes, field_number);
  if (!raw_items) return std::nullopt;
  std::vector<IngestItem> items(raw_items->size());
  for (size_t i = 0; i < raw_items->size(); ++i) {
    IngestItem& item = items[i];
    item.index = first_index + static_cast<int64_t>(i);
    tnps::v1::SurveyResponse proto;
    if (std::optional<core::FieldViolation> v = ParseMessage((*raw_items)[i], proto)) {
      item.violations.push_back(*std::move(v));
      continue;
    }
    CheckedResponse checked = CheckSurveyResponse(proto, now);
    item.response = std::move(checked.response);
    item.violations = std::move(checked.violations);
  }
  return items;
}

void FillViolations(const std::vector<core::FieldViolation>& violations,
                    tnps::v1::ItemResult& out) {
  for (const core::FieldViolation& v : violations) {
    auto* fv = out.add_violations();
    fv->set_field(v.field);
    fv->set_description(v.description);
  }
}

// Names the fields that differ, so that a client that rebuilt its message
// on retry (fresh timestamps, say) sees why it was refused.
core::FieldViolation ConflictViolation(const std::string& response_id,
                                       const std::vector<std::string>& differing_fields) {
  return {"external_id",
          absl::StrCat("is already used by response ", response_id,
                       " with a different payload (differing fields: ",
                       absl::StrJoin(differing_fields, ", "),
                       "); nothing was changed. Retry with the bytes first sent; amend the "
                       "comment or attributes with ResponseService.AmendResponse")};
}

core::FieldViolation SuppressedViolation() {
  return {"external_id",
          "was erased with suppress_resubmission at the tenant's request; nothing was stored"};
}

// The result of one item: `stored` is null when the item was rejected.
tnps::v1::ItemResult MakeItemResult(const storage::Principal& principal, const IngestItem& item,
                                    const WriteResult* stored) {
  tnps::v1::ItemResult out;
  out.set_index(item.index);
  out.set_external_id(item.response.external_id);
  if (stored == nullptr) {
    out.set_outcome(tnps::v1::ITEM_OUTCOME_REJECTED);
    FillViolations(item.violations, out);
    return out;
  }
  if (stored->outcome == WriteOutcome::kSuppressed) {
    out.set_outcome(tnps::v1::ITEM_OUTCOME_SUPPRESSED);
    FillViolations({SuppressedViolation()}, out);
    return out;
  }
  out.set_response_id(PublicResponseId(principal, stored->response_id));
  switch (stored->outcome) {
    case WriteOutcome::kAccepted:
      out.set_outcome(tnps::v1::ITEM_OUTCOME_ACCEPTED);
      break;
    case WriteOutcome::kDuplicate:
      out.set_outcome(tnps::v1::ITEM_OUTCOME_DUPLICATE);
      break;
    case WriteOutcome::kConflict:
      out.set_outcome(tnps::v1::ITEM_OUTCOME_CONFLICT);
      FillViolations({ConflictViolation(out.response_id(), stored->differing_fields)}, out);
      break;
    case WriteOutcome::kSuppressed:
      break;
  }
  return out;
}

// Counts outcomes into any summary message with the four count fields.
template <typename Summary>
void Tally(tnps::v1::ItemOutcome outcome, Summary& summary) {
  switch (outcome) {
    case tnps::v1::ITEM_OUTCOME_ACCEPTED:
      summary.set_accepted_count(summary.accepted_count() + 1);
      break;
    case tnps::v1::ITEM_OUTCOME_DUPLICATE:
      summary.set_duplicate_count(summary.duplicate_count() + 1);
      break;
    case tnps::v1::ITEM_OUTCOME_CONFLICT:
      summary.set_conflict_count(summary.conflict_count() + 1);
      break;
    default:
      summary.set_rejected_count(summary.rejected_count() + 1);
      break;
  }
}

grpc::Status MalformedRequest(absl::string_view message_name) {
  return InvalidArgument("", {{"", absl::StrCat("is not a valid ", message_name)}});
}

}  // namespace

IngestService::IngestService(Authenticator& authenticator, storage::ResponseWriter& writer,
                             RateLimiter& limiter, RefusalDelay& refusals,
                             IngestServiceOptions options)
    : authenticator_(authenticator),
      writer_(writer),
      limiter_(limiter),
      refusals_(refusals),
      options_(std::move(options)),
      streams_(kStreamSweepPeriod) {}

grpc::ServerUnaryReactor* IngestService::SubmitResponse(grpc::CallbackServerContext* context,
                                                        const grpc::ByteBuffer* request,
                                                        grpc::ByteBuffer* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  authenticator_.Authenticate(*context, core::Role::kIngest,
                              [this, request, response, reactor](auto principal) {
                                if (!principal.ok()) {
                                  refusals_.Finish(reactor, ToGrpcStatus(principal.status()));
                                  return;
                                }
                                SubmitAuthenticated(*principal, *request, response, reactor);
                              });
  return reactor;
}

void IngestService::SubmitAuthenticated(const storage::Principal& principal,
                                        const grpc::ByteBuffer& request, grpc::ByteBuffer* response,
                                        grpc::ServerUnaryReactor* reactor) {
  tnps::v1::SubmitResponseRequest parsed;
  if (std::optional<core::FieldViolation> v = ParseMessage(ByteBufferToString(request), parsed)) {
    return reactor->Finish(InvalidArgument("", {*v}));
  }
  if (!parsed.has_response()) {
    return reactor->Finish(InvalidArgument("", {{"response", "is required"}}));
  }
  CheckedResponse checked = CheckSurveyResponse(parsed.response(), options_.now());
  if (!checked.violations.empty()) {
    options_.on_rejected(1);
    return reactor->Finish(InvalidArgument("", checked.violations, "response."));
  }
  if (absl::Status admitted = limiter_.AdmitRows(principal, 1); !admitted.ok()) {
    return refusals_.Finish(reactor, ToGrpcStatus(admitted));
  }
  auto owned = std::make_shared<core::SurveyResponse>(std::move(checked.response));
  absl::Status queued = writer_.Submit(
      {TenantResponse{principal.tenant_id, owned.get()}},
      [owned, reactor, response, principal](absl::StatusOr<std::vector<WriteResult>> results) {
        if (!results.ok()) {
          reactor->Finish(ToGrpcStatus(results.status()));
          return;
        }
        const WriteResult& stored = results->front();
        if (stored.outcome == WriteOutcome::kSuppressed) {
          reactor->Finish(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                                       absl::StrCat("external_id ", owned->external_id, " ",
                                                    SuppressedViolation().description)));
          return;
        }
        if (stored.outcome == WriteOutcome::kConflict) {
          reactor->Finish(grpc::Status(
              grpc::StatusCode::ALREADY_EXISTS,
              absl::StrCat("external_id ", owned->external_id, " ",
                           ConflictViolation(PublicResponseId(principal, stored.response_id),
                                             stored.differing_fields)
                               .description)));
          return;
        }
        tnps::v1::SubmitResponseResponse out;
        out.set_response_id(PublicResponseId(principal, stored.response_id));
        out.set_duplicate(stored.outcome == WriteOutcome::kDuplicate);
        out.set_consistency_token(core::FormatConsistencyToken(stored.visible_from));
        *response = MessageToByteBuffer(out);
        reactor->Finish(grpc::Status::OK);
      });
  if (!queued.ok()) refusals_.Finish(reactor, ToGrpcStatus(queued));
}

grpc::ServerUnaryReactor* IngestService::SubmitResponses(grpc::CallbackServerContext* context,
                                                         const grpc::ByteBuffer* request,
                                                         grpc::ByteBuffer* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  authenticator_.Authenticate(*context, core::Role::kIngest,
                              [this, request, response, reactor](auto principal) {
                                if (!principal.ok()) {
                                  refusals_.Finish(reactor, ToGrpcStatus(principal.status()));
                                  return;
                                }
                                SubmitAllAuthenticated(*principal, *request, response, reactor);
                              });
  return reactor;
}

void IngestService::SubmitAllAuthenticated(const storage::Principal& principal,
                                           const grpc::ByteBuffer& request,
                                           grpc::ByteBuffer* response,
                                           grpc::ServerUnaryReactor* reactor) {
  std::optional<std::vector<IngestItem>> decoded =
      DecodeItems(ByteBufferToString(request),
                  tnps::v1::SubmitResponsesRequest::kResponsesFieldNumber, 0, options_.now());
  if (!decoded) return reactor->Finish(MalformedRequest("SubmitResponsesRequest"));
  if (decoded->size() > core::IngestLimits::kMaxBatchSize) {
    return reactor->Finish(InvalidArgument(
        "", {{"responses", absl::StrCat("has ", decoded->size(), " items; the limit is ",
                                        core::IngestLimits::kMaxBatchSize,
                                        " (use StreamResponses for bulk loads)")}}));
  }
  auto items = std::make_shared<std::vector<IngestItem>>(*std::move(decoded));
  std::vector<TenantResponse> valid;
  for (const IngestItem& item : *items) {
    if (item.violations.empty()) valid.push_back({principal.tenant_id, &item.response});
  }
  options_.on_rejected(static_cast<int64_t>(items->size() - valid.size()));
  auto reply = [principal, items, reactor, response](const std::vector<WriteResult>& stored) {
    tnps::v1::SubmitResponsesResponse out;
    size_t next_stored = 0;
    for (const IngestItem& item : *items) {
      const WriteResult* result = item.violations.empty() ? &stored[next_stored++] : nullptr;
      *out.add_results() = MakeItemResult(principal, item, result);
      Tally(out.results().rbegin()->outcome(), out);
    }
    if (!stored.empty()) {
      // One transaction per submission: every result has the same position.
      out.set_consistency_token(core::FormatConsistencyToken(stored.front().visible_from));
    }
    *response = MessageToByteBuffer(out);
    reactor->Finish(grpc::Status::OK);
  };
  if (valid.empty()) return reply({});
  if (absl::Status admitted = limiter_.AdmitRows(principal, static_cast<int64_t>(valid.size()));
      !admitted.ok()) {
    return refusals_.Finish(reactor, ToGrpcStatus(admitted));
  }
  absl::Status queued = writer_.Submit(
      std::move(valid), [reactor, reply](absl::StatusOr<std::vector<WriteResult>> results) {
        if (!results.ok()) {
          reactor->Finish(ToGrpcStatus(results.status()));
          return;
        }
        reply(*results);
      });
  if (!queued.ok()) refusals_.Finish(reactor, ToGrpcStatus(queued));
}

// Reads the client's stream, validates each item, and commits valid ones in
// batches through the shared writer, a bounded number at a time (reading
// pauses while the database catches up). Finishes with the summary once the
// client has closed its side and every batch is committed, or with the first
// error. Reading starts once the key is verified (off gRPC's threads on a
// cache miss). A message beyond the key's row rate is held, with reading
// paused, until the rate allows it (the stream slows down; it does not
// fail). The sweeper resumes such streams and ends those whose client stays
// silent.
// The reactor lives until gRPC is done with it and the sweeper is not
// looking at it (reference count).
class IngestService::StreamReactor final : public grpc::ServerReadReactor<grpc::ByteBuffer>,
                                           public StreamSweeper::Stream {
 public:
  StreamReactor(IngestService& service, const grpc::CallbackServerContext& context,
                grpc::ByteBuffer* response)
      : service_(service), response_(response) {
    service_.streams_.Add(this);
    service_.authenticator_.Authenticate(
        context, core::Role::kIngest,
        [this](absl::StatusOr<storage::Principal> principal) { OnAuthenticated(principal); });
  }

  void OnAuthenticated(const absl::StatusOr<storage::Principal>& principal) {
    {
      absl::MutexLock lock(&mu_);
      if (principal.ok()) {
        principal_ = *principal;
        waiting_since_ = absl::Now();
      } else {
        finished_ = true;
      }
    }
    if (principal.ok()) {
      StartRead(&read_buffer_);
    } else {
      const grpc::Status refused = ToGrpcStatus(principal.status());
      service_.refusals_.Finish(refused, [this, refused] { Finish(refused); });
    }
  }

  void OnReadDone(bool ok) override {
    bool start_read = false;
    std::optional<grpc::Status> finish;
    {
      absl::MutexLock lock(&mu_);
      waiting_since_ = absl::InfiniteFuture();
      if (!ok) {
        read_closed_ = true;
        if (!cancelled_ && !error_ && !pending_.empty()) SubmitPendingLocked();
      } else if (!finished_ && !error_) {
        start_read = ConsumeLocked(ByteBufferToString(read_buffer_));
      }
      finish = MaybeFinishLocked();
    }
    Act(start_read, finish);
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
  }

  void OnDone() override {
    service_.streams_.Remove(this);
    Unref();
  }

  void Ref() override { refs_.fetch_add(1, std::memory_order_relaxed); }
  void Unref() override {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  void Sweep(absl::Time now) override {
    bool start_read = false;
    std::optional<grpc::Status> finish;
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return;
      if (held_ && cancelled_) {
        held_.reset();
        if (!error_) error_ = grpc::Status::CANCELLED;
      } else if (held_ && !error_ && now >= resume_at_) {
        start_read = AdmitHeldLocked(now);
      } else if (!error_ && now - service_.options_.stream_idle_timeout > waiting_since_) {
        error_ = grpc::Status(
            grpc::StatusCode::DEADLINE_EXCEEDED,
            absl::StrCat("the client sent nothing for ",
                         absl::FormatDuration(service_.options_.stream_idle_timeout),
                         ", so the stream was ended. Batches committed before stay stored; the ",
                         pending_.size(),
                         " responses received after the last of them were not stored. Send "
                         "them again (ingest is idempotent)."));
        pending_.clear();
      }
      finish = MaybeFinishLocked();
    }
    Act(start_read, finish);
  }

 private:
  using Batch = std::vector<IngestItem>;

  // Takes in one message; whether to read the next one now.
  bool ConsumeLocked(std::string bytes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::optional<std::vector<IngestItem>> items =
        DecodeItems(bytes, tnps::v1::StreamResponsesRequest::kResponsesFieldNumber,
                    summary_.received_count(), service_.options_.now());
    if (!items) {
      error_ = MalformedRequest("StreamResponsesRequest");
      return false;
    }
    if (items->size() > core::IngestLimits::kMaxBatchSize) {
      error_ =
          InvalidArgument("", {{"responses", absl::StrCat("has ", items->size(),
                                                          " items in one message; the "
                                                          "limit is ",
                                                          core::IngestLimits::kMaxBatchSize)}});
      return false;
    }
    held_ = *std::move(items);
    return AdmitHeldLocked(absl::Now());
  }

  // Admits the held message if the key's row rate allows, and says whether
  // to read the next; else holds it and sets when to try again.
  bool AdmitHeldLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const int64_t valid = std::count_if(held_->begin(), held_->end(), [](const IngestItem& item) {
      return item.violations.empty();
    });
    const absl::Duration wait = service_.limiter_.TakeRows(principal_, valid);
    if (wait > absl::ZeroDuration()) {
      resume_at_ = now + wait;
      return false;
    }
    std::vector<IngestItem> items = *std::move(held_);
    held_.reset();
    summary_.set_received_count(summary_.received_count() + items.size());
    for (IngestItem& item : items) {
      if (item.violations.empty()) {
        pending_.push_back(std::move(item));
      } else {
        service_.options_.on_rejected(1);
        RecordLocked(MakeItemResult(principal_, item, nullptr));
      }
    }
    return AfterConsumeLocked();
  }

  // Once a message is taken in: commits a full batch, and says whether to
  // read the next message now (else reading waits for a batch to commit).
  bool AfterConsumeLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (pending_.size() >= service_.options_.stream_batch_rows) SubmitPendingLocked();
    if (error_) return false;
    if (in_flight_ >= service_.options_.stream_batches_in_flight) {
      read_paused_ = true;
      return false;
    }
    waiting_since_ = absl::Now();
    return true;
  }

  void RecordLocked(tnps::v1::ItemResult result) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Tally(result.outcome(), summary_);
    if (result.outcome() != tnps::v1::ITEM_OUTCOME_ACCEPTED &&
        result.outcome() != tnps::v1::ITEM_OUTCOME_DUPLICATE &&
        summary_.first_rejections_size() < kMaxReportedRejections) {
      *summary_.add_first_rejections() = std::move(result);
    }
  }

  void SubmitPendingLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto batch = std::make_shared<Batch>(std::move(pending_));
    pending_.clear();
    std::vector<TenantResponse> rows;
    rows.reserve(batch->size());
    for (const IngestItem& item : *batch) rows.push_back({principal_.tenant_id, &item.response});
    absl::Status queued = service_.writer_.Submit(
        std::move(rows), [this, batch](absl::StatusOr<std::vector<WriteResult>> results) {
          OnBatchWritten(*batch, std::move(results));
        });
    if (queued.ok()) {
      ++in_flight_;
    } else if (!error_) {
      // This batch is not stored; batches committed before it stay stored,
      // and sending the same stream again is safe (ingest is idempotent).
      error_ = ToGrpcStatus(queued);
    }
  }

  void OnBatchWritten(const Batch& batch, absl::StatusOr<std::vector<WriteResult>> results) {
    bool start_read = false;
    std::optional<grpc::Status> finish;
    {
      absl::MutexLock lock(&mu_);
      --in_flight_;
      if (results.ok()) {
        if (!results->empty()) {
          written_up_to_ = core::LaterPosition(written_up_to_, results->front().visible_from);
        }
        for (size_t i = 0; i < batch.size(); ++i) {
          // Stored rows are only counted: their ids are not reported, so
          // none is computed.
          const WriteOutcome outcome = (*results)[i].outcome;
          if (outcome == WriteOutcome::kAccepted) {
            Tally(tnps::v1::ITEM_OUTCOME_ACCEPTED, summary_);
          } else if (outcome == WriteOutcome::kDuplicate) {
            Tally(tnps::v1::ITEM_OUTCOME_DUPLICATE, summary_);
          } else {
            RecordLocked(MakeItemResult(principal_, batch[i], &(*results)[i]));
          }
        }
      } else if (!error_) {
        error_ = ToGrpcStatus(results.status());
      }
      if (read_paused_ && !error_ && !read_closed_) {
        read_paused_ = false;
        start_read = true;
        waiting_since_ = absl::Now();
      }
      finish = MaybeFinishLocked();
    }
    Act(start_read, finish);
  }

  std::optional<grpc::Status> MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || in_flight_ > 0 || (!error_ && !read_closed_)) return std::nullopt;
    finished_ = true;
    if (error_) return *error_;
    if (written_up_to_ != 0) {
      summary_.set_consistency_token(core::FormatConsistencyToken(written_up_to_));
    }
    *response_ = MessageToByteBuffer(summary_);
    return grpc::Status::OK;
  }

  // gRPC calls happen outside the lock: a reaction may run on another thread
  // at once and take the lock itself.
  void Act(bool start_read, const std::optional<grpc::Status>& finish) {
    if (finish) {
      Finish(*finish);
    } else if (start_read) {
      StartRead(&read_buffer_);
    }
  }

  IngestService& service_;
  grpc::ByteBuffer* const response_;
  // gRPC's hold, and the sweeper's while it looks.
  std::atomic<int> refs_{1};
  // Written by gRPC between StartRead and OnReadDone only.
  grpc::ByteBuffer read_buffer_;

  absl::Mutex mu_;
  // Who is calling, once the key is verified.
  storage::Principal principal_ ABSL_GUARDED_BY(mu_);
  // Since when a read is waiting for the client; the infinite future while
  // the server is busy (verifying the key, batches in flight, a held
  // message).
  absl::Time waiting_since_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  // A decoded message waiting for the key's row rate, and when to try it
  // again.
  std::optional<std::vector<IngestItem>> held_ ABSL_GUARDED_BY(mu_);
  absl::Time resume_at_ ABSL_GUARDED_BY(mu_);
  Batch pending_ ABSL_GUARDED_BY(mu_);
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool read_paused_ ABSL_GUARDED_BY(mu_) = false;
  bool read_closed_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  // The first failure; the stream ends with it once no batch is in flight.
  std::optional<grpc::Status> error_ ABSL_GUARDED_BY(mu_);
  tnps::v1::StreamResponsesResponse summary_ ABSL_GUARDED_BY(mu_);
  // The latest position of the stream's committed batches.
  core::WalPosition written_up_to_ ABSL_GUARDED_BY(mu_) = 0;
};

grpc::ServerReadReactor<grpc::ByteBuffer>* IngestService::StreamResponses(
    grpc::CallbackServerContext* context, grpc::ByteBuffer* response) {
  return new StreamReactor(*this, *context, response);
}

}  // namespace tnps::services
