#!/bin/sh
# mutate.sh: the mutation check (`make mutate`). Applies each mutant of tests/mutants.list to one
# scratch copy of the tree, builds it, runs the mutant's test command, and prints caught or
# SURVIVED per mutant, ending "N caught, N survived" (scripts/mutants.py does the work).
# Usage: scripts/mutate.sh [--keep] [NAME...]   (--keep leaves the scratch copy and its logs)
exec /usr/bin/python3 "$(dirname "$0")/mutants.py" run "$@"
