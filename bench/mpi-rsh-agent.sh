#!/usr/bin/env bash
# Open MPI's plm_rsh_agent for emulated clusters: "ssh HOST CMD" becomes "run CMD inside HOST's
# network namespace" (scalelab exec CLUSTER/HOST). mpirun calls it as
#   mpi-rsh-agent.sh [ssh options] HOST COMMAND...
# where COMMAND is a shell command line (ssh hands it to the remote shell), so it runs under sh -c.
#
# Environment (set by bench/collectives.sh):
#   SCALELAB_MPI_CLUSTER  cluster name (required)
#   SCALELAB_BIN          the scalelab binary (default: scalelab on PATH)
#   SCALELAB_MPI_TMP      per-host temporary directories are made under it: every emulated "host"
#                         shares the hostname and /tmp, and Open MPI daemons would collide on their
#                         session files otherwise.
set -eu

# Drop ssh-style options (Open MPI passes e.g. -x; some take a value).
while [ $# -gt 0 ]; do
  case "$1" in
    --) shift; break ;;
    -[bcDEeFIiJLlmOopQRSWw]) shift 2 ;;
    -*) shift ;;
    *) break ;;
  esac
done
[ $# -ge 2 ] || { echo "mpi-rsh-agent: usage: mpi-rsh-agent.sh [ssh options] HOST COMMAND..." >&2; exit 255; }
host=$1
shift
cluster=${SCALELAB_MPI_CLUSTER:?mpi-rsh-agent: SCALELAB_MPI_CLUSTER is not set}
case "$host" in
  */*) node=$host ;;
  *) node=$cluster/$host ;;
esac
if [ -n "${SCALELAB_MPI_TMP:-}" ]; then
  tmp=$SCALELAB_MPI_TMP/${host##*/}
  mkdir -p "$tmp"
  export TMPDIR=$tmp OMPI_MCA_orte_tmpdir_base=$tmp
fi
exec "${SCALELAB_BIN:-scalelab}" exec "$node" -- /bin/sh -c "$*"
