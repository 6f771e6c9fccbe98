// A CRM's view of tnps, in Node (docs/clients.md).
//
// Submits one survey response, sends it again as a retry would (the server
// answers duplicate=true: nothing is counted twice), sends a response with a
// bad score and prints the field the server names, then reads the NPS of the
// days around the response. Exits 1 if any step does not behave so.
//
// Runs against the server named by the environment (defaults: the
// quickstart's server, from the repository's root):
//
//   TNPS_SERVER            127.0.0.1:50051
//   TNPS_TLS_CA_FILE       .tnps/tls/ca.pem            the CA the server's certificate chains to
//   TNPS_INGEST_KEY_FILE   .tnps/secrets/ingest.key    an API key of role ingest
//   TNPS_READ_KEY_FILE     .tnps/secrets/read.key      an API key of role read
//
// with the packages of package.json installed where NODE_PATH points.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const {errorDetails} = require('./rpc_error_details');

const PROTO_DIR = path.join(__dirname, '..', '..', '..', 'proto');
// Each attempt may take this long; the server stops its database work when
// the deadline passes, so a late answer never arrives after a retry.
const ATTEMPT_DEADLINE_MS = 5000;
const MAX_ATTEMPTS = 6;
const FIRST_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 5000;
// What a retry can cure: the server or its database unavailable for a
// moment, a limit reached (nothing was stored), a deadline whose outcome is
// unknown. Retrying an ingest call is safe because the retry sends the same
// external_id with the same payload.
const RETRYABLE = new Set([
  grpc.status.UNAVAILABLE,
  grpc.status.RESOURCE_EXHAUSTED,
  grpc.status.DEADLINE_EXCEEDED,
]);

class StepFailed extends Error {}

const codeName = (code) => grpc.status[code];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function keyFromFile(file) {
  return fs.readFileSync(file, 'utf8').trim();
}

function call(client, method, request, key) {
  const metadata = new grpc.Metadata();
  metadata.add('authorization', 'Bearer ' + key);
  return new Promise((resolve, reject) => {
    client[method](request, metadata, {deadline: Date.now() + ATTEMPT_DEADLINE_MS},
        (error, response) => (error ? reject(error) : resolve(response)));
  });
}

// Calls `method` until it answers or fails for good. Waits as the server's
// RetryInfo says when there is one, else backs off exponentially with full
// jitter. The request is built once by the caller and sent unchanged on
// every attempt.
async function callWithRetries(client, method, request, key) {
  let backoff = FIRST_BACKOFF_MS;
  for (let attempt = 1; ; ++attempt) {
    try {
      return await call(client, method, request, key);
    } catch (error) {
      if (!RETRYABLE.has(error.code) || attempt === MAX_ATTEMPTS) throw error;
      const {retryDelay} = errorDetails(error);
      let wait;
      let why;
      if (retryDelay !== null) {
        [wait, why] = [retryDelay * 1000, 'RetryInfo'];
      } else {
        [wait, why] = [Math.random() * backoff, 'backoff'];
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
      console.log(`retry attempt=${attempt + 1} code=${codeName(error.code)} ` +
                  `wait=${(wait / 1000).toFixed(2)}s (${why})`);
      await sleep(wait);
    }
  }
}

function timestamp(ms) {
  return {seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6};
}

function surveyResponse(externalId, score, nowMs) {
  return {
    external_id: externalId,
    interaction_id: 'call-' + externalId,
    agent_id: 'agent-example',
    team_id: 'team-example',
    channel: 'CHANNEL_PHONE',
    score,
    comment: 'Listened first, then solved it.',
    interaction_time: timestamp(nowMs - 3600 * 1000),
    response_time: timestamp(nowMs),
    attributes: {source: 'node-example'},
  };
}

// Unique per run; a real CRM uses its own survey or ticket id.
function uniqueId(prefix, nowMs) {
  return `${prefix}-${Math.floor(nowMs / 1000)}-${crypto.randomBytes(4).toString('hex')}`;
}

// Steps 1 and 2: a new response, then the same one again.
async function submitTwice(ingest, key, nowMs) {
  const externalId = uniqueId('crm-example', nowMs);
  const request = {response: surveyResponse(externalId, 9, nowMs)};
  const first = await callWithRetries(ingest, 'SubmitResponse', request, key);
  console.log(`submitted external_id=${externalId} response_id=${first.response_id} ` +
              `duplicate=${first.duplicate}`);
  if (first.duplicate) throw new StepFailed('a new external_id was reported as a duplicate');
  // The CRM never saw that answer (say its connection dropped): it sends the
  // very same request again.
  const again = await callWithRetries(ingest, 'SubmitResponse', request, key);
  console.log(`resubmitted external_id=${externalId} response_id=${again.response_id} ` +
              `duplicate=${again.duplicate}`);
  if (!again.duplicate || again.response_id !== first.response_id) {
    throw new StepFailed('the retry was not reported as a duplicate of the first submission');
  }
}

// Step 3: score 11 is INVALID_ARGUMENT with a BadRequest on response.score.
async function submitBadScore(ingest, key, nowMs) {
  const request = {response: surveyResponse(uniqueId('crm-example-bad', nowMs), 11, nowMs)};
  try {
    await callWithRetries(ingest, 'SubmitResponse', request, key);
  } catch (error) {
    if (error.code === undefined) throw error;
    const {fieldViolations} = errorDetails(error);
    for (const v of fieldViolations) {
      console.log(`rejected code=${codeName(error.code)} field=${v.field} ` +
                  `description=${v.description}`);
    }
    if (error.code !== grpc.status.INVALID_ARGUMENT) throw error;
    if (!fieldViolations.some((v) => v.field === 'response.score')) {
      throw new StepFailed('INVALID_ARGUMENT without a field violation on response.score');
    }
    return;
  }
  throw new StepFailed('a score of 11 was accepted');
}

// A day `days` after `day` (YYYY-MM-DD), as YYYY-MM-DD.
function addDays(day, days) {
  return new Date(Date.parse(day + 'T00:00:00Z') + days * 86400 * 1000).toISOString().slice(0, 10);
}

function protoDate(day) {
  const [year, month, dayOfMonth] = day.split('-').map(Number);
  return {year, month, day: dayOfMonth};
}

// Step 4: the NPS of the days around the response (in any time zone).
async function readNps(analytics, key, nowMs) {
  const interactionDay = new Date(nowMs - 3600 * 1000).toISOString().slice(0, 10);
  const start = addDays(interactionDay, -1);
  const end = addDays(interactionDay, 1);
  const request = {filter: {start_date: protoDate(start), end_date: protoDate(end)}};
  const answer = await callWithRetries(analytics, 'GetNps', request, key);
  const s = answer.summary;
  console.log(`nps period=${start}..${end} time_zone=${answer.time_zone} ` +
              `nps=${s.nps.toFixed(1)} responses=${s.responses} promoters=${s.promoters} ` +
              `passives=${s.passives} detractors=${s.detractors}`);
  if (s.responses < 1) throw new StepFailed('GetNps counted no response');
}

async function main() {
  const env = process.env;
  const server = env.TNPS_SERVER || '127.0.0.1:50051';
  const credentials =
      grpc.credentials.createSsl(fs.readFileSync(env.TNPS_TLS_CA_FILE || '.tnps/tls/ca.pem'));
  const ingestKey = keyFromFile(env.TNPS_INGEST_KEY_FILE || '.tnps/secrets/ingest.key');
  const readKey = keyFromFile(env.TNPS_READ_KEY_FILE || '.tnps/secrets/read.key');
  // Field names as in the .proto files; int64 counts as numbers.
  const definition = protoLoader.loadSync(
      ['tnps/v1/ingest_service.proto', 'tnps/v1/analytics_service.proto'],
      {includeDirs: [PROTO_DIR], keepCase: true, longs: Number, enums: String, defaults: true});
  const tnps = grpc.loadPackageDefinition(definition).tnps.v1;
  const ingest = new tnps.IngestService(server, credentials);
  const analytics = new tnps.AnalyticsService(server, credentials);
  const nowMs = Math.floor(Date.now() / 1000) * 1000;
  try {
    await submitTwice(ingest, ingestKey, nowMs);
    await submitBadScore(ingest, ingestKey, nowMs);
    await readNps(analytics, readKey, nowMs);
  } catch (error) {
    const why = error instanceof StepFailed ? error.message :
        error.code !== undefined ? `${codeName(error.code)}: ${error.details}` : error.stack;
    console.error(`FAILED: ${why}`);
    return 1;
  } finally {
    ingest.close();
    analytics.close();
  }
  console.log('ok: every step behaved as expected');
  return 0;
}

main().then((code) => {
  process.exitCode = code;
});
