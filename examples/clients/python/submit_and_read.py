#!/usr/bin/python3
"""A CRM's view of tnps, in Python (docs/clients.md).

Submits one survey response, sends it again as a retry would (the server
answers duplicate=true: nothing is counted twice), sends a response with a
bad score and prints the field the server names, then reads the NPS of the
days around the response. Exits 1 if any step does not behave so.

Runs against the server named by the environment (defaults: the
quickstart's server, from the repository's root):

  TNPS_SERVER            127.0.0.1:50051
  TNPS_TLS_CA_FILE       .tnps/tls/ca.pem            the CA the server's certificate chains to
  TNPS_INGEST_KEY_FILE   .tnps/secrets/ingest.key    an API key of role ingest
  TNPS_READ_KEY_FILE     .tnps/secrets/read.key      an API key of role read

with the stubs of examples/clients/python/generate_stubs.sh on PYTHONPATH.
Debian's python3-grpcio and python3-protobuf are for Debian's Python, hence
/usr/bin/python3.
"""

import datetime
import os
import random
import secrets
import sys
import time

import grpc
from google.protobuf import timestamp_pb2

from rpc_error_details import error_details
from tnps.v1 import (analytics_service_pb2, analytics_service_pb2_grpc, ingest_service_pb2,
                     ingest_service_pb2_grpc, nps_pb2, survey_response_pb2)

# Each attempt may take this long; the server stops its database work when
# the deadline passes, so a late answer never arrives after a retry.
ATTEMPT_DEADLINE_SECONDS = 5.0
MAX_ATTEMPTS = 6
FIRST_BACKOFF_SECONDS = 0.2
MAX_BACKOFF_SECONDS = 5.0
# What a retry can cure: the server or its database unavailable for a
# moment, a limit reached (nothing was stored), a deadline whose outcome is
# unknown. Retrying an ingest call is safe because the retry sends the same
# external_id with the same payload.
RETRYABLE = {
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
    grpc.StatusCode.DEADLINE_EXCEEDED,
}


class StepFailed(Exception):
    pass


def key_from_file(path):
    with open(path, encoding="utf-8") as f:
        return f.read().strip()


def call_with_retries(method, request, key):
    """Calls `method` with `request` until it answers or fails for good.

    Waits as the server's RetryInfo says when there is one, else backs off
    exponentially with full jitter. The request is built once by the caller
    and sent unchanged on every attempt.
    """
    metadata = [("authorization", "Bearer " + key)]
    backoff = FIRST_BACKOFF_SECONDS
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            return method(request, metadata=metadata, timeout=ATTEMPT_DEADLINE_SECONDS)
        except grpc.RpcError as error:
            if error.code() not in RETRYABLE or attempt == MAX_ATTEMPTS:
                raise
            retry_delay = error_details(error).retry_delay
            if retry_delay is not None:
                wait, why = retry_delay, "RetryInfo"
            else:
                wait, why = random.uniform(0, backoff), "backoff"
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
            print(f"retry attempt={attempt + 1} code={error.code().name} wait={wait:.2f}s ({why})",
                  flush=True)
            time.sleep(wait)
    raise AssertionError("unreachable")


def timestamp(moment):
    out = timestamp_pb2.Timestamp()
    out.FromDatetime(moment)
    return out


def survey_response(external_id, score, now):
    return survey_response_pb2.SurveyResponse(
        external_id=external_id,
        interaction_id="call-" + external_id,
        agent_id="agent-example",
        team_id="team-example",
        channel=survey_response_pb2.CHANNEL_PHONE,
        score=score,
        comment="Listened first, then solved it.",
        interaction_time=timestamp(now - datetime.timedelta(hours=1)),
        response_time=timestamp(now),
        attributes={"source": "python-example"},
    )


def submit_twice(ingest, key, now):
    """Steps 1 and 2: a new response, then the same one again."""
    # Unique per run; a real CRM uses its own survey or ticket id.
    external_id = f"crm-example-{int(now.timestamp())}-{secrets.token_hex(4)}"
    request = ingest_service_pb2.SubmitResponseRequest(
        response=survey_response(external_id, 9, now))
    first = call_with_retries(ingest.SubmitResponse, request, key)
    print(f"submitted external_id={external_id} response_id={first.response_id} "
          f"duplicate={str(first.duplicate).lower()}", flush=True)
    if first.duplicate:
        raise StepFailed("a new external_id was reported as a duplicate")
    # The CRM never saw that answer (say its connection dropped): it sends
    # the very same request again.
    again = call_with_retries(ingest.SubmitResponse, request, key)
    print(f"resubmitted external_id={external_id} response_id={again.response_id} "
          f"duplicate={str(again.duplicate).lower()}", flush=True)
    if not again.duplicate or again.response_id != first.response_id:
        raise StepFailed("the retry was not reported as a duplicate of the first submission")


def submit_bad_score(ingest, key, now):
    """Step 3: score 11 is INVALID_ARGUMENT with a BadRequest on response.score."""
    external_id = f"crm-example-bad-{int(now.timestamp())}-{secrets.token_hex(4)}"
    request = ingest_service_pb2.SubmitResponseRequest(
        response=survey_response(external_id, 11, now))
    try:
        call_with_retries(ingest.SubmitResponse, request, key)
    except grpc.RpcError as error:
        violations = error_details(error).field_violations
        for v in violations:
            print(f"rejected code={error.code().name} field={v.field} description={v.description}",
                  flush=True)
        if error.code() != grpc.StatusCode.INVALID_ARGUMENT:
            raise
        if "response.score" not in [v.field for v in violations]:
            raise StepFailed("INVALID_ARGUMENT without a field violation on response.score")
        return
    raise StepFailed("a score of 11 was accepted")


def date(day):
    return nps_pb2.Date(year=day.year, month=day.month, day=day.day)


def read_nps(analytics, key, now):
    """Step 4: the NPS of the days around the response (in any time zone)."""
    interaction_day = (now - datetime.timedelta(hours=1)).date()
    start = interaction_day - datetime.timedelta(days=1)
    end = interaction_day + datetime.timedelta(days=1)
    request = analytics_service_pb2.GetNpsRequest(
        filter=nps_pb2.NpsFilter(start_date=date(start), end_date=date(end)))
    answer = call_with_retries(analytics.GetNps, request, key)
    s = answer.summary
    print(f"nps period={start}..{end} time_zone={answer.time_zone} nps={s.nps:.1f} "
          f"responses={s.responses} promoters={s.promoters} passives={s.passives} "
          f"detractors={s.detractors}", flush=True)
    if s.responses < 1:
        raise StepFailed("GetNps counted no response")


def main():
    server = os.environ.get("TNPS_SERVER", "127.0.0.1:50051")
    with open(os.environ.get("TNPS_TLS_CA_FILE", ".tnps/tls/ca.pem"), "rb") as f:
        credentials = grpc.ssl_channel_credentials(root_certificates=f.read())
    ingest_key = key_from_file(os.environ.get("TNPS_INGEST_KEY_FILE", ".tnps/secrets/ingest.key"))
    read_key = key_from_file(os.environ.get("TNPS_READ_KEY_FILE", ".tnps/secrets/read.key"))
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    with grpc.secure_channel(server, credentials) as channel:
        ingest = ingest_service_pb2_grpc.IngestServiceStub(channel)
        analytics = analytics_service_pb2_grpc.AnalyticsServiceStub(channel)
        try:
            submit_twice(ingest, ingest_key, now)
            submit_bad_score(ingest, ingest_key, now)
            read_nps(analytics, read_key, now)
        except StepFailed as failure:
            print(f"FAILED: {failure}", file=sys.stderr)
            return 1
        except grpc.RpcError as error:
            print(f"FAILED: {error.code().name}: {error.details()}", file=sys.stderr)
            return 1
    print("ok: every step behaved as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
