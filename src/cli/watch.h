// hasyncctl watch: a consumer of the pair (hasync::Consumer) that prints every change of a
// table, or of its keys under a prefix, as it is applied (cli/watch_format.h), starting with a
// full replay of what the table holds. It follows the active node across failovers and runs
// until SIGINT or SIGTERM, or until it has printed `count` ops. It talks to the nodes' consumer
// ports, not to the control socket. Log lines go to stderr, changes to stdout.
#pragma once

#include <cstdint>
#include <string>

namespace hasync::cli {

struct WatchArgs {
  std::string table;
  std::string prefix;
  bool json = false;
  std::string endpoints = "127.0.0.1:7402";  // comma-separated host:port
  uint64_t count = 0;                        // stop after this many ops; 0: never
  std::string name = "hasyncctl-watch";      // as hasyncctl consumers shows it
};

// Exit status as RunCommand's: 0 when interrupted or done, 2 for bad arguments.
int RunWatch(const WatchArgs& args);

}  // namespace hasync::cli
