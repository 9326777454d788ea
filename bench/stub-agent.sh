#!/bin/sh
# A stand-in for `claude -p --output-format=stream-json` that answers at once. It reads the whole
# prompt from stdin (as claude does), takes the task id from the line "- Task ID: <id>", and prints
# an init line and a successful result whose text is the completion block for that task. Builtins
# only: no process is started besides this shell, unless STUB_AGENT_SECONDS asks it to take that
# long (then `sleep` runs), which stands in for an agent's real work.
id=
while IFS= read -r line; do
  case $line in
    "- Task ID: "*) id=${line#- Task ID: } ;;
  esac
done
if [ -n "${STUB_AGENT_SECONDS:-}" ]; then sleep "$STUB_AGENT_SECONDS"; fi
printf '{"type":"system","subtype":"init","session_id":"stub","model":"stub","tools":[],"mcp_servers":[]}\n'
printf '{"type":"result","subtype":"success","is_error":false,"result":"TASK_COMPLETE: %s\\nSTATUS: completed\\nARTIFACTS: []\\nSUMMARY: stub","session_id":"stub","num_turns":1,"duration_ms":0,"total_cost_usd":0,"usage":{"input_tokens":1,"output_tokens":1,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}\n' "$id"
