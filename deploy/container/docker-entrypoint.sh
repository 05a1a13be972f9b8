#!/bin/sh
# The entrypoint of the official Node.js images, for the local stand-in that
# check.sh builds: when the first argument is an option, not a command on
# PATH, or a file that is not executable, run it with node.
set -e
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi
exec "$@"
