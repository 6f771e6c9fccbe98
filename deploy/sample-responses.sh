#!/usr/bin/env bash
# Prints N sample survey responses as the CSV that `tnpsctl import` reads:
# 24 agents in 4 teams, the last 30 days, scores skewed the way real TNPS
# answers are. Deterministic within a day, so a re-import the same day
# stores duplicates, not new rows.
set -euo pipefail
n="${1:-400}"
today="$(date -u +%Y-%m-%d)"
echo "external_id,interaction_id,agent_id,team_id,channel,customer_ref,score,comment,interaction_time,response_time,attr.queue"
awk -v n="$n" -v today="$today" 'BEGIN {
  split("phone chat email phone chat video", channels, " ");
  split("billing support sales", queues, " ");
  split("10 10 10 9 9 9 9 8 8 7 7 6 5 3 0", scores, " ");
  cmd = "date -u -d " today " +%s"; cmd | getline base; close(cmd);
  seed = 7;
  for (i = 1; i <= n; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    r = int(seed / 65536);  # the LCG'"'"'s low bits are poor
    agent = r % 24;
    day = int(r / 24) % 30 + 1;
    minute = int(r / 720) % 600;
    t = base - day * 86400 + 8 * 3600 + minute * 60;
    s = scores[(int(r / 7) + agent) % 15 + 1];
    printf "sample-%s-%d,call-%s-%d,agent-%02d,team-%d,%s,cust-%d,%d,%s,%s,%s,%s\n",
      today, i, today, i, agent, agent % 4, channels[r % 6 + 1], r % 997, s,
      (s >= 9 ? "\"Friendly, solved it fast\"" : (s >= 7 ? "Fine" : "\"Had to call twice\"")),
      strftime("%Y-%m-%dT%H:%M:%SZ", t, 1), strftime("%Y-%m-%dT%H:%M:%SZ", t + 1800, 1),
      queues[r % 3 + 1];
  }
}'
