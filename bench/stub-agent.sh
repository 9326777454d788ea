#!/bin/sh
# A stand-in for `claude -p --output-format=stream-json`. It reads the whole prompt from stdin (as
# claude does), takes the task id from the line "- Task ID: <id>", prints an init line, takes
# $STUB_AGENT_SECONDS seconds (a `sleep`, standing in for an agent's work; the bench sets it), and
# prints a successful result whose text is the completion block for that task. Unset, it answers at
# once and starts no process besides this shell (test/cli/run.test.ts relies on that).
id=
while IFS= read -r line; do
  case $line in
    "- Task ID: "*) id=${line#- Task ID: } ;;
  esac
done
printf '{"type":"system","subtype":"init","session_id":"stub","model":"stub","tools":[],"mcp_servers":[]}\n'
if [ -n "${STUB_AGENT_SECONDS:-}" ]; then sleep "$STUB_AGENT_SECONDS"; fi
printf '{"type":"result","subtype":"success","is_error":false,"result":"TASK_COMPLETE: %s\\nSTATUS: completed\\nARTIFACTS: []\\nSUMMARY: stub","session_id":"stub","num_turns":1,"duration_ms":0,"total_cost_usd":0,"usage":{"input_tokens":1,"output_tokens":1,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}\n' "$id"
