// Daemon: hasyncd assembled. One io_context on one thread drives the node (net::NodeDriver),
// the control socket, the optional metrics endpoint and the notify scripts; SIGTERM/SIGINT stop
// it gracefully (the peer is told to take over at once), a second signal stops it at once.
#pragma once

#include "daemon/config.h"
#include "hasync/status.h"

namespace hasync::daemon {

// Runs until stopped by a signal. Errors: what prevented the start (kIo for a busy port or
// socket path, kUnavailable if another daemon owns the control socket).
Status RunDaemon(const DaemonConfig& config);

}  // namespace hasync::daemon
