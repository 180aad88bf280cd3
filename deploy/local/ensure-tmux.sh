#!/usr/bin/env bash
# Make sure `tmux` exists, so the console test can drive the terminal UI (send-keys, capture-pane).
exec bash "$(dirname "${BASH_SOURCE[0]}")/ensure-apt.sh" tmux tmux
