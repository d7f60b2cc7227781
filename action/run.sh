#!/usr/bin/env bash
# Runs the eval as the action's inputs say (INPUT_*), with tooleval on the PATH. tooleval writes
# the job summary itself ($GITHUB_STEP_SUMMARY) and annotates the suite's lines; this script
# writes the step's outputs (exit-code, report, html) and always exits 0, so that the report is
# uploaded before the action's last step passes the verdict on.
set -uo pipefail
: "${INPUT_EVAL:?the action needs its eval input}"
report="${INPUT_REPORT:-tooleval-report.json}"
cmd=(tooleval run "$INPUT_EVAL" --out "$report")
if [ -n "${INPUT_FAIL_ON:-}" ]; then cmd+=(--fail-on "$INPUT_FAIL_ON"); fi
if [ -n "${INPUT_BASELINE_REF:-}" ]; then cmd+=(--baseline-ref "$INPUT_BASELINE_REF"); fi
if [ -n "${INPUT_HTML:-}" ]; then cmd+=(--html "$INPUT_HTML"); fi
if [ -n "${INPUT_JUNIT:-}" ]; then cmd+=(--junit "$INPUT_JUNIT"); fi
if [ -n "${INPUT_ARGS:-}" ]; then
  read -r -a extra <<< "$INPUT_ARGS"
  cmd+=("${extra[@]}")
fi
echo "+ ${cmd[*]}"
"${cmd[@]}"
code=$?
html=""
if [ -n "${INPUT_HTML:-}" ] && [ -f "$INPUT_HTML" ]; then html="$INPUT_HTML"; fi
if [ ! -f "$report" ]; then report=""; fi
{
  echo "exit-code=$code"
  echo "report=$report"
  echo "html=$html"
} >> "${GITHUB_OUTPUT:-/dev/null}"
if [ -n "$html" ] && [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  echo "The run's page (\`$html\`) is in the \`tooleval\` artifact of this run." >> "$GITHUB_STEP_SUMMARY"
fi
exit 0
