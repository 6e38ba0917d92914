// hasyncctl: talks to a running hasyncd over its control socket, or over its TCP control
// endpoint with TLS and a client certificate.
//
//   hasyncctl [--control PATH] status|put|get|del|load|digest|dump|switchover|metrics|wait ...
//   hasyncctl pool alloc|renew|release|show|list|partner-down ...
//   hasyncctl watch TABLE [--prefix P] [--json] [--endpoints HOST:PORT,...] [--count N]
//   hasyncctl consumers [--json]
//   hasyncctl --connect HOST:PORT --cert FILE --key FILE --ca FILE --server-name NAME status ...
//
// Exit status: 0 success, 1 the daemon answered with an error (or a wait timed out), 2 usage or
// connection error.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <string_view>
#include <tuple>

#include "cli/commands.h"
#include "cli/watch.h"

namespace {

// `watch` is a consumer on the nodes' consumer ports, not a control-socket command.
void AddWatch(CLI::App& app, hasync::cli::Invocation& in, hasync::cli::WatchArgs& watch) {
  CLI::App* sub =
      app.add_subcommand("watch", "print a table's changes as they happen (a consumer)");
  sub->callback([&in] { in.command = "watch"; });
  sub->add_option("table", watch.table)->required();
  sub->add_option("--prefix", watch.prefix, "only keys that start with it");
  sub->add_flag("--json", watch.json, "one JSON object per change");
  sub->add_option("--endpoints", watch.endpoints, "the nodes' consumer ports, host:port,...")
      ->capture_default_str();
  sub->add_option("--count", watch.count, "stop after this many ops (0: at SIGINT/SIGTERM)");
  sub->add_option("--name", watch.name, "the name hasyncctl consumers shows")
      ->capture_default_str();
}

}  // namespace

int Run(int argc, char** argv) {
  using hasync::cli::Invocation;
  CLI::App app("hasyncctl: control a running hasyncd", "hasyncctl");
  app.require_subcommand(1);
  Invocation in;
  hasync::cli::Target& t = in.target;
  app.add_option("-s,--control", t.control, "hasyncd's control socket")
      ->envname("HASYNC_CONTROL")
      ->capture_default_str();
  app.add_option("--connect", t.connect,
                 "hasyncd's TCP control endpoint, host:port (TLS; instead of --control)")
      ->envname("HASYNC_CONNECT");
  app.add_option("--cert", t.certificate, "with --connect: this client's certificate (PEM)")
      ->envname("HASYNC_CERT");
  app.add_option("--key", t.private_key, "with --connect: its private key (PEM)")
      ->envname("HASYNC_KEY");
  app.add_option("--ca", t.ca, "with --connect: the CA hasyncd's certificate is signed by")
      ->envname("HASYNC_CA");
  app.add_option("--server-name", t.server_name,
                 "with --connect: the name hasyncd's certificate must carry")
      ->envname("HASYNC_SERVER_NAME");

  auto add = [&](const char* name, const char* help, bool reads) {
    CLI::App* sub = app.add_subcommand(name, help);
    sub->callback([&in, name] { in.command = name; });
    if (reads) sub->add_flag("--json", in.json, "print the daemon's JSON response");
    return sub;
  };
  add("status", "role, peer, sync state, records and digest", true);
  CLI::App* put = add("put", "write a record (on the active)", false);
  put->add_option("table", in.table)->required();
  put->add_option("key", in.key)->required();
  put->add_option("value", in.value)->required();
  put->add_flag("--replicated", in.replicated, "return once the standby has it");
  auto intent = [&in](CLI::App* sub) {
    sub->add_option("--intent", in.intent,
                    "update, or allocate/release: waits while the pair reconciles")
        ->check(CLI::IsMember({"update", "allocate", "release"}))
        ->capture_default_str();
  };
  intent(put);
  CLI::App* get = add("get", "read a record", true);
  get->add_option("table", in.table)->required();
  get->add_option("key", in.key)->required();
  CLI::App* del = add("del", "delete a record (on the active)", false);
  del->add_option("table", in.table)->required();
  del->add_option("key", in.key)->required();
  del->add_flag("--replicated", in.replicated, "return once the standby has it");
  intent(del);
  CLI::App* load = add("load", "write COUNT generated records (benchmarks, demos)", true);
  load->add_option("table", in.table)->required();
  load->add_option("--count", in.count)->required();
  load->add_option("--value-size", in.value_size)->required();
  load->add_option("--prefix", in.prefix, "key prefix")->capture_default_str();
  intent(load);
  CLI::App* digest = add("digest", "digest of all tables, or of one", true);
  digest->add_option("table", in.table);
  CLI::App* dump = add("dump", "print every record, of all tables or one", true);
  dump->add_option("table", in.table);
  add("switchover", "hand the active role to the standby (reconciling if not in sync)", false);
  add("metrics", "the Prometheus metrics text", false);
  add("consumers", "consumer channels: ops sent and acknowledged, pending, replays", true);
  CLI::App* wait = add("wait", "wait until the node reaches a state", true);
  wait->add_option("--role", in.wait_role, "active, standby or init")
      ->check(CLI::IsMember({"active", "standby", "init"}));
  wait->add_flag("--in-sync", in.wait_in_sync,
                 "until the pair is in sync: asked of the active, its standby is in "
                 "sync; of a standby, it holds everything (no bulk sync running)");
  wait->add_option("--timeout-ms", in.timeout_ms)->capture_default_str();

  CLI::App* pool = app.add_subcommand("pool", "address pools: leases and usage");
  pool->require_subcommand(1);
  // `command` is the daemon's name for it (pool.partner_down for partner-down).
  auto add_pool = [&](const char* name, const char* command, const char* help) {
    CLI::App* sub = pool->add_subcommand(name, help);
    sub->callback([&in, command] { in.command = command; });
    sub->add_flag("--json", in.json, "print the daemon's JSON response");
    if (std::string_view(command) != "pool.partner_down") {
      sub->add_option("pool", in.pool, "the pool's name")->required();
    }
    return sub;
  };
  CLI::App* alloc =
      add_pool("alloc", "pool.alloc", "lease an address to CLIENT (its own again if it has one)");
  alloc->add_option("client", in.client, "the client's id (e.g. its MAC)")->required();
  for (auto [name, command, help] :
       {std::tuple{"renew", "pool.renew", "extend CLIENT's lease of ADDRESS"},
        std::tuple{"release", "pool.release",
                   "end CLIENT's lease of ADDRESS (reserved for it for grace_s)"}}) {
    CLI::App* sub = add_pool(name, command, help);
    sub->add_option("client", in.client)->required();
    sub->add_option("address", in.address)->required();
  }
  CLI::App* show = add_pool("show", "pool.show", "the pool's usage, or one lease");
  auto* by_client = show->add_option("--client", in.client, "the lease this client holds");
  show->add_option("--address", in.address, "the lease of this address")->excludes(by_client);
  CLI::App* list = add_pool("list", "pool.list", "leases, in the order of the pool's ranges");
  list->add_option("--from", in.from, "start at this address");
  list->add_option("--limit", in.limit, "at most this many")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  add_pool("partner-down", "pool.partner_down",
           "declare the peer down: allocate from every whole pool until it is back");

  hasync::cli::WatchArgs watch;
  AddWatch(app, in, watch);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? hasync::cli::kExitOk : hasync::cli::kExitUsage;
  }
  if (in.command == "watch") return hasync::cli::RunWatch(watch);
  return hasync::cli::RunCommand(in);
}

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    // Only allocation failure or a library bug gets here: say so instead of aborting silently.
    fmt::print(stderr, "hasyncctl: fatal: {}\n", e.what());
    return 1;
  }
}
