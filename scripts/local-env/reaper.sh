#!/usr/bin/env bash
# Watches the Node.js process that started the local environment. When it is gone, stops
# every process group listed in STATE_DIR/pids and removes STATE_DIR. A clean shutdown
# removes STATE_DIR itself, which ends this watcher too.
parent="$1"
state_dir="$2"
while kill -0 "$parent" 2>/dev/null && [[ -d "$state_dir" ]]; do
  sleep 1
done
[[ -d "$state_dir" ]] || exit 0
if [[ -f "$state_dir/pids" ]]; then
  while read -r pid; do kill -TERM -- "-$pid" 2>/dev/null; done <"$state_dir/pids"
  sleep 3
  while read -r pid; do kill -KILL -- "-$pid" 2>/dev/null; done <"$state_dir/pids"
fi
rm -rf "$state_dir"
