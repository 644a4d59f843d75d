#!/usr/bin/env bash
# End to end with curl: `trit serve` on a loopback ephemeral port, OpenAI-style calls plain and
# streamed, errors, the API key, and a clean exit on SIGINT. Usage: serve_cli_test.sh TRIT_BINARY
set -euo pipefail
trit=${1:?usage: serve_cli_test.sh TRIT_BINARY}
command -v curl >/dev/null || { echo "curl not installed: skipped"; exit 0; }
dir=$(mktemp -d)
pid=
cleanup() { [[ -n $pid ]] && kill -TERM "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; [[ -f $dir/log ]] && cat "$dir/log"; exit 1; }

"$trit" synth --arch bitnet --shape tiny --type tq2_0 -o "$dir/m.gguf" 2>/dev/null
"$trit" serve --model "$dir/m.gguf" --port 0 --api-key k3y --ctx 256 2>"$dir/log" &
pid=$!
port=
for _ in $(seq 200); do
  port=$(sed -n 's|.*serve: http://127.0.0.1:\([0-9]*\).*|\1|p' "$dir/log")
  [[ -n $port ]] && break
  sleep 0.05
done
[[ -n $port ]] || fail "no port in the log"
url=http://127.0.0.1:$port
auth=(-H "Authorization: Bearer k3y")

code=$(curl -s -o "$dir/out" -w '%{http_code}' "$url/health")
[[ $code == 200 ]] || fail "/health: $code"
code=$(curl -s -o "$dir/out" -w '%{http_code}' "$url/v1/models")
[[ $code == 401 ]] || fail "/v1/models without the key: $code"

body='{"model": "m", "prompt": "Hello", "max_tokens": 8, "temperature": 0}'
curl -sf "${auth[@]}" "$url/v1/completions" -H 'Content-Type: application/json' -d "$body" >"$dir/plain" ||
  fail "completion"
grep -q '"object":"text_completion"' "$dir/plain" || fail "completion shape: $(cat "$dir/plain")"
grep -q '"usage":{"prompt_tokens":' "$dir/plain" || fail "completion usage"

curl -sfN "${auth[@]}" "$url/v1/chat/completions" -H 'Content-Type: application/json' \
  -d '{"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 4, "stream": true}' >"$dir/sse" ||
  fail "streamed chat"
grep -q '^data: {.*"chat.completion.chunk"' "$dir/sse" || fail "no chunks: $(cat "$dir/sse")"
[[ $(tail -n 2 "$dir/sse" | head -n 1) == 'data: [DONE]' ]] || fail "stream does not end with [DONE]"

code=$(curl -s -o "$dir/out" -w '%{http_code}' "${auth[@]}" "$url/v1/completions" -d '{"prompt": ')
[[ $code == 400 ]] || fail "malformed JSON: $code"
grep -q 'malformed JSON' "$dir/out" || fail "malformed JSON message: $(cat "$dir/out")"

curl -sf "${auth[@]}" "$url/metrics" | grep -q '^trit_generations_total 2' || fail "metrics"

kill -INT "$pid"
wait "$pid" || fail "exit status $? after SIGINT"
pid=
grep -q 'SIGINT received' "$dir/log" || fail "no shutdown message"
echo "serve_cli_test: ok (port $port)"
